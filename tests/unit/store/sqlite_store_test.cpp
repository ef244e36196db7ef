// The SQLite store on real files: migrations, encryption at rest, isolation, single use.
#include <sqlite3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/store.hpp"

using namespace tessera;
using namespace tessera::core;
using tessera::test::TempDir;

namespace {

KeyRing ring(unsigned char fill) {
  std::array<unsigned char, 32> k{};
  k.fill(fill);
  return KeyRing({k});
}

const IntegrationKey kGithub{"acme", "github", sdk::GrantType::authorization_code};
const IntegrationKey kSlack{"acme", "slack", sdk::GrantType::authorization_code};
const AuditEvent kAudit{"acme", "test", "", "", "tester", "", {}};

void exec_sql(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  INFO((err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

std::string raw_bytes(const std::filesystem::path& db) {
  std::string all;
  for (const char* suffix : {"", "-wal", "-shm"})
    if (std::filesystem::exists(db.string() + suffix)) all += tessera::test::read_file(db.string() + suffix);
  return all;
}

void seed(Store& s) {
  s.create_workspace("acme", "tester");
  sdk::ProviderConfig c;
  c.client_id = "client-id-1";
  c.client_secret = "client-secret-plaintext";
  s.save_configuration(kGithub, c, kAudit);
  s.save_configuration(kSlack, c, kAudit);
  s.save_tokens(kGithub, {"access-token-plaintext", "refresh-token-plaintext", "Bearer", std::nullopt, {"repo"}, "u1"},
                "", kAudit);
  s.save_tokens(kSlack, {"slack-access-plaintext", "slack-refresh-plaintext", "Bearer", std::nullopt, {}, "u1"}, "",
                kAudit);
}

}  // namespace

TEST_CASE("a new database is created 0600 and migrated to the current schema") {
  TempDir dir;
  auto store = open_sqlite_store(dir / "sub" / "t.db", ring(1));
  struct stat st {};
  REQUIRE(::stat((dir / "sub" / "t.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  store.reset();
  // Opening again applies nothing twice.
  CHECK_NOTHROW(open_sqlite_store(dir / "sub" / "t.db", ring(1)));
}

TEST_CASE("a database newer than this binary is refused and left alone") {
  TempDir dir;
  open_sqlite_store(dir / "t.db", ring(1)).reset();
  exec_sql(dir / "t.db",
           "INSERT INTO schema_migrations VALUES (" + std::to_string(sqlite_schema_version() + 5) + ", 0)");
  std::string before = raw_bytes(dir / "t.db");
  try {
    open_sqlite_store(dir / "t.db", ring(1));
    FAIL("opened a newer database");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::configuration);
    CHECK_THAT(e.what(), Catch::Contains("newer than this Tessera"));
  }
  CHECK(raw_bytes(dir / "t.db") == before);
}

TEST_CASE("the wrong key is refused at start-up and changes nothing") {
  TempDir dir;
  {
    auto s = open_sqlite_store(dir / "t.db", ring(1));
    seed(*s);
  }
  std::string before = raw_bytes(dir / "t.db");
  CHECK_THROWS_WITH(open_sqlite_store(dir / "t.db", ring(2)), Catch::Contains("cannot open the database"));
  CHECK(raw_bytes(dir / "t.db") == before);
  auto s = open_sqlite_store(dir / "t.db", ring(1));
  CHECK(s->find_integration(kGithub)->access_token == std::string("access-token-plaintext"));
}

TEST_CASE("no plaintext secret reaches the database file") {
  TempDir dir;
  auto s = open_sqlite_store(dir / "t.db", ring(1));
  seed(*s);
  PendingAuthorization p{"state-plaintext-value",
                         "acme",
                         "u1",
                         "github",
                         sdk::GrantType::authorization_code,
                         "http://127.0.0.1/cb",
                         "verifier-plaintext-value",
                         std::chrono::system_clock::now()};
  s->put_pending(p);
  std::string bytes = raw_bytes(dir / "t.db");
  for (const char* secret : {"client-secret-plaintext", "access-token-plaintext", "refresh-token-plaintext",
                             "slack-access-plaintext", "verifier-plaintext-value", "state-plaintext-value"}) {
    CAPTURE(secret);
    CHECK(bytes.find(secret) == std::string::npos);
  }
  CHECK(bytes.find("client-id-1") != std::string::npos);  // not a secret; proves the scan reads the data
}

TEST_CASE("ciphertexts swapped between rows or columns, or altered, fail to open") {
  TempDir dir;
  auto s = open_sqlite_store(dir / "t.db", ring(1));
  seed(*s);
  s.reset();
  SECTION("between rows") {
    exec_sql(dir / "t.db",
             "UPDATE integrations SET access_token = (SELECT access_token FROM integrations WHERE "
             "provider_id = 'slack') WHERE provider_id = 'github'");
  }
  SECTION("between columns") {
    exec_sql(dir / "t.db", "UPDATE integrations SET access_token = refresh_token WHERE provider_id = 'github'");
  }
  SECTION("a flipped bit") {
    exec_sql(dir / "t.db",
             "UPDATE integrations SET access_token = substr(access_token, 1, 30) || "
             "x'00' || substr(access_token, 32) WHERE provider_id = 'github'");
  }
  auto again = open_sqlite_store(dir / "t.db", ring(1));
  CHECK_THROWS_WITH(again->find_integration(kGithub),
                    Catch::Contains("integrity check") || Catch::Contains("envelope"));
  CHECK(again->find_integration(kSlack)->access_token == std::string("slack-access-plaintext"));
}

TEST_CASE("re-encryption moves every value to the newest key, old keys open until removed") {
  TempDir dir;
  std::array<unsigned char, 32> k1{}, k2{};
  k1.fill(1);
  k2.fill(2);
  {
    auto s = open_sqlite_store(dir / "t.db", KeyRing({k1}));
    seed(*s);
    s->put_pending({"st", "acme", "u1", "github", sdk::GrantType::authorization_code, "http://x/cb", "ver",
                    std::chrono::system_clock::now() + std::chrono::minutes(5)});
    CHECK(s->reencrypt(KeyRing({k2, k1})) == 7);  // 2 secrets + 4 tokens + 1 verifier
    CHECK(s->find_integration(kGithub)->refresh_token == std::string("refresh-token-plaintext"));
  }
  auto only_new = open_sqlite_store(dir / "t.db", KeyRing({k2}));
  CHECK(only_new->find_integration(kSlack)->config.client_secret == std::string("client-secret-plaintext"));
  CHECK(only_new->take_pending("st")->code_verifier == "ver");
  only_new.reset();
  CHECK_THROWS_AS(open_sqlite_store(dir / "t.db", KeyRing({k1})), Error);
}

TEST_CASE("pending authorizations are single use") {
  TempDir dir;
  auto s = open_sqlite_store(dir / "t.db", ring(1));
  s->create_workspace("acme", "t");
  s->put_pending({"state-1", "acme", "u1", "github", sdk::GrantType::authorization_code, "http://x/cb", "ver",
                  std::chrono::system_clock::now() + std::chrono::minutes(10)});
  auto first = s->take_pending("state-1");
  REQUIRE(first);
  CHECK(first->code_verifier == "ver");
  CHECK(first->user_id == "u1");
  CHECK_FALSE(s->take_pending("state-1"));
  CHECK_FALSE(s->take_pending("never-issued"));
}

TEST_CASE("workspaces isolate integrations and custom providers") {
  TempDir dir;
  auto s = open_sqlite_store(dir / "t.db", ring(1));
  seed(*s);
  s->create_workspace("other", "t");
  CHECK_FALSE(s->find_integration({"other", "github", sdk::GrantType::authorization_code}));
  CHECK(s->list_integrations("other").empty());
  CHECK(s->list_integrations("acme").size() == 2);
  CHECK_THROWS_WITH(s->create_workspace("acme", "t"), Catch::Contains("already exists"));
  CHECK_THROWS_AS(s->create_workspace("bad name!", "t"), Error);
  sdk::ProviderConfig c;
  CHECK_THROWS_WITH(s->save_configuration({"nope", "github", sdk::GrantType::authorization_code}, c, kAudit),
                    Catch::Contains("no workspace 'nope'"));

  CustomProviderDefinition d;
  d.workspace = "acme";
  d.id = "custom_x";
  d.name = "X";
  d.token_endpoint = "https://x.example.com/token";
  d.authorization_endpoint = "https://x.example.com/authorize";
  s->insert_custom_provider(d, kAudit);
  CHECK_THROWS_WITH(s->insert_custom_provider(d, kAudit), Catch::Contains("already exists"));
  CHECK_FALSE(s->find_custom_provider("other", "custom_x", sdk::GrantType::authorization_code));
  d.workspace = "other";
  CHECK_NOTHROW(s->insert_custom_provider(d, kAudit));
}

TEST_CASE("unset and empty scopes stay apart") {
  TempDir dir;
  auto s = open_sqlite_store(dir / "t.db", ring(1));
  s->create_workspace("acme", "t");
  sdk::ProviderConfig c;
  c.client_id = "id";
  s->save_configuration(kGithub, c, kAudit);
  CHECK_FALSE(s->find_integration(kGithub)->config.scopes);
  c.scopes = std::vector<std::string>{};
  s->save_configuration(kGithub, c, kAudit);
  REQUIRE(s->find_integration(kGithub)->config.scopes);
  CHECK(s->find_integration(kGithub)->config.scopes->empty());
}
