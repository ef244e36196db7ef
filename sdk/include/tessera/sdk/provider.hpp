// The classes a provider author subclasses. A provider is a policy object: it says which
// parameters to send and how to read what comes back. It performs no I/O; the engine in
// Tessera's core does every HTTP request, generates state and PKCE verifiers, signs
// assertions and stores tokens. Providers must be immutable after construction: the host
// calls their const hooks from many threads at once.
//
// Every hook may throw (std::exception or anything else); the host turns that into an
// error report for this provider and carries on.
#pragma once

#include <boost/json/fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/sdk/spec.hpp"

namespace tessera::sdk {

// Thrown by parse_token_response when the body is a well-formed error or lacks what a
// token response needs. `error` is the OAuth error code (RFC 6749 §5.2) when there is one,
// so the engine can tell `invalid_grant` (reconnect needed) from other failures.
class TokenResponseError : public std::runtime_error {
 public:
  TokenResponseError(std::string error, std::string description);
  ~TokenResponseError() override;
  const std::string& error() const noexcept { return error_; }
  const std::string& description() const noexcept { return description_; }

 private:
  std::string error_;
  std::string description_;
};

// Inputs of the authorization request (RFC 6749 §4.1.1).
struct AuthorizationContext {
  const ProviderConfig& config;
  std::string redirect_uri;
  std::string state;
  std::vector<std::string> scopes;            // effective scopes, already resolved
  std::optional<std::string> code_challenge;  // S256 challenge when the spec enables PKCE
};

// Inputs of a token request. `grant_type` is the wire value: "authorization_code",
// "refresh_token", "client_credentials" or "urn:ietf:params:oauth:grant-type:jwt-bearer".
struct TokenRequestContext {
  const ProviderConfig& config;
  std::string grant_type;
  std::string code;           // authorization_code
  std::string redirect_uri;   // authorization_code
  std::string code_verifier;  // authorization_code with PKCE
  std::string refresh_token;  // refresh_token
  std::string assertion;      // jwt-bearer
  std::vector<std::string> scopes;
};

class OAuthProvider {
 public:
  OAuthProvider(const OAuthProvider&) = delete;
  OAuthProvider& operator=(const OAuthProvider&) = delete;
  virtual ~OAuthProvider();

  const ProviderSpec& spec() const noexcept { return spec_; }
  GrantType grant_type() const noexcept { return spec_.grant_type; }

  // Problems with an operator's configuration, one sentence each; empty when usable.
  // The default checks that a client id is present and every config field's value.
  virtual std::vector<std::string> validate_config(const ProviderConfig& config) const;

  // Form parameters of a token request, before client authentication is applied by the
  // engine. The default sends the RFC 6749 parameters of the context's grant.
  virtual Params token_params(const TokenRequestContext& context) const;

  // Reads a successful token response body. The default follows RFC 6749 §5.1:
  // access_token is required, token_type defaults to Bearer, expires_in may be a number
  // or a numeric string, and an `error` member raises TokenResponseError.
  virtual TokenSet parse_token_response(const boost::json::object& body) const;

 protected:
  explicit OAuthProvider(ProviderSpec spec);

 private:
  ProviderSpec spec_;
};

// Base of providers that connect a user through the authorization code grant.
class AuthorizationCodeOAuthProvider : public OAuthProvider {
 public:
  ~AuthorizationCodeOAuthProvider() override;

  // Query parameters of the authorization URL. The default sends response_type, client_id,
  // redirect_uri, scope (omitted when empty), state and, with PKCE, code_challenge and
  // code_challenge_method=S256. Override to add or rename parameters.
  virtual Params authorization_params(const AuthorizationContext& context) const;

 protected:
  // Sets spec.grant_type to authorization_code.
  explicit AuthorizationCodeOAuthProvider(ProviderSpec spec);
};

// Base of providers that obtain tokens for the application itself (client credentials, or
// the JWT bearer grant with a service-account key).
class ClientCredentialsOAuthProvider : public OAuthProvider {
 public:
  ~ClientCredentialsOAuthProvider() override;

 protected:
  // Sets spec.grant_type to client_credentials.
  explicit ClientCredentialsOAuthProvider(ProviderSpec spec);
};

}  // namespace tessera::sdk
