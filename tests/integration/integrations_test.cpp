// The integration lifecycle against the loopback server with a real SQLite file: status,
// connecting (state single use and expiry), disconnecting, custom providers, and refresh:
// single-flight across 64 threads and 4 processes, a lease holder killed mid-refresh,
// rotation, invalid_grant and transient failures. Nothing secret reaches the file or the log.
#include <signal.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "support/builtins.hpp"
#include "support/child_process.hpp"
#include "support/oauth_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"
#include "tessera/core/crypto.hpp"
#include "tessera/core/integrations.hpp"
#include "tessera/core/log.hpp"
#include "tessera/core/plugin_loader.hpp"

using namespace tessera;
using namespace tessera::core;
using tessera::test::ChildProcess;
using tessera::test::OAuthServer;
using tessera::test::TempDir;
namespace json = boost::json;
using Clock = std::chrono::system_clock;

namespace {

const IntegrationKey kGithub{"acme", "github", sdk::GrantType::authorization_code};
const IntegrationKey kJamf{"acme", "jamf", sdk::GrantType::client_credentials};
const std::string kSecret = "client-secret-9f8e7d";

struct World {
  TempDir dir;
  OAuthServer server;
  std::string key_b64 = crypto::base64_encode(crypto::random_bytes(32));
  HttpClient http{tessera::test::loopback_http_options()};
  OAuthEngine engine{http, {2, std::chrono::milliseconds(10), std::chrono::milliseconds(100)}};
  std::unique_ptr<Store> store;
  ServiceOptions options;
  std::unique_ptr<IntegrationService> service;

  explicit World(ServiceOptions o = {}) : options(o) {
    options.backoff_base = std::chrono::milliseconds(200);
    store = open_sqlite_store(db(), KeyRing({key()}));
    service = std::make_unique<IntegrationService>(*store, tessera::test::builtin_registry(), engine, options);
    store->create_workspace("acme", "test");
    server.configure({{"clients", {{"client-1", {{"secret", kSecret}}}}}});
  }

  std::filesystem::path db() const { return dir / "tessera.db"; }
  std::array<unsigned char, 32> key() const {
    auto bytes = *crypto::base64_decode(key_b64);
    std::array<unsigned char, 32> k{};
    std::copy(bytes.begin(), bytes.end(), k.begin());
    return k;
  }

  sdk::ProviderConfig config() {
    sdk::ProviderConfig c;
    c.client_id = "client-1";
    c.client_secret = kSecret;
    c.authorization_endpoint = server.endpoint("/authorize");
    c.token_endpoint = server.endpoint("/token");
    return c;
  }

  AuthorizationResponse approve(const std::string& url) {
    auto r = server.http().send({"GET", url, {}, "", false});
    REQUIRE(r.status == 302);
    std::string location = *r.header("location");
    return AuthorizationResponse::from_query(location.substr(location.find('?') + 1));
  }

  // Configures and connects GitHub; the token's lifetime is whatever the server is set to.
  void connect_github() {
    service->configure(kGithub, config(), "test");
    auto start = service->begin_connect(kGithub, "user-1", "http://127.0.0.1:1/callback");
    service->complete_connect(approve(start.authorization_url), std::string("user-1"), "test");
  }

  // `tessera token get` in a process of its own, on the same database and key.
  std::unique_ptr<ChildProcess> token_process(int lease_seconds = 30) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{TESSERA_TEST_CLI, "--db", db().string(), "--insecure-dev-endpoints", "--lease-seconds",
                                 std::to_string(lease_seconds), "token", "get", "acme", "github", "--show-secrets"},
        std::map<std::string, std::optional<std::string>>{{"TESSERA_ENCRYPTION_KEY", key_b64},
                                                          {"TESSERA_PLUGIN_PATH", std::nullopt}});
  }
};

}  // namespace

