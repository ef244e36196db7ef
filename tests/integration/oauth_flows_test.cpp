// The OAuth engine against a real authorization server process on 127.0.0.1: every built-in
// provider's flow (endpoints overridden to the loopback server), TLS, every fault mode,
// retries, refresh, revocation and discovery.
#include <netdb.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/builtins.hpp"
#include "support/oauth_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"
#include "tessera/core/crypto.hpp"
#include "tessera/core/oauth.hpp"
#include "tessera/core/plugin_loader.hpp"

using namespace tessera;
using namespace tessera::core;
using tessera::test::OAuthServer;
namespace json = boost::json;

namespace {

const RegisteredProvider& builtin(const std::string& id, sdk::GrantType grant) {
  const auto* p = tessera::test::builtin_registry().find({id, grant});
  REQUIRE(p);
  return *p;
}

const RetryPolicy kFastRetries{3, std::chrono::milliseconds(20), std::chrono::milliseconds(1500)};

struct Loopback {
  OAuthServer server;
  HttpClient http{tessera::test::loopback_http_options()};
  OAuthEngine engine{http, kFastRetries};

  Loopback() { server.configure({{"clients", {{"client-1", {{"secret", "secret-1"}}}}}}); }

  sdk::ProviderConfig config(const std::string& client_id = "client-1", const std::string& secret = "secret-1") {
    sdk::ProviderConfig c;
    c.client_id = client_id;
    c.client_secret = secret;
    c.authorization_endpoint = server.endpoint("/authorize");
    c.token_endpoint = server.endpoint("/token");
    return c;
  }

  // Plays the user's browser: follows the authorization URL and returns the redirect back.
  AuthorizationResponse approve(const AuthorizationRequest& request) {
    auto r = server.http().send({"GET", request.url, {}, "", false});
    INFO(r.body);
    REQUIRE(r.status == 302);
    std::string location = r.header("location").value();
    REQUIRE(location.rfind(request.redirect_uri, 0) == 0);
    return AuthorizationResponse::from_query(location.substr(location.find('?') + 1));
  }

