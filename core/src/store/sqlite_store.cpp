// The SQLite backend of Store (SQLiteCpp). One connection per Store, guarded by a mutex:
// statements are short and never wait on the network. Several processes may share the file:
// WAL mode, a busy timeout, and BEGIN IMMEDIATE for every write.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "tessera/core/crypto.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/store.hpp"

namespace tessera::core {
namespace {

namespace json = boost::json;
using Clock = std::chrono::system_clock;

// Numbered migrations; each runs once, in order, inside the start-up transaction.
const std::vector<const char*> kMigrations = {
    // 1: the initial schema
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE workspaces (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE integrations (
  workspace TEXT NOT NULL REFERENCES workspaces(name) ON DELETE CASCADE,
  provider_id TEXT NOT NULL,
  grant_type TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  client_id TEXT NOT NULL DEFAULT '',
  client_secret BLOB,
  authorization_endpoint TEXT,
  token_endpoint TEXT,
  revocation_endpoint TEXT,
  scopes TEXT,
  config_values TEXT NOT NULL DEFAULT '{}',
  access_token BLOB,
  refresh_token BLOB,
  token_type TEXT NOT NULL DEFAULT '',
  expires_at INTEGER,
  granted_scopes TEXT NOT NULL DEFAULT '[]',
  reauth_required INTEGER NOT NULL DEFAULT 0,
  last_refresh_result TEXT NOT NULL DEFAULT '',
  failure_count INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, provider_id, grant_type));
CREATE TABLE custom_providers (
  workspace TEXT NOT NULL REFERENCES workspaces(name) ON DELETE CASCADE,
  id TEXT NOT NULL,
  grant_type TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  authorization_endpoint TEXT NOT NULL DEFAULT '',
  token_endpoint TEXT NOT NULL,
  revocation_endpoint TEXT NOT NULL DEFAULT '',
  issuer TEXT NOT NULL DEFAULT '',
  default_scopes TEXT NOT NULL DEFAULT '[]',
  scope_separator TEXT NOT NULL DEFAULT ' ',
  pkce INTEGER NOT NULL,
  client_auth TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace, id, grant_type));
CREATE TABLE pending_authorizations (
  state_hash TEXT PRIMARY KEY,
  workspace TEXT NOT NULL REFERENCES workspaces(name) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  grant_type TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_verifier BLOB,
  expires_at INTEGER NOT NULL);
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  workspace TEXT NOT NULL,
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  provider_id TEXT NOT NULL DEFAULT '',
  grant_type TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '');
CREATE INDEX audit_events_by_workspace ON audit_events (workspace, id);
)sql",
};

constexpr const char* kIntegrationColumns =
    "workspace, provider_id, grant_type, user_id, client_id, client_secret, authorization_endpoint, token_endpoint, "
    "revocation_endpoint, scopes, config_values, access_token, refresh_token, token_type, expires_at, granted_scopes, "
    "reauth_required, last_refresh_result, failure_count, next_attempt_at, lease_owner, lease_expires_at, created_at, "
    "updated_at";

std::int64_t millis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint from_millis(std::int64_t ms) {
  return TimePoint(std::chrono::milliseconds(ms));
}

std::string to_json(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return json::serialize(a);
}
std::vector<std::string> strings_from_json(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (!ec && v.is_array())
    for (const auto& s : v.get_array())
      if (s.is_string()) out.emplace_back(s.get_string());
  return out;
}
std::string map_to_json(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return json::serialize(o);
}
std::map<std::string, std::string> map_from_json(const std::string& text) {
  std::map<std::string, std::string> out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (!ec && v.is_object())
    for (const auto& [k, val] : v.get_object())
      if (val.is_string()) out[std::string(k)] = std::string(val.get_string());
  return out;
}

std::string hex_sha256(std::string_view text) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : crypto::sha256(text)) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

sdk::GrantType grant_of(const std::string& text) {
  auto g = sdk::parse_grant_type(text);
  if (!g) throw Error(ErrorCode::internal, "the database holds an unknown grant type '" + text + "'");
  return *g;
}

