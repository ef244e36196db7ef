// Out-of-line key functions of the SDK base classes live here, in libtessera_sdk, so their
// vtables and type information exist once in the process, whichever plugin uses them.
#include "tessera/sdk/provider.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace tessera::sdk {
namespace {

std::optional<std::string> optional_string(const boost::json::object& body, std::string_view key) {
  auto it = body.find(key);
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string())
    throw TokenResponseError("", "token response field '" + std::string(key) + "' is not a string");
  return std::string(it->value().get_string());
}

std::optional<std::int64_t> parse_expires_in(const boost::json::object& body) {
  auto it = body.find("expires_in");
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64() && v.get_int64() >= 0) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double() && v.get_double() >= 0 && v.get_double() < 9.2e18) return static_cast<std::int64_t>(v.get_double());
  if (v.is_string()) {
    std::string_view s = v.get_string();
    std::int64_t out = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && ptr == s.data() + s.size() && out >= 0) return out;
  }
  throw TokenResponseError("", "token response field 'expires_in' is not a non-negative number of seconds");
}

}  // namespace

TokenResponseError::TokenResponseError(std::string error, std::string description)
    : std::runtime_error(error.empty() ? description : error + ": " + description),
      error_(std::move(error)),
      description_(std::move(description)) {}
TokenResponseError::~TokenResponseError() = default;

OAuthProvider::OAuthProvider(ProviderSpec spec) : spec_(std::move(spec)) {}
OAuthProvider::~OAuthProvider() = default;

std::vector<std::string> OAuthProvider::validate_config(const ProviderConfig& config) const {
  std::vector<std::string> problems;
  if (config.client_id.empty()) problems.emplace_back("client id is required");
  for (const auto& field : spec_.config_fields) {
    auto it = config.values.find(field.name);
    if (it == config.values.end() || it->second.empty()) {
      if (field.required && !field.default_value)
        problems.push_back((field.label.empty() ? field.name : field.label) + " (" + field.name + ") is required");
      continue;
    }
    if (auto problem = check_field_value(field, it->second)) problems.push_back(*problem);
  }
  for (const auto& [name, value] : config.values) {
    bool known = false;
    for (const auto& field : spec_.config_fields) known = known || field.name == name;
    if (!known) problems.push_back("'" + name + "' is not a setting of provider " + spec_.id);
  }
  return problems;
}

Params OAuthProvider::token_params(const TokenRequestContext& context) const {
  Params params{{"grant_type", context.grant_type}};
  if (context.grant_type == "authorization_code") {
    params.emplace_back("code", context.code);
    params.emplace_back("redirect_uri", context.redirect_uri);
    if (!context.code_verifier.empty()) params.emplace_back("code_verifier", context.code_verifier);
  } else if (context.grant_type == "refresh_token") {
    params.emplace_back("refresh_token", context.refresh_token);
  } else if (context.grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    params.emplace_back("assertion", context.assertion);
    return params;  // scopes travel inside the assertion
  }
  if (context.grant_type != "authorization_code" && !context.scopes.empty())
    params.emplace_back("scope", join_scopes(context.scopes, spec_.scope_separator));
  return params;
}

TokenSet OAuthProvider::parse_token_response(const boost::json::object& body) const {
  if (auto error = optional_string(body, "error"))
    throw TokenResponseError(*error, optional_string(body, "error_description").value_or(""));
  TokenSet tokens;
  auto access = optional_string(body, "access_token");
  if (!access || access->empty()) throw TokenResponseError("", "token response has no access_token");
  tokens.access_token = std::move(*access);
  if (auto type = optional_string(body, "token_type"); type && !type->empty()) tokens.token_type = *type;
  tokens.refresh_token = optional_string(body, "refresh_token");
  tokens.expires_in = parse_expires_in(body);
  if (auto scope = optional_string(body, "scope")) tokens.scope = split_scopes(*scope, " ");
  tokens.id_token = optional_string(body, "id_token");
  return tokens;
}

AuthorizationCodeOAuthProvider::AuthorizationCodeOAuthProvider(ProviderSpec spec)
    : OAuthProvider([&] {
        spec.grant_type = GrantType::authorization_code;
        return std::move(spec);
      }()) {}
AuthorizationCodeOAuthProvider::~AuthorizationCodeOAuthProvider() = default;

Params AuthorizationCodeOAuthProvider::authorization_params(const AuthorizationContext& context) const {
  Params params{
      {"response_type", "code"}, {"client_id", context.config.client_id}, {"redirect_uri", context.redirect_uri}};
  if (!context.scopes.empty()) params.emplace_back("scope", join_scopes(context.scopes, spec().scope_separator));
  params.emplace_back("state", context.state);
  if (context.code_challenge) {
    params.emplace_back("code_challenge", *context.code_challenge);
    params.emplace_back("code_challenge_method", "S256");
  }
  return params;
}

ClientCredentialsOAuthProvider::ClientCredentialsOAuthProvider(ProviderSpec spec)
    : OAuthProvider([&] {
        spec.grant_type = GrantType::client_credentials;
        return std::move(spec);
      }()) {}
ClientCredentialsOAuthProvider::~ClientCredentialsOAuthProvider() = default;

}  // namespace tessera::sdk