TEST_CASE("status follows the integration through its life") {
  World w;
  CHECK(w.service->status(kGithub) == IntegrationStatus::not_configured);
  w.service->configure(kGithub, w.config(), "test");
  CHECK(w.service->status(kGithub) == IntegrationStatus::configured);
  w.server.configure({{"lifetime", 1}});
  w.connect_github();
  CHECK(w.service->status(kGithub) == IntegrationStatus::connected);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(w.service->status(kGithub) == IntegrationStatus::expired);
  w.server.configure({{"fault", "server_error"}, {"fault_count", -1}});
  CHECK_THROWS_AS(w.service->access_token(kGithub), Error);
  CHECK(w.service->status(kGithub) == IntegrationStatus::error);
  w.server.configure({{"fault", "invalid_grant"}, {"fault_count", -1}});
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // past the backoff
  CHECK_THROWS_AS(w.service->access_token(kGithub), Error);
  CHECK(w.service->status(kGithub) == IntegrationStatus::reauth_required);

  SECTION("configuration is validated by the provider") {
    sdk::ProviderConfig bad = w.config();
    bad.client_id.clear();
    CHECK_THROWS_WITH(w.service->configure(kGithub, bad, "test"), Catch::Contains("client id is required"));
    CHECK_THROWS_WITH(w.service->configure({"acme", "nope", sdk::GrantType::authorization_code}, w.config(), "t"),
                      Catch::Contains("no provider 'nope'"));
    CHECK_THROWS_WITH(
        w.service->configure({"elsewhere", "github", sdk::GrantType::authorization_code}, w.config(), "t"),
        Catch::Contains("no workspace"));
  }
}

TEST_CASE("connecting: a state works once, expires, and belongs to its user") {
  ServiceOptions o;
  o.pending_lifetime = std::chrono::seconds(1);
  World w(o);
  w.service->configure(kGithub, w.config(), "test");
  auto start = w.service->begin_connect(kGithub, "user-1", "http://127.0.0.1:1/callback");
  auto response = w.approve(start.authorization_url);

  SECTION("replay") {
    CHECK(w.service->complete_connect(response, std::string("user-1"), "test").provider_id == "github");
    CHECK_THROWS_WITH(w.service->complete_connect(response, std::string("user-1"), "test"),
                      Catch::Contains("already completed"));
    CHECK(w.server.count("/token") == 1);
  }
  SECTION("expiry") {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    CHECK_THROWS_WITH(w.service->complete_connect(response, std::nullopt, "test"), Catch::Contains("expired"));
    CHECK(w.server.count("/token") == 0);
  }
  SECTION("another user") {
    CHECK_THROWS_WITH(w.service->complete_connect(response, std::string("user-2"), "test"),
                      Catch::Contains("another user"));
    CHECK(w.service->status(kGithub) == IntegrationStatus::configured);
  }
  SECTION("a forged state") {
    response.state = "forged";
    CHECK_THROWS_WITH(w.service->complete_connect(response, std::nullopt, "test"), Catch::Contains("unknown"));
  }
}

TEST_CASE("client credentials connect, and their tokens of unknown lifetime get a configured one") {
  ServiceOptions o;
  o.client_credentials_lifetime = std::chrono::seconds(1234);
  World w(o);
  w.server.configure({{"expires_in", "missing"}});
  auto c = w.config();
  c.values["instance"] = "acme";
  w.service->configure(kJamf, c, "test");
  auto t = w.service->connect_client_credentials(kJamf, "test");
  REQUIRE(t.expires_at);
  auto left = std::chrono::duration_cast<std::chrono::seconds>(*t.expires_at - Clock::now()).count();
  CHECK(left > 1200);
  CHECK(left <= 1234);
  CHECK(w.service->status(kJamf) == IntegrationStatus::connected);
  CHECK(w.service->access_token(kJamf).token == t.token);
}

TEST_CASE("disconnect revokes when it can and wipes the tokens in any case") {
  World w;
  w.connect_github();
  SECTION("without a revocation endpoint") {
    CHECK_FALSE(w.service->disconnect(kGithub, "test"));
    CHECK(w.server.count("/revoke") == 0);
  }
  SECTION("with one") {
    auto c = w.config();
    c.revocation_endpoint = w.server.endpoint("/revoke");
    w.service->configure(kGithub, c, "test");
    CHECK_FALSE(w.service->disconnect(kGithub, "test"));
    CHECK(w.server.state().at("revoked").as_array().size() == 2);
  }
  SECTION("when revocation fails") {
    auto c = w.config();
    c.revocation_endpoint = w.server.endpoint("/revoke");
    w.service->configure(kGithub, c, "test");
    w.server.configure({{"fault", "invalid_client"}, {"fault_endpoint", "/revoke"}, {"fault_count", -1}});
    auto problem = w.service->disconnect(kGithub, "test");
    REQUIRE(problem);
    CHECK_THAT(*problem, Catch::Contains("invalid_client"));
  }
  auto r = w.store->find_integration(kGithub);
  CHECK_FALSE(r->access_token);
  CHECK_FALSE(r->refresh_token);
  CHECK(w.service->status(kGithub) == IntegrationStatus::configured);
  w.service->remove(kGithub, "test");
  CHECK(w.service->status(kGithub) == IntegrationStatus::not_configured);
  auto events = w.store->audit_events(std::string("acme"));
  std::vector<std::string> names;
  for (const auto& e : events) names.push_back(e.event);
  CHECK(std::find(names.begin(), names.end(), "disconnected") != names.end());
  CHECK(std::find(names.begin(), names.end(), "deleted") != names.end());
}

