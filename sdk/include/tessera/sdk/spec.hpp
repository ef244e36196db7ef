// The facts a provider declares: which grant it implements, where its endpoints are, which
// scopes it asks for by default, what an operator must configure, how the client
// authenticates. A provider is a policy object; these are its data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::sdk {

enum class GrantType { authorization_code, client_credentials };

// How the client authenticates at the token endpoint.
enum class ClientAuth {
  client_secret_basic,  // HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1)
  client_secret_post,   // client_id and client_secret in the request body
  none,                 // public client: client_id only (PKCE protects the code)
  private_key_jwt,      // signed client assertion (RFC 7523 §2.2)
  jwt_bearer,           // the JWT bearer grant itself (RFC 7523 §2.1), e.g. service-account keys
};

std::string_view to_string(GrantType grant) noexcept;
std::string_view to_string(ClientAuth auth) noexcept;
// Parse the names above; nullopt for anything else.
std::optional<GrantType> parse_grant_type(std::string_view text) noexcept;
std::optional<ClientAuth> parse_client_auth(std::string_view text) noexcept;

// What the web page and `tessera providers show` display.
struct ProviderMetadata {
  std::string id;  // equals ProviderSpec::id
  std::string name;
  std::string description;
  std::string logo_url;
  std::string setup_instructions;
  bool requires_config = false;  // the provider has config fields an operator must fill in
  bool enabled = true;
  std::string api_docs_url;
  std::string setup_guide_url;
  std::string troubleshooting_url;
};

// What kind of value a config field holds. Values substituted into endpoint URLs must be
// host_label or dns_name so they can never change the URL's host or path.
enum class FieldKind {
  text,        // free text, never substituted into a URL
  host_label,  // one DNS label: [A-Za-z0-9-], no leading/trailing '-', at most 63 chars
  dns_name,    // dot-separated host labels, e.g. contoso.onmicrosoft.com or a tenant GUID
  email,       // local@domain, e.g. the subject a service account impersonates
};

std::string_view to_string(FieldKind kind) noexcept;

// A value the operator configures per workspace, such as a tenant or an instance name.
// An endpoint may reference it as {name}.
struct ConfigField {
  std::string name;  // ^[a-z][a-z0-9_]*$
  std::string label;
  std::string description;
  FieldKind kind = FieldKind::text;
  bool required = true;
  std::optional<std::string> default_value;
};

// Checks one value against its field; returns a sentence saying what is wrong, or nullopt.
std::optional<std::string> check_field_value(const ConfigField& field, std::string_view value);

// Class-level facts the registry records for every provider.
struct ProviderSpec {
  std::string id;  // ^[a-z][a-z0-9_]*$; unique per grant type
  GrantType grant_type = GrantType::authorization_code;
  ProviderMetadata metadata;
  std::vector<std::string> default_scopes;
  std::string scope_separator = " ";
  // https URLs; may contain {field} placeholders naming config fields.
  std::string authorization_endpoint;  // authorization code only
  std::string token_endpoint;
  std::string revocation_endpoint;  // optional (RFC 7009)
  // The authorization server's issuer identifier (RFC 8414), when known. An authorization
  // response's `iss` parameter must then equal it (RFC 9207). May contain placeholders.
  std::string issuer;
  std::vector<ConfigField> config_fields;
  bool pkce = true;  // RFC 7636 S256 on the authorization code grant
  ClientAuth client_auth = ClientAuth::client_secret_basic;
};

// What an operator configures for one provider in one workspace.
struct ProviderConfig {
  std::string client_id;
  std::optional<std::string> client_secret;
  std::optional<std::string> authorization_endpoint;  // overrides the spec's
  std::optional<std::string> token_endpoint;          // overrides the spec's
  std::optional<std::string> revocation_endpoint;     // overrides (or adds) one
  // nullopt: the spec's default scopes; an empty list: request no scope at all.
  std::optional<std::vector<std::string>> scopes;
  std::map<std::string, std::string> values;  // config field values by name
};

// The scopes to request: the configured ones when set (even if empty), else the defaults.
std::vector<std::string> effective_scopes(const ProviderSpec& spec, const ProviderConfig& config);

// Joins scopes with the spec's separator.
std::string join_scopes(const std::vector<std::string>& scopes, std::string_view separator);

// Splits a scope string on spaces (RFC 6749 §3.3) or the given separator; empty parts dropped.
std::vector<std::string> split_scopes(std::string_view text, std::string_view separator = " ");

// A token response as the provider understood it (RFC 6749 §5.1).
struct TokenSet {
  std::string access_token;
  std::string token_type = "Bearer";
  std::optional<std::string> refresh_token;
  std::optional<std::int64_t> expires_in;  // seconds; nullopt when the server did not say
  // nullopt when the server did not say, meaning the requested scopes were granted.
  std::optional<std::vector<std::string>> scope;
  std::optional<std::string> id_token;
};

// Ordered name/value pairs for a query string or a form body; a name may repeat.
using Params = std::vector<std::pair<std::string, std::string>>;

// Value of the first parameter called `name`, or nullptr.
const std::string* find_param(const Params& params, std::string_view name) noexcept;

}  // namespace tessera::sdk
