// Where integrations live: workspaces, integrations (configuration and tokens), custom
// provider definitions, pending authorizations and the audit trail. One interface, with
// SQLite (one file, the embedded default) behind it; every secret column is sealed by a
// KeyRing with its table, row and column as associated data, and every write is one
// transaction that also records its audit event.
//
// Workspaces isolate everything: every query is scoped to one, and a key from another
// workspace simply does not exist.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tessera/core/secret_box.hpp"
#include "tessera/sdk/spec.hpp"

namespace tessera::core {

using TimePoint = std::chrono::system_clock::time_point;

struct IntegrationKey {
  std::string workspace;
  std::string provider_id;
  sdk::GrantType grant_type = sdk::GrantType::authorization_code;

  // "workspace/provider/grant": the row identity sealed values are bound to.
  std::string row_identity() const;
};

struct IntegrationRecord {
  IntegrationKey key;
  std::string user_id;         // who connected it (authorization code)
  sdk::ProviderConfig config;  // with the client secret opened
  std::optional<std::string> access_token, refresh_token;
  std::string token_type;
  std::optional<TimePoint> expires_at;  // nullopt: does not expire, or no token
  std::vector<std::string> granted_scopes;
  bool reauth_required = false;
  std::string last_refresh_result;  // "", "ok", or the error class and message of the last failure
  int failure_count = 0;
  std::optional<TimePoint> next_attempt_at;  // backoff after a transient failure
  std::string lease_owner;
  std::optional<TimePoint> lease_expires_at;
  TimePoint created_at, updated_at;
};

// New tokens, as the engine produced them (expires_at already resolved by the service).
struct TokenUpdate {
  std::string access_token;
  std::optional<std::string> refresh_token;
  std::string token_type;
  std::optional<TimePoint> expires_at;
  std::vector<std::string> granted_scopes;
  std::string user_id;  // kept when empty
};

struct PendingAuthorization {
  std::string state;  // stored as its SHA-256 only
  std::string workspace, user_id, provider_id;
  sdk::GrantType grant_type = sdk::GrantType::authorization_code;
  std::string redirect_uri;
  std::string code_verifier;
  TimePoint expires_at;
};

struct CustomProviderDefinition {
  std::string workspace;
  std::string id;
  sdk::GrantType grant_type = sdk::GrantType::authorization_code;
  std::string name, description;
  std::string authorization_endpoint, token_endpoint, revocation_endpoint, issuer;
  std::vector<std::string> default_scopes;
  std::string scope_separator = " ";
  bool pkce = true;
  sdk::ClientAuth client_auth = sdk::ClientAuth::client_secret_basic;
  TimePoint created_at;
};

// What happened, by whom; never a secret value.
struct AuditEvent {
  std::string workspace;
  std::string event;  // connected, refreshed, refresh_failed, disconnected, configuration_changed, ...
  std::string provider_id;
  std::string grant_type;
  std::string actor;
  std::string detail;
  TimePoint at{};
};

class Store {
 public:
  virtual ~Store() = default;

  virtual void create_workspace(const std::string& name, const std::string& actor) = 0;  // conflict if it exists
  virtual std::vector<std::string> list_workspaces() = 0;
  virtual bool workspace_exists(const std::string& name) = 0;

  virtual std::optional<IntegrationRecord> find_integration(const IntegrationKey& key) = 0;
  virtual std::vector<IntegrationRecord> list_integrations(const std::string& workspace) = 0;
  // Creates or updates the configuration; tokens stay. Without a client secret in `config`
  // the stored one is kept.
  virtual void save_configuration(const IntegrationKey& key, const sdk::ProviderConfig& config,
                                  const AuditEvent& audit) = 0;
  // Stores new tokens, clears failures, reauth and the lease. With a non-empty
  // `lease_owner` only while that owner still holds the lease; returns false otherwise.
  virtual bool save_tokens(const IntegrationKey& key, const TokenUpdate& tokens, const std::string& lease_owner,
                           const AuditEvent& audit) = 0;
  // Records a failed refresh. `reauth` clears the refresh token and flags the integration.
  virtual void record_refresh_failure(const IntegrationKey& key, const std::string& result, bool reauth,
                                      std::optional<TimePoint> next_attempt_at, const std::string& lease_owner,
                                      const AuditEvent& audit) = 0;
  // Takes the refresh lease when nobody holds it or the holder's lease expired.
  virtual bool try_acquire_lease(const IntegrationKey& key, const std::string& owner, TimePoint until,
                                 TimePoint now) = 0;
  virtual void release_lease(const IntegrationKey& key, const std::string& owner) = 0;
  virtual void wipe_tokens(const IntegrationKey& key, const AuditEvent& audit) = 0;
  virtual bool delete_integration(const IntegrationKey& key, const AuditEvent& audit) = 0;

  virtual void put_pending(const PendingAuthorization& pending) = 0;
  // Removes and returns the pending authorization of `state` in one step, so a state can be
  // used once; nullopt when unknown or already used (expiry is the caller's to check).
  virtual std::optional<PendingAuthorization> take_pending(const std::string& state) = 0;

  // conflict when (workspace, id, grant_type) is taken.
  virtual void insert_custom_provider(const CustomProviderDefinition& def, const AuditEvent& audit) = 0;
  virtual void update_custom_provider(const CustomProviderDefinition& def, const AuditEvent& audit) = 0;
  virtual std::optional<CustomProviderDefinition> find_custom_provider(const std::string& workspace,
                                                                       const std::string& id, sdk::GrantType grant) = 0;
  virtual std::vector<CustomProviderDefinition> list_custom_providers(const std::string& workspace) = 0;
  // Also removes the integration of that provider.
  virtual bool delete_custom_provider(const std::string& workspace, const std::string& id, sdk::GrantType grant,
                                      const AuditEvent& audit) = 0;

  virtual void audit(const AuditEvent& event) = 0;
  virtual std::vector<AuditEvent> audit_events(const std::optional<std::string>& workspace) = 0;

  // Re-encrypts every sealed value under `ring`'s newest key in one transaction; returns
  // how many values were rewritten. Afterwards the store uses `ring`.
  virtual std::size_t reencrypt(const KeyRing& ring) = 0;
};

struct StoreOptions {
  std::chrono::milliseconds busy_timeout{10000};
};

// Opens (creating when needed, mode 0600) and migrates a SQLite database. Throws
// Error(configuration) when the database is newer than this binary or its keys are not
// among `keys`, without changing anything.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file, KeyRing keys, StoreOptions options = {});

// The schema version this binary writes.
int sqlite_schema_version();

// TESSERA_DB, else ${TESSERA_HOME}/tessera.db, else ${XDG_DATA_HOME:-~/.local/share}/tessera/tessera.db.
std::filesystem::path default_database_path();
// The key file used with a database: tessera.key beside it.
std::filesystem::path key_file_for(const std::filesystem::path& database);

}  // namespace tessera::core