TEST_CASE("custom providers: explicit endpoints, discovery, ids, deletion") {
  TempDir cadir;
  auto ca = tessera::test::make_test_ca(cadir.path());
  World w;
  OAuthServer tls(ca);
  HttpClient http(tessera::test::loopback_http_options(ca.ca_cert.string()));
  OAuthEngine engine(http);
  IntegrationService service(*w.store, tessera::test::builtin_registry(), engine);

  CustomProviderRequest r;
  r.name = "My Provider";
  r.authorization_endpoint = tls.endpoint("/authorize");
  r.token_endpoint = tls.endpoint("/token");
  auto first = service.create_custom_provider("acme", r, "test");
  CHECK(first.id == "custom_my_provider");
  CHECK(service.create_custom_provider("acme", r, "test").id == "custom_my_provider_1");
  r.grant_type = sdk::GrantType::client_credentials;
  CHECK(service.create_custom_provider("acme", r, "test").id == "custom_my_provider");  // another grant type

  CustomProviderRequest discovered;
  discovered.name = "Discovered";
  discovered.issuer = tls.url();
  auto d = service.create_custom_provider("acme", discovered, "test");
  CHECK(d.token_endpoint == tls.endpoint("/token"));
  CHECK(d.revocation_endpoint == tls.endpoint("/revoke"));
  CHECK(d.pkce);
  CHECK(d.client_auth == sdk::ClientAuth::client_secret_post);
  CHECK(d.issuer == tls.url());

  // It works like a built-in: connect through it.
  tls.configure({{"clients", {{"client-1", {{"secret", kSecret}}}}}});
  IntegrationKey key{"acme", d.id, sdk::GrantType::authorization_code};
  sdk::ProviderConfig c;
  c.client_id = "client-1";
  c.client_secret = kSecret;
  service.configure(key, c, "test");
  auto start = service.begin_connect(key, "u", "http://127.0.0.1:1/callback");
  auto approve = tls.http().send({"GET", start.authorization_url, {}, "", false});
  std::string location = *approve.header("location");
  service.complete_connect(AuthorizationResponse::from_query(location.substr(location.find('?') + 1)), std::nullopt,
                           "t");
  CHECK(service.status(key) == IntegrationStatus::connected);

  CustomProviderRequest bad = r;
  bad.name = "Plain";
  bad.token_endpoint = "http://example.com/token";
  CHECK_THROWS_WITH(service.create_custom_provider("acme", bad, "test"), Catch::Contains("https"));
  CustomProviderRequest reserved = r;
  reserved.requested_id = "custom_mcp_x";
  CHECK_THROWS_AS(service.create_custom_provider("acme", reserved, "test"), Error);

  service.remove(key, "test");  // a custom_ provider: its definition goes too
  CHECK_FALSE(w.store->find_custom_provider("acme", d.id, sdk::GrantType::authorization_code));
  CHECK(service.status(key) == IntegrationStatus::not_configured);
}

TEST_CASE("concurrent creates with the same name get distinct ids") {
  World w;
  constexpr int kCreators = 8;
  std::vector<std::future<std::string>> results;
  for (int i = 0; i < kCreators; ++i)
    results.push_back(std::async(std::launch::async, [&w] {
      // Each creator has its own connection, as separate hosts would.
      auto store = open_sqlite_store(w.db(), KeyRing({w.key()}));
      IntegrationService service(*store, tessera::test::builtin_registry(), w.engine);
      CustomProviderRequest r;
      r.name = "Same Name";
      r.authorization_endpoint = "https://as.example.com/authorize";
      r.token_endpoint = "https://as.example.com/token";
      return service.create_custom_provider("acme", r, "test").id;
    }));
  std::set<std::string> ids;
  for (auto& f : results) ids.insert(f.get());
  CHECK(ids.size() == kCreators);
  CHECK(ids.count("custom_same_name") == 1);
  CHECK(ids.count("custom_same_name_7") == 1);
}

