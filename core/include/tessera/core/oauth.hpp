// The OAuth 2 engine: every exchange with an authorization server, for every provider. The
// provider supplies policy through its SDK hooks; the engine does the I/O (HTTP through
// HttpClient), the randomness (state, PKCE), the signing (RFC 7523 assertions) and the
// classification of failures, so that callers can act on them:
//
//   ErrorCode::reconnect_needed  invalid_grant: the user must connect again
//   ErrorCode::configuration     invalid_client, unauthorized_client, unusable settings
//   ErrorCode::transient         429 or 5xx; OAuthError::retry_after when the server said
//   ErrorCode::network           no answer (also transient)
//   ErrorCode::oauth_rejected    any other OAuth error
//   ErrorCode::protocol          an answer that breaks the protocol, naming the field
//
// Messages carry the provider id, the endpoint and the server's error and description,
// never a token or a secret. Retries (jittered exponential backoff, Retry-After honoured)
// happen only where repeating is safe: client credentials, discovery and revocation.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tessera/core/http.hpp"
#include "tessera/core/registry.hpp"

namespace tessera::core {

class OAuthError : public Error {
 public:
  OAuthError(ErrorCode code, const std::string& message, std::string error = {}, std::string description = {},
             long status = 0, std::optional<std::chrono::seconds> retry_after = std::nullopt)
      : Error(code, message),
        error_(std::move(error)),
        description_(std::move(description)),
        status_(status),
        retry_after_(retry_after) {}
  const std::string& error() const noexcept { return error_; }  // OAuth error code, if any
  const std::string& description() const noexcept { return description_; }
  long status() const noexcept { return status_; }  // HTTP status, 0 without an answer
  std::optional<std::chrono::seconds> retry_after() const noexcept { return retry_after_; }

 private:
  std::string error_, description_;
  long status_;
  std::optional<std::chrono::seconds> retry_after_;
};

// A provider's endpoints for one configuration: overrides applied, {field} placeholders
// substituted and validated, URLs checked against the endpoint policy.
struct Endpoints {
  std::string authorization;
  std::string token;
  std::string revocation;
  std::string issuer;
};

struct TokenResult {
  sdk::TokenSet tokens;
  // When the access token stops working: from expires_in, else from the `exp` claim of a
  // JWT access token; nullopt when unknown.
  std::optional<std::chrono::system_clock::time_point> expires_at;
  std::vector<std::string> granted_scopes;  // the response's scope, else the requested scopes
};

// What begin_authorization hands back: send the user to `url`, keep the rest until the
// callback arrives (the verifier is a secret).
struct AuthorizationRequest {
  std::string url;
  std::string state;
  std::string code_verifier;  // empty when the provider does not use PKCE
  std::string redirect_uri;
  std::vector<std::string> scopes;
};

// The query of the redirect back to us (RFC 6749 §4.1.2, RFC 9207).
struct AuthorizationResponse {
  std::string code;
  std::string state;
  std::optional<std::string> iss;
  std::optional<std::string> error;
  std::string error_description;

  static AuthorizationResponse from_query(std::string_view query);
};

// RFC 8414 authorization server metadata, and the choices Tessera makes from it.
struct ServerMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string revocation_endpoint;
  std::vector<std::string> code_challenge_methods_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> scopes_supported;
  bool authorization_response_iss_parameter_supported = false;

  bool supports_pkce_s256() const;
  // client_secret_basic when offered (or nothing is said, its RFC 8414 default), else
  // client_secret_post, private_key_jwt, none.
  sdk::ClientAuth preferred_client_auth() const;
};

struct RetryPolicy {
  int attempts = 3;  // in all, the first try included
  std::chrono::milliseconds base_delay{250};
  std::chrono::milliseconds max_delay{10000};
};

// PKCE (RFC 7636) and state: 256 bits from the CSPRNG, base64url.
std::string make_state();
std::string make_code_verifier();
std::string code_challenge_s256(std::string_view verifier);

// Throws Error(configuration) when a placeholder has no valid value, Error(blocked_endpoint)
// when a resulting URL breaks the endpoint policy.
Endpoints resolve_endpoints(const sdk::ProviderSpec& spec, const sdk::ProviderConfig& config,
                            bool insecure_development = false);

class OAuthEngine {
 public:
  explicit OAuthEngine(const HttpClient& http, RetryPolicy retry = {});

  // Authorization code, step 1: the URL to send the user to.
  AuthorizationRequest begin_authorization(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                                           const std::string& redirect_uri) const;
  // Checks the redirect back: an error from the server, a state that is not ours, or an
  // `iss` that is not the expected issuer (RFC 9207) throws.
  void check_authorization_response(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                                    const AuthorizationResponse& response, std::string_view expected_state) const;
  // Authorization code, step 2: exchanges the code (never retried once sent).
  TokenResult exchange_code(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                            const std::string& code, const std::string& redirect_uri,
                            const std::string& code_verifier) const;
  // check_authorization_response, then exchange_code.
  TokenResult complete_authorization(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                                     const AuthorizationRequest& request, const AuthorizationResponse& response) const;

  // Client credentials, or the JWT bearer grant for providers whose client_auth is
  // jwt_bearer (the client secret is then a service-account JSON key).
  TokenResult client_credentials(const RegisteredProvider& provider, const sdk::ProviderConfig& config) const;

  // refresh_token grant; without a new refresh token in the answer, the old one is kept.
  TokenResult refresh(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                      const std::string& refresh_token) const;

  // RFC 7009. Throws Error(invalid_argument) when the provider has no revocation endpoint.
  void revoke(const RegisteredProvider& provider, const sdk::ProviderConfig& config, const std::string& token,
              std::string_view token_type_hint = "access_token") const;

  // RFC 8414: reads the issuer's metadata (falling back to OpenID Connect discovery).
  ServerMetadata discover(const std::string& issuer) const;

 private:
  const HttpClient& http_;
  RetryPolicy retry_;
};

}  // namespace tessera::core