  TokenResult connect(const RegisteredProvider& p, const sdk::ProviderConfig& c) {
    auto request = engine.begin_authorization(p, c, "http://127.0.0.1:1/callback");
    return engine.complete_authorization(p, c, request, approve(request));
  }
};

template <class F>
OAuthError oauth_error_of(F&& f) {
  try {
    f();
  } catch (const OAuthError& e) {
    return e;
  } catch (const Error& e) {
    FAIL("an Error that is not an OAuthError: " << e.what());
  }
  FAIL("no error");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("GitHub: authorization code with PKCE and client_secret_post") {
  Loopback lb;
  const auto& p = builtin("github", sdk::GrantType::authorization_code);
  auto c = lb.config();
  auto request = lb.engine.begin_authorization(p, c, "http://127.0.0.1:1/callback");
  CHECK_THAT(request.url, Catch::StartsWith(lb.server.endpoint("/authorize?")));
  CHECK_THAT(request.url, Catch::Contains("scope=repo") && Catch::Contains("code_challenge_method=S256"));
  CHECK(request.code_verifier.size() == 43);

  auto response = lb.approve(request);
  CHECK(response.state == request.state);
  TokenResult t = lb.engine.complete_authorization(p, c, request, response);
  CHECK_THAT(t.tokens.access_token, Catch::StartsWith("at-"));
  REQUIRE(t.tokens.refresh_token);
  REQUIRE(t.expires_at);
  CHECK(*t.expires_at > std::chrono::system_clock::now() + std::chrono::minutes(59));
  CHECK(t.granted_scopes == std::vector<std::string>{"repo"});

  auto sent = lb.server.last_params("/token");
  CHECK(sent.at("client_secret") == "secret-1");
  CHECK(sent.at("code_verifier") == request.code_verifier.c_str());
  CHECK(sent.at("redirect_uri") == "http://127.0.0.1:1/callback");
  CHECK_FALSE(lb.server.last_headers("/token").contains("Authorization"));
  CHECK(lb.server.last_headers("/token").at("User-Agent") == "tessera/" TESSERA_TEST_VERSION);

  SECTION("a code works once") {
    auto replay = oauth_error_of(
        [&] { lb.engine.exchange_code(p, c, response.code, request.redirect_uri, request.code_verifier); });
    CHECK(replay.code() == ErrorCode::reconnect_needed);
    CHECK(replay.error() == "invalid_grant");
  }
}

TEST_CASE("the PKCE verifier, state and issuer of an authorization response are checked") {
  Loopback lb;
  const auto& p = builtin("github", sdk::GrantType::authorization_code);
  auto c = lb.config();
  auto request = lb.engine.begin_authorization(p, c, "http://127.0.0.1:1/callback");
  auto response = lb.approve(request);

  SECTION("a wrong verifier is refused by the server") {
    auto e = oauth_error_of(
        [&] { lb.engine.exchange_code(p, c, response.code, request.redirect_uri, "x" + request.code_verifier); });
    CHECK(e.code() == ErrorCode::reconnect_needed);
    CHECK_THAT(e.what(), Catch::Contains("PKCE"));
  }
  SECTION("a state that is not ours is refused before any exchange") {
    response.state = "forged";
    auto e = oauth_error_of([&] { lb.engine.complete_authorization(p, c, request, response); });
    CHECK(e.code() == ErrorCode::protocol);
    CHECK(lb.server.count("/token") == 0);
  }
  SECTION("an error redirect is reported") {
    response.error = "access_denied";
    response.error_description = "The user declined";
    auto e = oauth_error_of([&] { lb.engine.complete_authorization(p, c, request, response); });
    CHECK(e.code() == ErrorCode::oauth_rejected);
    CHECK_THAT(e.what(), Catch::Contains("access_denied") && Catch::Contains("The user declined"));
  }
}

TEST_CASE("RFC 9207: an iss that is not the provider's issuer is refused") {
  Loopback lb;
  lb.server.configure({{"include_iss", true}});
  // Google's spec names https://accounts.google.com as its issuer; the loopback server
  // answers as itself, exactly what a mix-up attack looks like.
  const auto& p = builtin("google_drive", sdk::GrantType::authorization_code);
  auto c = lb.config();
  auto request = lb.engine.begin_authorization(p, c, "http://127.0.0.1:1/callback");
  auto response = lb.approve(request);
  REQUIRE(response.iss == lb.server.url());
  auto e = oauth_error_of([&] { lb.engine.complete_authorization(p, c, request, response); });
  CHECK(e.code() == ErrorCode::protocol);
  CHECK_THAT(e.what(), Catch::Contains("RFC 9207") && Catch::Contains("https://accounts.google.com"));
  CHECK(lb.server.count("/token") == 0);

  response.iss = "https://accounts.google.com";
  CHECK(lb.engine.complete_authorization(p, c, request, response).tokens.refresh_token);
}

TEST_CASE("Slack: user scopes travel as user_scope, the user token comes from authed_user") {
  Loopback lb;
  lb.server.configure({{"slack_shape", true}});
  const auto& p = builtin("slack", sdk::GrantType::authorization_code);
  auto c = lb.config();
  c.scopes = std::vector<std::string>{"search:read", "chat:write"};
  TokenResult t = lb.connect(p, c);
  auto authorize = lb.server.last_params("/authorize");
  CHECK(authorize.at("user_scope") == "search:read,chat:write");
  CHECK_FALSE(authorize.contains("scope"));
  CHECK_FALSE(authorize.contains("code_challenge"));
  CHECK_THAT(t.tokens.access_token, Catch::StartsWith("at-"));
  CHECK(t.granted_scopes == std::vector<std::string>{"search:read", "chat:write"});
}

TEST_CASE("Google user providers ask for offline access and get a refresh token") {
  Loopback lb;
  for (const char* id : {"google_drive", "google_gmail"}) {
    CAPTURE(id);
    const auto& p = builtin(id, sdk::GrantType::authorization_code);
    TokenResult t = lb.connect(p, lb.config());
    auto authorize = lb.server.last_params("/authorize");
    CHECK(authorize.at("access_type") == "offline");
    CHECK(authorize.at("prompt") == "consent");
    CHECK(authorize.at("code_challenge_method") == "S256");
    CHECK(t.tokens.refresh_token);
  }
}

TEST_CASE("Google service accounts: a signed JWT assertion (RFC 7523) to the key's token_uri") {
  Loopback lb;
  auto key = tessera::test::make_rsa_key();
  lb.server.configure({{"clients", {{"robot@project.iam.gserviceaccount.com", {{"public_key", key.public_pem}}}}}});
  json::object sa{{"type", "service_account"},
                  {"client_email", "robot@project.iam.gserviceaccount.com"},
                  {"private_key", key.private_pem},
                  {"private_key_id", "key-1"},
                  {"token_uri", lb.server.endpoint("/token")}};
  sdk::ProviderConfig c;
  c.client_secret = json::serialize(sa);
  c.values["subject"] = "admin@example.com";
  for (const char* id : {"google_docs", "google_sheets", "google"}) {
    CAPTURE(id);
    const auto& p = builtin(id, sdk::GrantType::client_credentials);
    TokenResult t = lb.engine.client_credentials(p, c);
    CHECK_THAT(t.tokens.access_token, Catch::StartsWith("at-"));
    auto sent = lb.server.last_params("/token");
    CHECK(sent.at("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer");
    auto claims = lb.server.state().at("last").at("jwt_claims").as_object();
    CHECK(claims.at("sub") == "admin@example.com");
    CHECK(claims.at("aud") == lb.server.endpoint("/token").c_str());
    CHECK(claims.at("scope") == p.spec().default_scopes.at(0).c_str());
  }
  SECTION("a key the server does not know is refused as invalid_grant") {
    auto other = tessera::test::make_rsa_key();
    sa["private_key"] = other.private_pem;
    c.client_secret = json::serialize(sa);
    auto e =
        oauth_error_of([&] { lb.engine.client_credentials(builtin("google", sdk::GrantType::client_credentials), c); });
    CHECK(e.code() == ErrorCode::reconnect_needed);
    CHECK_THAT(e.what(), Catch::Contains("bad signature"));
    CHECK_THAT(e.what(), !Catch::Contains("PRIVATE KEY"));
  }
}

TEST_CASE("Microsoft: the tenant is substituted into the endpoints, client_secret_basic") {
  const auto& p = builtin("microsoft_graph", sdk::GrantType::client_credentials);
  sdk::ProviderConfig c;
  c.client_id = "app";
  c.values["tenant"] = "contoso.onmicrosoft.com";
  CHECK(resolve_endpoints(p.spec(), c).token ==
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  const auto& delegated = builtin("microsoft_teams", sdk::GrantType::authorization_code);
  c.values.clear();
  CHECK(resolve_endpoints(delegated.spec(), c).authorization ==
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize");
  c.values["tenant"] = "../../evil";
  CHECK_THROWS_AS(resolve_endpoints(delegated.spec(), c), Error);

  Loopback lb;
  auto cfg = lb.config();
  cfg.values["tenant"] = "contoso";
  TokenResult t = lb.engine.client_credentials(p, cfg);
  CHECK(lb.server.last_params("/token").at("scope") == "https://graph.microsoft.com/.default");
  CHECK_THAT(std::string(lb.server.last_headers("/token").at("Authorization").as_string()),
             Catch::StartsWith("Basic "));
  CHECK_FALSE(lb.server.last_params("/token").contains("client_secret"));
}

TEST_CASE("client_secret_basic form-encodes id and secret before base64 (RFC 6749 2.3.1)") {
  Loopback lb;
  const std::string id = "svc:id+1 é/%", secret = "p@ss:w/rd&= +%20";
  lb.server.configure({{"clients", {{id, {{"secret", secret}}}}}});
  const auto& p = builtin("servicenow", sdk::GrantType::client_credentials);
  auto c = lb.config(id, secret);
  c.values["instance"] = "acme";
  CHECK_NOTHROW(lb.engine.client_credentials(p, c));
  std::string header(lb.server.last_headers("/token").at("Authorization").as_string());
  auto decoded = crypto::base64_decode(header.substr(6)).value();
  CHECK(decoded == "svc%3Aid%2B1+%C3%A9%2F%25:p%40ss%3Aw%2Frd%26%3D+%2B%2520");
}

TEST_CASE("Jamf: client_secret_post") {
  Loopback lb;
  const auto& p = builtin("jamf", sdk::GrantType::client_credentials);
  auto c = lb.config();
  c.values["instance"] = "acme";
  lb.engine.client_credentials(p, c);
  auto sent = lb.server.last_params("/token");
  CHECK(sent.at("client_id") == "client-1");
  CHECK(sent.at("client_secret") == "secret-1");
  CHECK_FALSE(lb.server.last_headers("/token").contains("Authorization"));
}

namespace {
struct KeyJwtProvider final : sdk::ClientCredentialsOAuthProvider {
  KeyJwtProvider()
      : ClientCredentialsOAuthProvider([] {
          sdk::ProviderSpec s;
          s.id = s.metadata.id = "keyed";
          s.metadata.name = "Keyed";
          s.token_endpoint = "https://as.example.com/token";
          s.client_auth = sdk::ClientAuth::private_key_jwt;
          return s;
        }()) {}
};
}  // namespace

TEST_CASE("private_key_jwt client authentication") {
  Loopback lb;
  auto key = tessera::test::make_rsa_key();
  lb.server.configure({{"clients", {{"keyed-client", {{"public_key", key.public_pem}}}}}});
  ProviderRegistry registry;
  const auto& p = registry.add(std::make_shared<KeyJwtProvider>(), {"test", "", ""});
  auto c = lb.config("keyed-client", key.private_pem);
  CHECK_NOTHROW(lb.engine.client_credentials(p, c));
  CHECK(lb.server.last_params("/token").at("client_assertion_type") ==
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  c.client_secret = tessera::test::make_rsa_key().private_pem;
  auto e = oauth_error_of([&] { lb.engine.client_credentials(p, c); });
  CHECK(e.code() == ErrorCode::configuration);
}

TEST_CASE("TLS: the loopback HTTPS server is accepted only with the test CA") {
  tessera::test::TempDir dir;
  auto ca = tessera::test::make_test_ca(dir.path());
  OAuthServer server(ca);
  server.configure({{"clients", {{"client-1", {{"secret", "secret-1"}}}}}});
  REQUIRE(server.url().rfind("https://127.0.0.1:", 0) == 0);
  const auto& p = builtin("jamf", sdk::GrantType::client_credentials);
  sdk::ProviderConfig c;
  c.client_id = "client-1";
  c.client_secret = "secret-1";
  c.token_endpoint = server.endpoint("/token");
  c.values["instance"] = "acme";

  HttpOptions trusted = tessera::test::loopback_http_options();
  trusted.ca_bundle = ca.ca_cert.string();
  HttpClient with_ca(trusted);
  CHECK_NOTHROW(OAuthEngine(with_ca, kFastRetries).client_credentials(p, c));

  HttpClient without_ca(tessera::test::loopback_http_options());
  auto e = oauth_error_of([&] { OAuthEngine(without_ca, {1, {}, {}}).client_credentials(p, c); });
  CHECK(e.code() == ErrorCode::network);
  CHECK_THAT(e.what(), Catch::Contains("certificate") || Catch::Contains("SSL"));
}

TEST_CASE("every fault mode yields its error class, and nothing hangs or leaks a secret") {
  Loopback lb;
  const auto& p = builtin("jamf", sdk::GrantType::client_credentials);
  auto c = lb.config("client-1", "secret-1");
  c.values["instance"] = "acme";
  OAuthEngine once(lb.http, {1, {}, {}});

  struct Case {
    const char* fault;
    ErrorCode code;
    const char* says;
  };
  for (const Case& k :
       {Case{"invalid_grant", ErrorCode::reconnect_needed, "The grant has expired"},
        Case{"invalid_client", ErrorCode::configuration, "Client authentication failed"},
        Case{"invalid_scope", ErrorCode::oauth_rejected, "Unknown scope"},
        Case{"server_error", ErrorCode::transient, "HTTP 500"}, Case{"unavailable", ErrorCode::transient, "HTTP 503"},
        Case{"rate_limited", ErrorCode::transient, "Retry-After 1 s"},
        Case{"huge_body", ErrorCode::response_too_large, "exceeded 1048576 bytes"},
        Case{"malformed_json", ErrorCode::protocol, "neither a JSON object nor a form"},
        Case{"not_a_token", ErrorCode::protocol, "no access_token"},
        Case{"empty_error_400", ErrorCode::protocol, "HTTP 400"},
        Case{"redirect", ErrorCode::protocol, "redirects are not followed"}}) {
    CAPTURE(k.fault);
    lb.server.configure({{"fault", k.fault}, {"fault_count", -1}});
    auto e = oauth_error_of([&] { once.client_credentials(p, c); });
    CHECK(e.code() == k.code);
    CHECK_THAT(e.what(), Catch::Contains(k.says) && Catch::Contains("provider jamf") &&
                             Catch::Contains(lb.server.endpoint("/token")));
    CHECK_THAT(e.what(), !Catch::Contains("secret-1") && !Catch::Contains("secret=shh"));
    CHECK_THAT(e.description(), !Catch::Contains("secret-1"));
    if (k.fault == std::string("rate_limited")) CHECK(e.retry_after() == std::chrono::seconds(1));
  }

  SECTION("a response slower than the timeout") {
    HttpOptions fast = tessera::test::loopback_http_options();
    fast.total_timeout = std::chrono::milliseconds(500);
    HttpClient impatient(fast);
    lb.server.configure({{"fault", "slow"}, {"fault_count", 1}, {"slow_ms", 3000}});
    auto start = std::chrono::steady_clock::now();
    auto e = oauth_error_of([&] { OAuthEngine(impatient, {1, {}, {}}).client_credentials(p, c); });
    CHECK(e.code() == ErrorCode::network);
    CHECK_THAT(e.what(), Catch::Contains("within 500 ms"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  }
}

TEST_CASE("token response shapes: form bodies, string and missing expires_in, JWT exp") {
  Loopback lb;
  const auto& p = builtin("jamf", sdk::GrantType::client_credentials);
  auto c = lb.config();
  c.values["instance"] = "acme";
  const auto now = std::chrono::system_clock::now();

  lb.server.configure({{"fault", "form_body"}, {"fault_count", 1}});
  TokenResult form = lb.engine.client_credentials(p, c);
  CHECK_THAT(form.tokens.access_token, Catch::StartsWith("at-"));
  REQUIRE(form.expires_at);

  lb.server.configure({{"fault", ""}, {"expires_in", "string"}, {"lifetime", 120}});
  TokenResult str = lb.engine.client_credentials(p, c);
  REQUIRE(str.expires_at);
  CHECK(*str.expires_at < now + std::chrono::seconds(130));
  CHECK(*str.expires_at > now + std::chrono::seconds(110));

  lb.server.configure({{"expires_in", "missing"}});
  CHECK_FALSE(lb.engine.client_credentials(p, c).expires_at);

  lb.server.configure({{"expires_in", "jwt"}, {"lifetime", 600}});
  TokenResult jwt = lb.engine.client_credentials(p, c);
  REQUIRE(jwt.expires_at);
  CHECK(*jwt.expires_at > now + std::chrono::seconds(590));
  CHECK(*jwt.expires_at < now + std::chrono::seconds(610));
}

TEST_CASE("retries: client credentials repeat after a transient failure, a code exchange never") {
  Loopback lb;
  const auto& jamf = builtin("jamf", sdk::GrantType::client_credentials);
  auto c = lb.config();
  c.values["instance"] = "acme";
  lb.server.configure({{"fault", "server_error"}, {"fault_count", 1}, {"reset_counters", true}});
  CHECK_NOTHROW(lb.engine.client_credentials(jamf, c));
  CHECK(lb.server.count("/token") == 2);

  lb.server.configure({{"fault", "rate_limited"}, {"fault_count", 1}, {"reset_counters", true}});
  auto start = std::chrono::steady_clock::now();
  CHECK_NOTHROW(lb.engine.client_credentials(jamf, c));
  CHECK(lb.server.count("/token") == 2);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));  // Retry-After: 1

  lb.server.configure({{"fault", "server_error"}, {"fault_count", -1}, {"reset_counters", true}});
  CHECK(oauth_error_of([&] { lb.engine.client_credentials(jamf, c); }).code() == ErrorCode::transient);
  CHECK(lb.server.count("/token") == kFastRetries.attempts);

  const auto& github = builtin("github", sdk::GrantType::authorization_code);
  auto gc = lb.config();
  lb.server.configure({{"fault", ""}});
  auto request = lb.engine.begin_authorization(github, gc, "http://127.0.0.1:1/callback");
  auto response = lb.approve(request);
  lb.server.configure({{"fault", "server_error"}, {"fault_count", 1}, {"reset_counters", true}});
  auto e = oauth_error_of([&] { lb.engine.complete_authorization(github, gc, request, response); });
  CHECK(e.code() == ErrorCode::transient);
  CHECK(lb.server.count("/token") == 1);
}

TEST_CASE("refresh keeps the refresh token unless the server rotates it") {
  Loopback lb;
  const auto& p = builtin("github", sdk::GrantType::authorization_code);
  auto c = lb.config();
  TokenResult first = lb.connect(p, c);
  const std::string rt = first.tokens.refresh_token.value();

  TokenResult kept = lb.engine.refresh(p, c, rt);
  CHECK(kept.tokens.access_token != first.tokens.access_token);
  CHECK(kept.tokens.refresh_token == rt);
  CHECK(lb.server.last_params("/token").at("grant_type") == "refresh_token");

  lb.server.configure({{"rotate_refresh", true}});
  TokenResult rotated = lb.engine.refresh(p, c, rt);
  REQUIRE(rotated.tokens.refresh_token);
  CHECK(*rotated.tokens.refresh_token != rt);
  // The old one is gone: the user would have to reconnect if only it had been kept.
  CHECK(oauth_error_of([&] { lb.engine.refresh(p, c, rt); }).code() == ErrorCode::reconnect_needed);
  CHECK_NOTHROW(lb.engine.refresh(p, c, *rotated.tokens.refresh_token));
}

TEST_CASE("revocation (RFC 7009)") {
  Loopback lb;
  const auto& p = builtin("github", sdk::GrantType::authorization_code);
  auto c = lb.config();
  TokenResult t = lb.connect(p, c);
  CHECK_THROWS_WITH(lb.engine.revoke(p, c, t.tokens.access_token), Catch::Contains("no revocation endpoint"));
  c.revocation_endpoint = lb.server.endpoint("/revoke");
  lb.engine.revoke(p, c, t.tokens.access_token);
  auto sent = lb.server.last_params("/revoke");
  CHECK(sent.at("token") == t.tokens.access_token.c_str());
  CHECK(sent.at("token_type_hint") == "access_token");
  CHECK(lb.server.state().at("revoked").as_array().size() == 1);

  lb.server.configure(
      {{"fault", "server_error"}, {"fault_endpoint", "/revoke"}, {"fault_count", 1}, {"reset_counters", true}});
  lb.engine.revoke(p, c, *t.tokens.refresh_token, "refresh_token");
  CHECK(lb.server.count("/revoke") == 2);
}

TEST_CASE("discovery (RFC 8414) reads endpoints and chooses PKCE and client authentication") {
  Loopback lb;
  ServerMetadata m = lb.engine.discover(lb.server.url());
  CHECK(m.issuer == lb.server.url());
  CHECK(m.authorization_endpoint == lb.server.endpoint("/authorize"));
  CHECK(m.token_endpoint == lb.server.endpoint("/token"));
  CHECK(m.revocation_endpoint == lb.server.endpoint("/revoke"));
  CHECK(m.supports_pkce_s256());
  CHECK(m.preferred_client_auth() == sdk::ClientAuth::client_secret_post);

  lb.server.configure({{"metadata_issuer", "https://impostor.example.com"}});
  auto e = oauth_error_of([&] { lb.engine.discover(lb.server.url()); });
  CHECK(e.code() == ErrorCode::protocol);
  CHECK_THAT(e.what(), Catch::Contains("impostor"));

  auto missing = oauth_error_of([&] { lb.engine.discover(lb.server.url() + "/tenant-x"); });
  CHECK_THAT(missing.what(), Catch::Contains("no metadata"));
}

TEST_CASE("without the development option, a name resolving to a loopback address is refused at connect time") {
  Loopback lb;
  char name[256] = {};
  REQUIRE(gethostname(name, sizeof name) == 0);
  addrinfo* found = nullptr;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  if (getaddrinfo(name, nullptr, &hints, &found) != 0 || !found) {
    WARN("this machine's host name does not resolve; skipped");
    return;
  }
  const auto ip = ntohl(reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr.s_addr);
  freeaddrinfo(found);
  if ((ip >> 24) != 127) {
    WARN("this machine's host name does not resolve to a loopback address; skipped");
    return;
  }
  HttpOptions strict;
  strict.https_proxy = strict.http_proxy = strict.no_proxy = "";
  HttpClient client(strict);
  std::string port = lb.server.url().substr(lb.server.url().rfind(':') + 1);
  std::string url = "https://" + std::string(name) + ":" + port + "/token";
  CHECK_NOTHROW(check_endpoint_url(url, false));  // the literal host looks public
  try {
    client.send({"POST", url, {}, "", false});
    FAIL("connected");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::blocked_endpoint);
    CHECK_THAT(e.what(), Catch::Contains("127."));
  }
  CHECK(lb.server.count("/token") == 0);
}

TEST_CASE("every built-in provider completes its flow against the loopback server") {
  Loopback lb;
  auto key = tessera::test::make_rsa_key();
  lb.server.configure({{"clients", {{"robot@p.iam.gserviceaccount.com", {{"public_key", key.public_pem}}}}}});
  const std::string sa_key = json::serialize(json::object{{"type", "service_account"},
                                                          {"client_email", "robot@p.iam.gserviceaccount.com"},
                                                          {"private_key", key.private_pem},
                                                          {"token_uri", lb.server.endpoint("/token")}});
  int flows = 0;
  for (const auto* p : tessera::test::builtin_registry().list()) {
    CAPTURE(to_string(p->key()));
    auto c = lb.config();
    for (const auto& field : p->spec().config_fields)
      if (field.required && !field.default_value) c.values[field.name] = "acme";
    TokenResult t;
    if (p->spec().grant_type == sdk::GrantType::authorization_code) {
      t = lb.connect(*p, c);
      CHECK(t.tokens.refresh_token);
    } else if (p->spec().client_auth == sdk::ClientAuth::jwt_bearer) {
      c.client_secret = sa_key;
      c.token_endpoint.reset();
      t = lb.engine.client_credentials(*p, c);
    } else {
      t = lb.engine.client_credentials(*p, c);
      auto sent = lb.server.last_params("/token");
      if (p->spec().default_scopes.empty())
        CHECK_FALSE(sent.contains("scope"));
      else
        CHECK(sent.at("scope") == sdk::join_scopes(p->spec().default_scopes, " ").c_str());
    }
    CHECK_THAT(t.tokens.access_token, Catch::StartsWith("at-"));
    CHECK(t.expires_at);
    ++flows;
  }
  CHECK(flows == 25);
}

TEST_CASE("proxy variables are honoured, and no_proxy bypasses the proxy") {
  Loopback lb;
  const auto& p = builtin("jamf", sdk::GrantType::client_credentials);
  auto c = lb.config();
  c.values["instance"] = "acme";
  // The loopback server doubles as the forward proxy: requests it receives in absolute form
  // are counted as proxied.
  struct Env {
    const char* name;
    ~Env() { ::unsetenv(name); }
  };
  Env http_proxy{"http_proxy"}, no_proxy{"no_proxy"};
  ::setenv("http_proxy", lb.server.url().c_str(), 1);
  HttpOptions from_env = tessera::test::loopback_http_options();
  from_env.https_proxy = from_env.http_proxy = from_env.no_proxy = std::nullopt;  // read the environment
  {
    HttpClient proxied(from_env);
    OAuthEngine(proxied).client_credentials(p, c);
    CHECK(lb.server.count("proxied") == 1);
  }
  ::setenv("no_proxy", "localhost,127.0.0.1", 1);
  {
    HttpClient bypassed(from_env);
    OAuthEngine(bypassed).client_credentials(p, c);
    CHECK(lb.server.count("proxied") == 1);
  }
  CHECK(lb.server.count("/token") == 2);
}