TEST_CASE("64 threads asking for an expiring token share one refresh") {
  World w;
  w.server.configure({{"lifetime", 60}});  // inside the 5-minute refresh window
  w.connect_github();
  const std::string old_token = *w.store->find_integration(kGithub)->access_token;
  w.server.configure(
      {{"lifetime", 3600}, {"reset_counters", true}, {"slow_ms", 200}, {"fault", "slow"}, {"fault_count", 1}});

  std::vector<std::future<std::string>> callers;
  for (int i = 0; i < 64; ++i)
    callers.push_back(std::async(std::launch::async, [&w] { return w.service->access_token(kGithub).token; }));
  std::set<std::string> tokens;
  for (auto& c : callers) tokens.insert(c.get());
  CHECK(w.server.count("/token") == 1);
  REQUIRE(tokens.size() == 1);
  CHECK(*tokens.begin() != old_token);
  CHECK(*w.store->find_integration(kGithub)->access_token == *tokens.begin());
}

TEST_CASE("4 processes and 64 threads asking at once share one refresh") {
  World w;
  w.server.configure({{"lifetime", 60}});
  w.connect_github();
  w.server.configure(
      {{"lifetime", 3600}, {"reset_counters", true}, {"slow_ms", 300}, {"fault", "slow"}, {"fault_count", 1}});
  std::vector<std::unique_ptr<ChildProcess>> processes;
  for (int i = 0; i < 4; ++i) processes.push_back(w.token_process());
  std::vector<std::future<std::string>> threads;
  for (int i = 0; i < 64; ++i)
    threads.push_back(std::async(std::launch::async, [&w] { return w.service->access_token(kGithub).token; }));
  std::set<std::string> tokens;
  for (auto& t : threads) tokens.insert(t.get());
  for (auto& p : processes) {
    auto line = p->read_line(std::chrono::seconds(30));
    CHECK(p->wait() == 0);
    REQUIRE(line);
    tokens.insert(*line);
  }
  CHECK(w.server.count("/token") == 1);
  REQUIRE(tokens.size() == 1);
  CHECK(*w.store->find_integration(kGithub)->access_token == *tokens.begin());
}

TEST_CASE("a lease holder killed mid-refresh is taken over once its lease expires, no token is lost") {
  World w;
  w.server.configure({{"lifetime", 60}});
  w.connect_github();
  const std::string refresh_token = *w.store->find_integration(kGithub)->refresh_token;
  w.server.configure(
      {{"lifetime", 3600}, {"reset_counters", true}, {"fault", "slow"}, {"fault_count", 1}, {"slow_ms", 4000}});

  auto holder = w.token_process(2);
  // Wait until the holder's refresh request is at the server, then kill it there.
  for (int i = 0; i < 200 && w.server.count("/token") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  REQUIRE(w.server.count("/token") == 1);
  REQUIRE_FALSE(w.store->find_integration(kGithub)->lease_owner.empty());
  holder->kill(SIGKILL);
  CHECK(holder->wait() == -SIGKILL);

  auto start = std::chrono::steady_clock::now();
  auto taker = w.token_process(2);
  auto line = taker->read_line(std::chrono::seconds(30));
  CHECK(taker->wait() == 0);
  REQUIRE(line);
  CHECK_THAT(*line, Catch::StartsWith("at-"));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(500));  // it waited for the lease
  CHECK(w.server.count("/token") == 2);
  auto record = w.store->find_integration(kGithub);
  CHECK(*record->access_token == *line);
  CHECK(record->refresh_token == refresh_token);  // not rotated: the same, still valid, refresh token
  CHECK(record->lease_owner.empty());
}

