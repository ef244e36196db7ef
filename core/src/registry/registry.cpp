#include "tessera/core/registry.hpp"

#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>
#include <mutex>
#include <set>

namespace tessera::core {
namespace {

bool is_identifier(std::string_view s) noexcept {
  if (s.empty() || s.front() < 'a' || s.front() > 'z') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

const sdk::ConfigField* find_field(const sdk::ProviderSpec& spec, std::string_view name) {
  for (const auto& f : spec.config_fields)
    if (f.name == name) return &f;
  return nullptr;
}

// Validates one endpoint; appends problems. Placeholders are checked, then replaced by a
// harmless label so the rest of the URL can be parsed.
void check_endpoint(const sdk::ProviderSpec& spec, std::string_view what, const std::string& url,
                    std::vector<std::string>& problems) {
  std::string concrete;
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (url[i] == '}') {
      problems.push_back(std::string(what) + " has an unmatched '}'");
      return;
    }
    if (url[i] != '{') {
      concrete += url[i];
      continue;
    }
    std::size_t close = url.find('}', i);
    if (close == std::string::npos) {
      problems.push_back(std::string(what) + " has an unmatched '{'");
      return;
    }
    std::string name = url.substr(i + 1, close - i - 1);
    const sdk::ConfigField* field = find_field(spec, name);
    if (!field) {
      problems.push_back(std::string(what) + " uses {" + name + "}, which is not a declared config field");
    } else if (field->kind != sdk::FieldKind::host_label && field->kind != sdk::FieldKind::dns_name) {
      problems.push_back(std::string(what) + " uses {" + name + "}, a " + std::string(sdk::to_string(field->kind)) +
                         " field; only host_label and dns_name fields may be placed in a URL");
    }
    concrete += "placeholder";
    i = close;
  }
  auto parsed = boost::urls::parse_uri(concrete);
  if (!parsed) {
    problems.push_back(std::string(what) + " '" + url + "' is not an absolute URL");
    return;
  }
  if (parsed->scheme_id() != boost::urls::scheme::https)
    problems.push_back(std::string(what) + " '" + url + "' must use https");
  if (parsed->has_userinfo()) problems.push_back(std::string(what) + " must not contain user information");
  if (parsed->encoded_host().empty()) problems.push_back(std::string(what) + " '" + url + "' has no host");
  if (parsed->has_fragment()) problems.push_back(std::string(what) + " must not contain a fragment (RFC 6749 §3.1)");
}

std::string describe(const ProviderOrigin& origin) {
  if (origin.plugin_name.empty()) return origin.source;
  return origin.source + " (plugin " + origin.plugin_name + ")";
}

}  // namespace

std::string to_string(const ProviderKey& key) {
  return key.id + " (" + std::string(sdk::to_string(key.grant_type)) + ")";
}

std::vector<std::string> validate_spec(const sdk::ProviderSpec& spec, bool custom) {
  std::vector<std::string> problems;
  if (!is_identifier(spec.id)) problems.push_back("id '" + spec.id + "' must match ^[a-z][a-z0-9_]*$");
  if (spec.metadata.id != spec.id)
    problems.push_back("metadata.id '" + spec.metadata.id + "' differs from id '" + spec.id + "'");
  if (spec.metadata.name.empty()) problems.push_back("metadata.name is empty");
  const bool has_prefix = spec.id.rfind("custom_", 0) == 0;
  if (custom && !has_prefix) problems.push_back("custom provider id '" + spec.id + "' must start with custom_");
  if (!custom && has_prefix)
    problems.push_back("id '" + spec.id + "' uses the custom_ prefix, which is reserved for custom providers");
  if (spec.scope_separator.empty()) problems.push_back("scope_separator is empty");

  std::set<std::string> names;
  for (const auto& f : spec.config_fields) {
    if (!is_identifier(f.name)) problems.push_back("config field name '" + f.name + "' must match ^[a-z][a-z0-9_]*$");
    if (!names.insert(f.name).second) problems.push_back("config field '" + f.name + "' is declared twice");
    if (f.default_value)
      if (auto bad = sdk::check_field_value(f, *f.default_value))
        problems.push_back("default of config field '" + f.name + "': " + *bad);
  }

  if (spec.grant_type == sdk::GrantType::authorization_code) {
    if (spec.authorization_endpoint.empty())
      problems.emplace_back("authorization_endpoint is required for the authorization code grant");
    else
      check_endpoint(spec, "authorization_endpoint", spec.authorization_endpoint, problems);
  } else if (!spec.authorization_endpoint.empty()) {
    problems.emplace_back("authorization_endpoint is set but the grant is client_credentials");
  }
  if (spec.token_endpoint.empty())
    problems.emplace_back("token_endpoint is required");
  else
    check_endpoint(spec, "token_endpoint", spec.token_endpoint, problems);
  if (!spec.revocation_endpoint.empty())
    check_endpoint(spec, "revocation_endpoint", spec.revocation_endpoint, problems);
  if (!spec.issuer.empty()) check_endpoint(spec, "issuer", spec.issuer, problems);
  return problems;
}

RegisteredProvider::RegisteredProvider(std::shared_ptr<const sdk::OAuthProvider> provider, ProviderOrigin origin)
    : provider_(std::move(provider)), spec_(provider_->spec()), origin_(std::move(origin)) {}

template <class F>
auto RegisteredProvider::guarded(const char* hook, F&& call) const -> decltype(call()) {
  auto failure = [&](const std::string& what) {
    return Error(ErrorCode::provider_failed,
                 "provider " + to_string(key()) + " from " + describe(origin_) + " failed in " + hook + ": " + what);
  };
  try {
    return call();
  } catch (const sdk::TokenResponseError&) {
    throw;
  } catch (const std::exception& e) {
    throw failure(e.what());
  } catch (...) {
    throw failure("it threw a non-standard exception");
  }
}

std::vector<std::string> RegisteredProvider::validate_config(const sdk::ProviderConfig& config) const {
  return guarded("validate_config", [&] { return provider_->validate_config(config); });
}

sdk::Params RegisteredProvider::authorization_params(const sdk::AuthorizationContext& context) const {
  auto* ac = dynamic_cast<const sdk::AuthorizationCodeOAuthProvider*>(provider_.get());
  if (!ac)
    throw Error(ErrorCode::invalid_argument,
                "provider " + to_string(key()) + " does not use the authorization code grant");
  return guarded("authorization_params", [&] { return ac->authorization_params(context); });
}

sdk::Params RegisteredProvider::token_params(const sdk::TokenRequestContext& context) const {
  return guarded("token_params", [&] { return provider_->token_params(context); });
}

sdk::TokenSet RegisteredProvider::parse_token_response(const boost::json::object& body) const {
  return guarded("parse_token_response", [&] { return provider_->parse_token_response(body); });
}

const RegisteredProvider& ProviderRegistry::add(std::shared_ptr<const sdk::OAuthProvider> provider,
                                                ProviderOrigin origin) {
  if (!provider) throw Error(ErrorCode::invalid_argument, "cannot register a null provider");
  const sdk::ProviderSpec& spec = provider->spec();
  if (auto problems = validate_spec(spec); !problems.empty())
    throw problems_error(ErrorCode::invalid_spec, "invalid spec for provider '" + spec.id + "'", problems);
  ProviderKey key{spec.id, spec.grant_type};
  std::unique_lock lock(mutex_);
  if (auto it = providers_.find(key); it != providers_.end())
    throw Error(ErrorCode::duplicate_provider, "provider " + to_string(key) + " from " + describe(origin) +
                                                   " is already registered by " + describe(it->second.origin()) +
                                                   "; the first registration is kept");
  auto [it, inserted] = providers_.emplace(key, RegisteredProvider(std::move(provider), std::move(origin)));
  return it->second;
}

const RegisteredProvider* ProviderRegistry::find(const ProviderKey& key) const {
  std::shared_lock lock(mutex_);
  auto it = providers_.find(key);
  return it == providers_.end() ? nullptr : &it->second;
}

std::vector<const RegisteredProvider*> ProviderRegistry::find_all(std::string_view id) const {
  std::shared_lock lock(mutex_);
  std::vector<const RegisteredProvider*> out;
  for (auto it = providers_.lower_bound(ProviderKey{std::string(id), sdk::GrantType::authorization_code});
       it != providers_.end() && it->first.id == id; ++it)
    out.push_back(&it->second);
  return out;
}

std::vector<const RegisteredProvider*> ProviderRegistry::list(std::optional<sdk::GrantType> grant) const {
  std::shared_lock lock(mutex_);
  std::vector<const RegisteredProvider*> out;
  for (const auto& [key, entry] : providers_)
    if (!grant || key.grant_type == *grant) out.push_back(&entry);
  return out;
}

std::size_t ProviderRegistry::size() const {
  std::shared_lock lock(mutex_);
  return providers_.size();
}

}  // namespace tessera::core
