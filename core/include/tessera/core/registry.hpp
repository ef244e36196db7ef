// The provider registry: every provider Tessera knows, keyed by (provider_id, grant_type).
// It is separate from the plugin loader, so tests and host applications can register
// provider objects directly. Registration validates the spec; a duplicate key is refused
// and the first registration kept. Listing is ordered by id, then grant type.
//
// Calls into provider code go through RegisteredProvider, which turns anything a plugin
// throws into a tessera::Error naming the provider, its file and the hook.
#pragma once

#include <compare>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "tessera/core/error.hpp"
#include "tessera/sdk/provider.hpp"

namespace tessera::core {

struct ProviderKey {
  std::string id;
  sdk::GrantType grant_type = sdk::GrantType::authorization_code;
  friend auto operator<=>(const ProviderKey&, const ProviderKey&) = default;
};

// "github (authorization_code)"
std::string to_string(const ProviderKey& key);

// Where a provider came from: the plugin file and its name, or the code that registered it.
struct ProviderOrigin {
  std::string source;  // plugin file path, or a description such as "registered by the host"
  std::string plugin_name;
  std::string plugin_version;
};

// A provider in the registry. Copying is cheap; the instance is shared and keeps the plugin
// library it came from alive.
class RegisteredProvider {
 public:
  RegisteredProvider(std::shared_ptr<const sdk::OAuthProvider> provider, ProviderOrigin origin);

  ProviderKey key() const { return {spec_.id, spec_.grant_type}; }
  const sdk::ProviderSpec& spec() const noexcept { return spec_; }
  const ProviderOrigin& origin() const noexcept { return origin_; }

  // The provider's hooks, guarded: whatever the plugin throws becomes
  // tessera::Error(provider_failed) naming the hook, except sdk::TokenResponseError from
  // parse_token_response, which passes through for the engine to classify.
  std::vector<std::string> validate_config(const sdk::ProviderConfig& config) const;
  sdk::Params authorization_params(const sdk::AuthorizationContext& context) const;
  sdk::Params token_params(const sdk::TokenRequestContext& context) const;
  sdk::TokenSet parse_token_response(const boost::json::object& body) const;

 private:
  template <class F>
  auto guarded(const char* hook, F&& call) const -> decltype(call());

  std::shared_ptr<const sdk::OAuthProvider> provider_;
  sdk::ProviderSpec spec_;  // copied once; spec() of the instance is never called again
  ProviderOrigin origin_;
};

// Checks a spec against the registry's rules and returns every problem, one sentence each:
// id ^[a-z][a-z0-9_]*$, metadata.id == id, https endpoints without user info whose {field}
// placeholders are declared config fields, an authorization endpoint for the authorization
// code grant, a token endpoint always, valid config field names. `custom` says whether
// the spec is a custom provider's, which must, and a built-in's, which must not, start
// with `custom_`.
std::vector<std::string> validate_spec(const sdk::ProviderSpec& spec, bool custom = false);

class ProviderRegistry {
 public:
  // Validates and adds a provider. Throws Error(invalid_spec) listing every problem, or
  // Error(duplicate_provider) naming where the existing registration came from.
  const RegisteredProvider& add(std::shared_ptr<const sdk::OAuthProvider> provider, ProviderOrigin origin);

  // nullptr when absent.
  const RegisteredProvider* find(const ProviderKey& key) const;
  // Every grant type registered under `id`, in grant order.
  std::vector<const RegisteredProvider*> find_all(std::string_view id) const;
  bool contains(const ProviderKey& key) const { return find(key) != nullptr; }

  // Ordered by id, then grant type; optionally only one grant type.
  std::vector<const RegisteredProvider*> list(std::optional<sdk::GrantType> grant = std::nullopt) const;
  std::size_t size() const;

 private:
  mutable std::shared_mutex mutex_;
  std::map<ProviderKey, RegisteredProvider> providers_;  // nodes are stable: pointers stay valid
};

}  // namespace tessera::core