TEST_CASE("rotated refresh tokens are committed with the new access token") {
  World w;
  w.server.configure({{"lifetime", 60}, {"rotate_refresh", true}});
  w.connect_github();
  const std::string first_rt = *w.store->find_integration(kGithub)->refresh_token;
  w.service->access_token(kGithub);
  const std::string second_rt = *w.store->find_integration(kGithub)->refresh_token;
  CHECK(second_rt != first_rt);
  // The stored one is the one the server honours now: the next refresh works with it.
  w.service->access_token(kGithub);
  CHECK(*w.store->find_integration(kGithub)->refresh_token != second_rt);
  CHECK(w.server.count("/token") == 3);
}

TEST_CASE("invalid_grant: reauth_required, the refresh token cleared, and no retry loop") {
  World w;
  w.server.configure({{"lifetime", 60}});
  w.connect_github();
  w.server.configure({{"fault", "invalid_grant"}, {"fault_count", -1}, {"reset_counters", true}});
  try {
    w.service->access_token(kGithub);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::reconnect_needed);
  }
  auto r = w.store->find_integration(kGithub);
  CHECK(r->reauth_required);
  CHECK_FALSE(r->refresh_token);
  CHECK(w.service->status(kGithub) == IntegrationStatus::reauth_required);
  CHECK_THROWS_AS(w.service->access_token(kGithub), Error);
  CHECK(w.server.count("/token") == 1);
  // Connecting again clears it.
  w.server.configure({{"fault", ""}});
  w.connect_github();
  CHECK(w.service->status(kGithub) == IntegrationStatus::connected);
}

TEST_CASE("a transient failure keeps the current token and backs off") {
  World w;
  w.server.configure({{"lifetime", 60}});
  w.connect_github();
  const std::string current = *w.store->find_integration(kGithub)->access_token;
  w.server.configure({{"fault", "server_error"}, {"fault_count", -1}, {"reset_counters", true}});
  CHECK(w.service->access_token(kGithub).token == current);
  auto r = w.store->find_integration(kGithub);
  CHECK(r->failure_count == 1);
  CHECK(r->next_attempt_at);
  CHECK_THAT(r->last_refresh_result, Catch::StartsWith("transient"));
  CHECK(w.service->access_token(kGithub).token == current);  // within the backoff: no request
  CHECK(w.server.count("/token") == 1);
  w.server.configure({{"fault", ""}});
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  CHECK(w.service->access_token(kGithub).token != current);
  CHECK(w.store->find_integration(kGithub)->failure_count == 0);
}

TEST_CASE("no plaintext token or secret in the database file or the log") {
  std::vector<std::string> lines;
  std::mutex m;
  set_log_level(LogLevel::debug);
  set_log_sink([&](std::string_view line) {
    std::lock_guard lock(m);
    lines.emplace_back(line);
  });
  std::vector<std::string> secrets{kSecret};
  {
    World w;
    w.server.configure({{"lifetime", 60}, {"rotate_refresh", true}});
    w.connect_github();
    auto r = w.store->find_integration(kGithub);
    secrets.push_back(*r->access_token);
    secrets.push_back(*r->refresh_token);
    secrets.push_back(w.service->access_token(kGithub).token);
    secrets.push_back(*w.store->find_integration(kGithub)->refresh_token);
    w.server.configure({{"fault", "invalid_grant"}, {"fault_count", -1}});
    w.store->save_tokens(kGithub, {"short-lived", std::string("rt-x"), "Bearer", Clock::now(), {}, ""}, "",
                         {"acme", "t", "", "", "", "", {}});
    CHECK_THROWS(w.service->access_token(kGithub));
    w.store.reset();
    std::string bytes;
    for (const char* suffix : {"", "-wal", "-shm"})
      if (std::filesystem::exists(w.db().string() + suffix))
        bytes += tessera::test::read_file(w.db().string() + suffix);
    REQUIRE(bytes.size() > 10000);
    for (const auto& s : secrets) {
      CAPTURE(s);
      CHECK(bytes.find(s) == std::string::npos);
    }
  }
  set_log_sink(nullptr);
  set_log_level(log_level_from_environment());
  REQUIRE(lines.size() >= 3);
  std::string log;
  for (const auto& l : lines) log += l + "\n";
  CHECK_THAT(log, Catch::Contains("event=refresh.ok") && Catch::Contains("event=refresh.failed"));
  for (const auto& s : secrets) {
    CAPTURE(s);
    CHECK(log.find(s) == std::string::npos);
  }
}