void bind_optional(SQLite::Statement& q, int index, const std::optional<std::string>& v) {
  if (v)
    q.bind(index, *v);
  else
    q.bind(index);
}
void bind_optional_time(SQLite::Statement& q, int index, const std::optional<TimePoint>& v) {
  if (v)
    q.bind(index, static_cast<std::int64_t>(millis(*v)));
  else
    q.bind(index);
}
void bind_blob(SQLite::Statement& q, int index, const std::optional<std::string>& v) {
  if (v)
    q.bind(index, v->data(), static_cast<int>(v->size()));
  else
    q.bind(index);
}
std::optional<std::string> column_blob(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(c.getBytes()));
}
std::optional<std::string> column_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
std::optional<TimePoint> column_time(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return from_millis(c.getInt64());
}

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& file, KeyRing keys, StoreOptions options)
      : keys_(std::move(keys)),
        db_(prepare_file(file), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
            static_cast<int>(options.busy_timeout.count())) {
    db_.exec("PRAGMA foreign_keys = ON");
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("PRAGMA synchronous = NORMAL");
    migrate();
  }

  // ---- workspaces ----
  void create_workspace(const std::string& name, const std::string& actor) override {
    check_workspace_name(name);
    write([&] {
      SQLite::Statement exists(db_, "SELECT 1 FROM workspaces WHERE name = ?");
      exists.bind(1, name);
      if (exists.executeStep()) throw Error(ErrorCode::conflict, "workspace '" + name + "' already exists");
      SQLite::Statement q(db_, "INSERT INTO workspaces (name, created_at) VALUES (?, ?)");
      q.bind(1, name);
      q.bind(2, static_cast<std::int64_t>(millis(Clock::now())));
      q.exec();
      insert_audit({name, "workspace_created", "", "", actor, "", {}});
    });
  }

  std::vector<std::string> list_workspaces() override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    SQLite::Statement q(db_, "SELECT name FROM workspaces ORDER BY name");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  }

  bool workspace_exists(const std::string& name) override {
    std::lock_guard lock(mutex_);
    return workspace_exists_locked(name);
  }

  // ---- integrations ----
  std::optional<IntegrationRecord> find_integration(const IntegrationKey& key) override {
    std::lock_guard lock(mutex_);
    SQLite::Statement q(db_, std::string("SELECT ") + kIntegrationColumns +
                                 " FROM integrations WHERE workspace = ? AND provider_id = ? AND grant_type = ?");
    bind_key(q, key);
    if (!q.executeStep()) return std::nullopt;
    return read_integration(q);
  }

  std::vector<IntegrationRecord> list_integrations(const std::string& workspace) override {
    std::lock_guard lock(mutex_);
    std::vector<IntegrationRecord> out;
    SQLite::Statement q(db_, std::string("SELECT ") + kIntegrationColumns +
                                 " FROM integrations WHERE workspace = ? ORDER BY provider_id, grant_type");
    q.bind(1, workspace);
    while (q.executeStep()) out.push_back(read_integration(q));
    return out;
  }

  void save_configuration(const IntegrationKey& key, const sdk::ProviderConfig& config,
                          const AuditEvent& audit) override {
    write([&] {
      require_workspace(key.workspace);
      const auto now = static_cast<std::int64_t>(millis(Clock::now()));
      std::optional<std::string> sealed_secret;
      if (config.client_secret) sealed_secret = keys_.seal(*config.client_secret, slot(key, "client_secret"));
      SQLite::Statement q(db_, R"sql(
INSERT INTO integrations (workspace, provider_id, grant_type, client_id, client_secret, authorization_endpoint,
                          token_endpoint, revocation_endpoint, scopes, config_values, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
ON CONFLICT (workspace, provider_id, grant_type) DO UPDATE SET
  client_id = excluded.client_id,
  client_secret = COALESCE(excluded.client_secret, integrations.client_secret),
  authorization_endpoint = excluded.authorization_endpoint,
  token_endpoint = excluded.token_endpoint,
  revocation_endpoint = excluded.revocation_endpoint,
  scopes = excluded.scopes,
  config_values = excluded.config_values,
  reauth_required = 0,
  updated_at = excluded.updated_at)sql");
      bind_key(q, key);
      q.bind(4, config.client_id);
      bind_blob(q, 5, sealed_secret);
      bind_optional(q, 6, config.authorization_endpoint);
      bind_optional(q, 7, config.token_endpoint);
      bind_optional(q, 8, config.revocation_endpoint);
      bind_optional(q, 9, config.scopes ? std::optional<std::string>(to_json(*config.scopes)) : std::nullopt);
      q.bind(10, map_to_json(config.values));
      q.bind(11, now);
      q.exec();
      insert_audit(audit);
    });
  }

  bool save_tokens(const IntegrationKey& key, const TokenUpdate& t, const std::string& lease_owner,
                   const AuditEvent& audit) override {
    bool saved = false;
    write([&] {
      std::string sql = R"sql(
UPDATE integrations SET access_token = ?4, refresh_token = ?5, token_type = ?6, expires_at = ?7, granted_scopes = ?8,
  user_id = CASE WHEN ?9 = '' THEN user_id ELSE ?9 END, reauth_required = 0, last_refresh_result = 'ok',
  failure_count = 0, next_attempt_at = NULL, lease_owner = '', lease_expires_at = NULL, updated_at = ?10
WHERE workspace = ?1 AND provider_id = ?2 AND grant_type = ?3)sql";
      if (!lease_owner.empty()) sql += " AND lease_owner = ?11";
      SQLite::Statement q(db_, sql);
      bind_key(q, key);
      bind_blob(q, 4, keys_.seal(t.access_token, slot(key, "access_token")));
      bind_blob(q, 5,
                t.refresh_token ? std::optional<std::string>(keys_.seal(*t.refresh_token, slot(key, "refresh_token")))
                                : std::nullopt);
      q.bind(6, t.token_type);
      bind_optional_time(q, 7, t.expires_at);
      q.bind(8, to_json(t.granted_scopes));
      q.bind(9, t.user_id);
      q.bind(10, static_cast<std::int64_t>(millis(Clock::now())));
      if (!lease_owner.empty()) q.bind(11, lease_owner);
      saved = q.exec() == 1;
      if (saved) insert_audit(audit);
    });
    return saved;
  }

  void record_refresh_failure(const IntegrationKey& key, const std::string& result, bool reauth,
                              std::optional<TimePoint> next_attempt_at, const std::string& lease_owner,
                              const AuditEvent& audit) override {
    write([&] {
      SQLite::Statement q(db_, R"sql(
UPDATE integrations SET last_refresh_result = ?4, failure_count = failure_count + 1, next_attempt_at = ?5,
  reauth_required = CASE WHEN ?6 THEN 1 ELSE reauth_required END,
  refresh_token = CASE WHEN ?6 THEN NULL ELSE refresh_token END,
  lease_owner = CASE WHEN lease_owner = ?7 THEN '' ELSE lease_owner END,
  lease_expires_at = CASE WHEN lease_owner = ?7 THEN NULL ELSE lease_expires_at END,
  updated_at = ?8
WHERE workspace = ?1 AND provider_id = ?2 AND grant_type = ?3)sql");
      bind_key(q, key);
      q.bind(4, result);
      bind_optional_time(q, 5, next_attempt_at);
      q.bind(6, reauth ? 1 : 0);
      q.bind(7, lease_owner);
      q.bind(8, static_cast<std::int64_t>(millis(Clock::now())));
      q.exec();
      insert_audit(audit);
    });
  }

  bool try_acquire_lease(const IntegrationKey& key, const std::string& owner, TimePoint until, TimePoint now) override {
    bool taken = false;
    write([&] {
      SQLite::Statement q(db_, R"sql(
UPDATE integrations SET lease_owner = ?4, lease_expires_at = ?5
WHERE workspace = ?1 AND provider_id = ?2 AND grant_type = ?3
  AND (lease_owner = '' OR lease_owner = ?4 OR lease_expires_at IS NULL OR lease_expires_at <= ?6))sql");
      bind_key(q, key);
      q.bind(4, owner);
      q.bind(5, static_cast<std::int64_t>(millis(until)));
      q.bind(6, static_cast<std::int64_t>(millis(now)));
      taken = q.exec() == 1;
    });
    return taken;
  }

  void release_lease(const IntegrationKey& key, const std::string& owner) override {
    write([&] {
      SQLite::Statement q(db_, R"sql(
UPDATE integrations SET lease_owner = '', lease_expires_at = NULL
WHERE workspace = ?1 AND provider_id = ?2 AND grant_type = ?3 AND lease_owner = ?4)sql");
      bind_key(q, key);
      q.bind(4, owner);
      q.exec();
    });
  }

  void wipe_tokens(const IntegrationKey& key, const AuditEvent& audit) override {
    write([&] {
      SQLite::Statement q(db_, R"sql(
UPDATE integrations SET access_token = NULL, refresh_token = NULL, token_type = '', expires_at = NULL,
  granted_scopes = '[]', reauth_required = 0, last_refresh_result = '', failure_count = 0, next_attempt_at = NULL,
  lease_owner = '', lease_expires_at = NULL, updated_at = ?4
WHERE workspace = ?1 AND provider_id = ?2 AND grant_type = ?3)sql");
      bind_key(q, key);
      q.bind(4, static_cast<std::int64_t>(millis(Clock::now())));
      q.exec();
      insert_audit(audit);
    });
  }

  bool delete_integration(const IntegrationKey& key, const AuditEvent& audit) override {
    bool deleted = false;
    write([&] {
      SQLite::Statement q(db_, "DELETE FROM integrations WHERE workspace = ? AND provider_id = ? AND grant_type = ?");
      bind_key(q, key);
      deleted = q.exec() == 1;
      if (deleted) insert_audit(audit);
    });
    return deleted;
  }

  // ---- pending authorizations ----
  void put_pending(const PendingAuthorization& p) override {
    write([&] {
      require_workspace(p.workspace);
      const std::string hash = hex_sha256(p.state);
      // Expired ones are of no use to anybody; sweep them while here.
      SQLite::Statement sweep(db_, "DELETE FROM pending_authorizations WHERE expires_at < ?");
      sweep.bind(1, static_cast<std::int64_t>(millis(Clock::now())));
      sweep.exec();
      SQLite::Statement q(db_, R"sql(
INSERT INTO pending_authorizations (state_hash, workspace, user_id, provider_id, grant_type, redirect_uri,
                                    code_verifier, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?))sql");
      q.bind(1, hash);
      q.bind(2, p.workspace);
      q.bind(3, p.user_id);
      q.bind(4, p.provider_id);
      q.bind(5, std::string(sdk::to_string(p.grant_type)));
      q.bind(6, p.redirect_uri);
      bind_blob(q, 7,
                p.code_verifier.empty() ? std::nullopt
                                        : std::optional<std::string>(keys_.seal(p.code_verifier, pending_slot(hash))));
      q.bind(8, static_cast<std::int64_t>(millis(p.expires_at)));
      q.exec();
    });
  }

  std::optional<PendingAuthorization> take_pending(const std::string& state) override {
    std::optional<PendingAuthorization> out;
    write([&] {
      const std::string hash = hex_sha256(state);
      SQLite::Statement q(db_, R"sql(
DELETE FROM pending_authorizations WHERE state_hash = ?
RETURNING workspace, user_id, provider_id, grant_type, redirect_uri, code_verifier, expires_at)sql");
      q.bind(1, hash);
      if (!q.executeStep()) return;
      PendingAuthorization p;
      p.state = state;
      p.workspace = q.getColumn(0).getString();
      p.user_id = q.getColumn(1).getString();
      p.provider_id = q.getColumn(2).getString();
      p.grant_type = grant_of(q.getColumn(3).getString());
      p.redirect_uri = q.getColumn(4).getString();
      if (auto v = column_blob(q.getColumn(5))) p.code_verifier = keys_.open(*v, pending_slot(hash));
      p.expires_at = from_millis(q.getColumn(6).getInt64());
      while (q.executeStep()) {
      }
      out = std::move(p);
    });
    return out;
  }

  // ---- custom providers ----
  void insert_custom_provider(const CustomProviderDefinition& d, const AuditEvent& audit) override {
    write([&] {
      require_workspace(d.workspace);
      SQLite::Statement q(db_, R"sql(
INSERT INTO custom_providers (workspace, id, grant_type, name, description, authorization_endpoint, token_endpoint,
  revocation_endpoint, issuer, default_scopes, scope_separator, pkce, client_auth, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
      bind_definition(q, d);
      q.bind(14, static_cast<std::int64_t>(millis(Clock::now())));
      try {
        q.exec();
      } catch (const SQLite::Exception& e) {
        if (e.getErrorCode() == SQLITE_CONSTRAINT)
          throw Error(ErrorCode::conflict, "custom provider '" + d.id + "' (" +
                                               std::string(sdk::to_string(d.grant_type)) +
                                               ") already exists in workspace '" + d.workspace + "'");
        throw;
      }
      insert_audit(audit);
    });
  }

  void update_custom_provider(const CustomProviderDefinition& d, const AuditEvent& audit) override {
    write([&] {
      SQLite::Statement q(db_, R"sql(
UPDATE custom_providers SET name = ?4, description = ?5, authorization_endpoint = ?6, token_endpoint = ?7,
  revocation_endpoint = ?8, issuer = ?9, default_scopes = ?10, scope_separator = ?11, pkce = ?12, client_auth = ?13
WHERE workspace = ?1 AND id = ?2 AND grant_type = ?3)sql");
      bind_definition(q, d);
      if (q.exec() != 1)
        throw Error(ErrorCode::not_found, "no custom provider '" + d.id + "' in workspace '" + d.workspace + "'");
      insert_audit(audit);
    });
  }

  std::optional<CustomProviderDefinition> find_custom_provider(const std::string& workspace, const std::string& id,
                                                               sdk::GrantType grant) override {
    std::lock_guard lock(mutex_);
    SQLite::Statement q(db_, "SELECT * FROM custom_providers WHERE workspace = ? AND id = ? AND grant_type = ?");
    q.bind(1, workspace);
    q.bind(2, id);
    q.bind(3, std::string(sdk::to_string(grant)));
    if (!q.executeStep()) return std::nullopt;
    return read_definition(q);
  }

  std::vector<CustomProviderDefinition> list_custom_providers(const std::string& workspace) override {
    std::lock_guard lock(mutex_);
    std::vector<CustomProviderDefinition> out;
    SQLite::Statement q(db_, "SELECT * FROM custom_providers WHERE workspace = ? ORDER BY id, grant_type");
    q.bind(1, workspace);
    while (q.executeStep()) out.push_back(read_definition(q));
    return out;
  }

  bool delete_custom_provider(const std::string& workspace, const std::string& id, sdk::GrantType grant,
                              const AuditEvent& audit) override {
    bool deleted = false;
    write([&] {
      auto run = [&](const char* sql) {
        SQLite::Statement q(db_, sql);
        q.bind(1, workspace);
        q.bind(2, id);
        q.bind(3, std::string(sdk::to_string(grant)));
        return q.exec();
      };
      run("DELETE FROM integrations WHERE workspace = ? AND provider_id = ? AND grant_type = ?");
      deleted = run("DELETE FROM custom_providers WHERE workspace = ? AND id = ? AND grant_type = ?") == 1;
      if (deleted) insert_audit(audit);
    });
    return deleted;
  }

  // ---- audit ----
  void audit(const AuditEvent& event) override {
    write([&] { insert_audit(event); });
  }

  std::vector<AuditEvent> audit_events(const std::optional<std::string>& workspace) override {
    std::lock_guard lock(mutex_);
    std::vector<AuditEvent> out;
    SQLite::Statement q(db_, workspace ? "SELECT workspace, event, provider_id, grant_type, actor, detail, at FROM "
                                         "audit_events WHERE workspace = ? ORDER BY id"
                                       : "SELECT workspace, event, provider_id, grant_type, actor, detail, at FROM "
                                         "audit_events ORDER BY id");
    if (workspace) q.bind(1, *workspace);
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                     q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getString(),
                     from_millis(q.getColumn(6).getInt64())});
    return out;
  }

  // ---- keys ----
  std::size_t reencrypt(const KeyRing& ring) override {
    std::size_t count = 0;
    write([&] {
      SQLite::Statement rows(db_,
                             "SELECT workspace, provider_id, grant_type, client_secret, access_token, "
                             "refresh_token FROM integrations");
      struct Row {
        IntegrationKey key;
        std::optional<std::string> values[3];
      };
      std::vector<Row> all;
      while (rows.executeStep()) {
        Row r{{rows.getColumn(0).getString(), rows.getColumn(1).getString(), grant_of(rows.getColumn(2).getString())},
              {column_blob(rows.getColumn(3)), column_blob(rows.getColumn(4)), column_blob(rows.getColumn(5))}};
        all.push_back(std::move(r));
      }
      const char* columns[3] = {"client_secret", "access_token", "refresh_token"};
      for (auto& r : all)
        for (int i = 0; i < 3; ++i) {
          if (!r.values[i]) continue;
          std::string plain = ring.open(*r.values[i], slot(r.key, columns[i]));
          SQLite::Statement u(db_, std::string("UPDATE integrations SET ") + columns[i] +
                                       " = ? WHERE workspace = ? AND provider_id = ? AND grant_type = ?");
          std::string sealed = ring.seal(plain, slot(r.key, columns[i]));
          u.bind(1, sealed.data(), static_cast<int>(sealed.size()));
          u.bind(2, r.key.workspace);
          u.bind(3, r.key.provider_id);
          u.bind(4, std::string(sdk::to_string(r.key.grant_type)));
          u.exec();
          ++count;
        }
      SQLite::Statement pending(db_,
                                "SELECT state_hash, code_verifier FROM pending_authorizations WHERE code_verifier "
                                "IS NOT NULL");
      std::vector<std::pair<std::string, std::string>> verifiers;
      while (pending.executeStep())
        verifiers.emplace_back(pending.getColumn(0).getString(), *column_blob(pending.getColumn(1)));
      for (auto& [hash, sealed_old] : verifiers) {
        std::string sealed = ring.seal(ring.open(sealed_old, pending_slot(hash)), pending_slot(hash));
        SQLite::Statement u(db_, "UPDATE pending_authorizations SET code_verifier = ? WHERE state_hash = ?");
        u.bind(1, sealed.data(), static_cast<int>(sealed.size()));
        u.bind(2, hash);
        u.exec();
        ++count;
      }
      write_canary(ring);
    });
    keys_ = ring;
    return count;
  }

 private:
  std::mutex mutex_;
  KeyRing keys_;
  SQLite::Database db_;

  static std::string prepare_file(const std::filesystem::path& file) {
    std::error_code ec;
    if (file.has_parent_path() && !std::filesystem::exists(file.parent_path(), ec)) {
      std::filesystem::create_directories(file.parent_path(), ec);
      if (ec) throw Error(ErrorCode::io_error, "cannot create " + file.parent_path().string() + ": " + ec.message());
      ::chmod(file.parent_path().c_str(), 0700);
    }
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
      throw Error(ErrorCode::io_error, "cannot open the database " + file.string() + ": " + std::strerror(errno));
    ::fchmod(fd, 0600);  // secrets are sealed, but their metadata is nobody else's business either
    ::close(fd);
    return file.string();
  }

  static void check_workspace_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64;
    for (char c : name)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  c == '.');
    if (!ok)
      throw Error(ErrorCode::invalid_argument,
                  "workspace name '" + name + "' must be 1 to 64 letters, digits, '-', '_' or '.'");
  }

  template <class F>
  void write(F&& body) {
    std::lock_guard lock(mutex_);
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    body();
    tx.commit();
  }

  bool workspace_exists_locked(const std::string& name) {
    SQLite::Statement q(db_, "SELECT 1 FROM workspaces WHERE name = ?");
    q.bind(1, name);
    return q.executeStep();
  }

  void require_workspace(const std::string& name) {
    if (!workspace_exists_locked(name))
      throw Error(ErrorCode::not_found,
                  "no workspace '" + name + "'; create it with `tessera workspaces create " + name + "`");
  }

  static SecretSlot slot(const IntegrationKey& key, std::string_view column) {
    return SecretSlot{"integrations", key.row_identity(), column};
  }
  static SecretSlot pending_slot(const std::string& hash) {
    return SecretSlot{"pending_authorizations", hash, "code_verifier"};
  }

  static void bind_key(SQLite::Statement& q, const IntegrationKey& key) {
    q.bind(1, key.workspace);
    q.bind(2, key.provider_id);
    q.bind(3, std::string(sdk::to_string(key.grant_type)));
  }

  static void bind_definition(SQLite::Statement& q, const CustomProviderDefinition& d) {
    q.bind(1, d.workspace);
    q.bind(2, d.id);
    q.bind(3, std::string(sdk::to_string(d.grant_type)));
    q.bind(4, d.name);
    q.bind(5, d.description);
    q.bind(6, d.authorization_endpoint);
    q.bind(7, d.token_endpoint);
    q.bind(8, d.revocation_endpoint);
    q.bind(9, d.issuer);
    q.bind(10, to_json(d.default_scopes));
    q.bind(11, d.scope_separator);
    q.bind(12, d.pkce ? 1 : 0);
    q.bind(13, std::string(sdk::to_string(d.client_auth)));
  }

  static CustomProviderDefinition read_definition(SQLite::Statement& q) {
    CustomProviderDefinition d;
    d.workspace = q.getColumn("workspace").getString();
    d.id = q.getColumn("id").getString();
    d.grant_type = grant_of(q.getColumn("grant_type").getString());
    d.name = q.getColumn("name").getString();
    d.description = q.getColumn("description").getString();
    d.authorization_endpoint = q.getColumn("authorization_endpoint").getString();
    d.token_endpoint = q.getColumn("token_endpoint").getString();
    d.revocation_endpoint = q.getColumn("revocation_endpoint").getString();
    d.issuer = q.getColumn("issuer").getString();
    d.default_scopes = strings_from_json(q.getColumn("default_scopes").getString());
    d.scope_separator = q.getColumn("scope_separator").getString();
    d.pkce = q.getColumn("pkce").getInt() != 0;
    d.client_auth =
        sdk::parse_client_auth(q.getColumn("client_auth").getString()).value_or(sdk::ClientAuth::client_secret_basic);
    d.created_at = from_millis(q.getColumn("created_at").getInt64());
    return d;
  }

  IntegrationRecord read_integration(SQLite::Statement& q) {
    IntegrationRecord r;
    r.key = {q.getColumn(0).getString(), q.getColumn(1).getString(), grant_of(q.getColumn(2).getString())};
    r.user_id = q.getColumn(3).getString();
    r.config.client_id = q.getColumn(4).getString();
    if (auto s = column_blob(q.getColumn(5))) r.config.client_secret = keys_.open(*s, slot(r.key, "client_secret"));
    r.config.authorization_endpoint = column_text(q.getColumn(6));
    r.config.token_endpoint = column_text(q.getColumn(7));
    r.config.revocation_endpoint = column_text(q.getColumn(8));
    if (auto scopes = column_text(q.getColumn(9))) r.config.scopes = strings_from_json(*scopes);
    r.config.values = map_from_json(q.getColumn(10).getString());
    if (auto a = column_blob(q.getColumn(11))) r.access_token = keys_.open(*a, slot(r.key, "access_token"));
    if (auto t = column_blob(q.getColumn(12))) r.refresh_token = keys_.open(*t, slot(r.key, "refresh_token"));
    r.token_type = q.getColumn(13).getString();
    r.expires_at = column_time(q.getColumn(14));
    r.granted_scopes = strings_from_json(q.getColumn(15).getString());
    r.reauth_required = q.getColumn(16).getInt() != 0;
    r.last_refresh_result = q.getColumn(17).getString();
    r.failure_count = q.getColumn(18).getInt();
    r.next_attempt_at = column_time(q.getColumn(19));
    r.lease_owner = q.getColumn(20).getString();
    r.lease_expires_at = column_time(q.getColumn(21));
    r.created_at = from_millis(q.getColumn(22).getInt64());
    r.updated_at = from_millis(q.getColumn(23).getInt64());
    return r;
  }

  void insert_audit(const AuditEvent& e) {
    SQLite::Statement q(db_,
                        "INSERT INTO audit_events (workspace, at, event, provider_id, grant_type, actor, detail) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, e.workspace);
    q.bind(2, static_cast<std::int64_t>(millis(e.at == TimePoint{} ? Clock::now() : e.at)));
    q.bind(3, e.event);
    q.bind(4, e.provider_id);
    q.bind(5, e.grant_type);
    q.bind(6, e.actor);
    q.bind(7, e.detail);
    q.exec();
  }

  void write_canary(const KeyRing& ring) {
    std::string sealed = ring.seal("tessera", {"meta", "canary", "value"});
    SQLite::Statement q(db_,
                        "INSERT INTO meta (key, value) VALUES ('canary', ?) ON CONFLICT (key) DO UPDATE SET value = "
                        "excluded.value");
    q.bind(1, sealed.data(), static_cast<int>(sealed.size()));
    q.exec();
  }

  void migrate() {
    std::lock_guard lock(mutex_);
    SQLite::Transaction tx(db_, SQLite::TransactionBehavior::IMMEDIATE);
    db_.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    int current = 0;
    {
      SQLite::Statement q(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (q.executeStep()) current = q.getColumn(0).getInt();
    }
    const int known = static_cast<int>(kMigrations.size());
    if (current > known)
      throw Error(ErrorCode::configuration, "the database " + db_.getFilename() + " has schema version " +
                                                std::to_string(current) + ", newer than this Tessera understands (" +
                                                std::to_string(known) +
                                                "); upgrade Tessera, or point it at another database with --db");
    for (int v = current + 1; v <= known; ++v) {
      db_.exec(kMigrations[static_cast<std::size_t>(v - 1)]);
      SQLite::Statement q(db_, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
      q.bind(1, v);
      q.bind(2, static_cast<std::int64_t>(millis(Clock::now())));
      q.exec();
    }
    // The canary tells at start-up whether the configured keys are this database's.
    SQLite::Statement canary(db_, "SELECT value FROM meta WHERE key = 'canary'");
    if (canary.executeStep()) {
      std::string sealed = *column_blob(canary.getColumn(0));
      while (canary.executeStep()) {
      }
      try {
        keys_.open(sealed, {"meta", "canary", "value"});
      } catch (const Error&) {
        std::string configured;
        for (const auto& k : keys_.keys()) configured += (configured.empty() ? "" : ", ") + k.id;
        throw Error(ErrorCode::configuration,
                    "the configured encryption keys (" + configured + ") cannot open the database " +
                        db_.getFilename() + ", which was sealed with key " + KeyRing::key_id_of(sealed).value_or("?") +
                        ": set TESSERA_ENCRYPTION_KEY (or restore the key file) to that key; nothing was changed");
      }
    } else {
      write_canary(keys_);
    }
    tx.commit();
  }
};

}  // namespace

std::string IntegrationKey::row_identity() const {
  return workspace + "/" + provider_id + "/" + std::string(sdk::to_string(grant_type));
}

int sqlite_schema_version() {
  return static_cast<int>(kMigrations.size());
}

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& file, KeyRing keys, StoreOptions options) {
  try {
    return std::make_unique<SqliteStore>(file, std::move(keys), options);
  } catch (const SQLite::Exception& e) {
    throw Error(ErrorCode::io_error, "cannot open the database " + file.string() + ": " + e.what());
  }
}

std::filesystem::path default_database_path() {
  if (const char* db = std::getenv("TESSERA_DB"); db && *db) return db;
  if (const char* home = std::getenv("TESSERA_HOME"); home && *home) return std::filesystem::path(home) / "tessera.db";
  std::filesystem::path data;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    data = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home)
    data = std::filesystem::path(home) / ".local" / "share";
  else
    data = ".";
  return data / "tessera" / "tessera.db";
}

std::filesystem::path key_file_for(const std::filesystem::path& database) {
  return database.parent_path() / "tessera.key";
}

}  // namespace tessera::core
