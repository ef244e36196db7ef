// The lifecycle of integrations: configure, connect (authorization code through a pending
// authorization, or client credentials), hand out access tokens, refresh them, disconnect,
// delete; and the custom providers of a workspace.
//
// Access tokens are refreshed when they expire within the refresh window. Refreshes are
// single-flight: concurrent callers in this process share one refresh, and across
// processes sharing the store a lease recorded in the integration's row (owner, expiry)
// lets exactly one do it while the others wait and re-read. A lease left behind by a
// crashed process expires and another takes over. New tokens (and a rotated refresh
// token) are committed in one transaction before any caller sees them.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tessera/core/oauth.hpp"
#include "tessera/core/registry.hpp"
#include "tessera/core/store.hpp"

namespace tessera::core {

enum class IntegrationStatus { not_configured, configured, connected, expired, reauth_required, error };
std::string_view to_string(IntegrationStatus status) noexcept;

struct ServiceOptions {
  std::chrono::seconds refresh_window{300};                // refresh when expiring within this
  std::chrono::seconds lease_duration{30};                 // how long a refresh lease holds
  std::chrono::seconds client_credentials_lifetime{3600};  // for tokens of unknown lifetime
  std::chrono::seconds pending_lifetime{600};              // of an authorization in progress
  std::chrono::milliseconds backoff_base{5000};            // after a transient refresh failure
  std::chrono::milliseconds backoff_max{300000};
  std::chrono::milliseconds lease_poll{50};  // how often waiters re-read
};

struct AccessToken {
  std::string token;
  std::string token_type;
  std::optional<TimePoint> expires_at;
};

struct ConnectStart {
  std::string authorization_url;
  std::string state;
  TimePoint expires_at;
};

struct CustomProviderRequest {
  std::string name;
  std::optional<std::string> requested_id;
  std::string description;
  sdk::GrantType grant_type = sdk::GrantType::authorization_code;
  // Either an issuer to discover (RFC 8414), or explicit endpoints.
  std::string issuer;
  std::string authorization_endpoint, token_endpoint, revocation_endpoint;
  std::vector<std::string> default_scopes;
  std::string scope_separator = " ";
  std::optional<bool> pkce;                    // default: on (or what discovery says)
  std::optional<sdk::ClientAuth> client_auth;  // default: basic (or what discovery says)
};

class IntegrationService {
 public:
  IntegrationService(Store& store, const ProviderRegistry& registry, const OAuthEngine& engine,
                     ServiceOptions options = {});

  const ServiceOptions& options() const noexcept { return options_; }

  // The provider, built-in or a custom provider of the workspace. Throws not_found.
  RegisteredProvider provider(const std::string& workspace, const std::string& provider_id, sdk::GrantType grant) const;

  // Validates the configuration with the provider and stores it. A config without a
  // client secret keeps the stored one.
  void configure(const IntegrationKey& key, const sdk::ProviderConfig& config, const std::string& actor);
  IntegrationStatus status(const IntegrationKey& key) const;
  std::optional<IntegrationRecord> find(const IntegrationKey& key) const { return store_.find_integration(key); }

  // Authorization code: records a pending authorization (single use, bound to workspace
  // and user, verifier sealed) and returns the URL to send the user to.
  ConnectStart begin_connect(const IntegrationKey& key, const std::string& user_id, const std::string& redirect_uri);
  // Completes from the callback: the state is consumed atomically, so a replayed or expired
  // state is refused; then the code is exchanged and the tokens stored. When `expected_user`
  // is given, the pending authorization must belong to that user. Returns the key.
  IntegrationKey complete_connect(const AuthorizationResponse& response,
                                  const std::optional<std::string>& expected_user, const std::string& actor);
  // Client credentials: fetches and stores a token (also the "test connection" operation).
  AccessToken connect_client_credentials(const IntegrationKey& key, const std::string& actor);

  // A usable access token, refreshed (single-flight) when needed.
  AccessToken access_token(const IntegrationKey& key);

  // Revokes at the provider when it can (returns the revocation problem, if any), then wipes
  // the tokens locally in any case.
  std::optional<std::string> disconnect(const IntegrationKey& key, const std::string& actor);
  // Removes the integration; for a custom_ provider its definition too.
  void remove(const IntegrationKey& key, const std::string& actor);

  CustomProviderDefinition create_custom_provider(const std::string& workspace, const CustomProviderRequest& request,
                                                  const std::string& actor);
  void update_custom_provider(const CustomProviderDefinition& definition, const std::string& actor);
  void delete_custom_provider(const std::string& workspace, const std::string& id, sdk::GrantType grant,
                              const std::string& actor);

 private:
  AccessToken refresh_single_flight(const IntegrationKey& key);
  AccessToken refresh_with_lease(const IntegrationKey& key);
  bool is_fresh(const IntegrationRecord& record, TimePoint now) const;
  TokenUpdate to_update(const TokenResult& result, const RegisteredProvider& provider,
                        const std::string& user_id) const;

  Store& store_;
  const ProviderRegistry& registry_;
  const OAuthEngine& engine_;
  ServiceOptions options_;
  std::string owner_id_;  // this process's lease identity

  struct Flight;
  std::mutex flights_mutex_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;
};

// A provider object for a custom provider definition (the registry's rules apply to it).
std::shared_ptr<const sdk::OAuthProvider> make_custom_provider(const CustomProviderDefinition& definition);

}  // namespace tessera::core
