// The registry on its own, with provider objects registered directly (no plugin files).
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <stdexcept>

#include "tessera/core/registry.hpp"

using namespace tessera;
using namespace tessera::core;
using tessera::sdk::ProviderSpec;

namespace {

ProviderSpec test_spec(const std::string& id) {
  ProviderSpec s;
  s.id = s.metadata.id = id;
  s.metadata.name = id;
  s.authorization_endpoint = "https://auth.example.com/authorize";
  s.token_endpoint = "https://auth.example.com/token";
  return s;
}

struct User final : sdk::AuthorizationCodeOAuthProvider {
  explicit User(ProviderSpec s) : AuthorizationCodeOAuthProvider(std::move(s)) {}
};
struct App final : sdk::ClientCredentialsOAuthProvider {
  explicit App(ProviderSpec s)
      : ClientCredentialsOAuthProvider([&] {
          s.authorization_endpoint.clear();
          return std::move(s);
        }()) {}
};

std::shared_ptr<const sdk::OAuthProvider> user(const std::string& id) {
  return std::make_shared<User>(test_spec(id));
}
std::shared_ptr<const sdk::OAuthProvider> app(const std::string& id) {
  return std::make_shared<App>(test_spec(id));
}

std::string problems_of(ProviderSpec s) {
  std::string all;
  for (const auto& p : validate_spec(s)) all += p + "\n";
  return all;
}

}  // namespace

TEST_CASE("providers are keyed by id and grant type") {
  ProviderRegistry r;
  r.add(user("acme"), {"test", "", ""});
  r.add(app("acme"), {"test", "", ""});
  CHECK(r.size() == 2);
  REQUIRE(r.find({"acme", sdk::GrantType::authorization_code}));
  REQUIRE(r.find({"acme", sdk::GrantType::client_credentials}));
  CHECK_FALSE(r.find({"other", sdk::GrantType::client_credentials}));
  CHECK(r.find_all("acme").size() == 2);
  CHECK(r.find_all("acm").empty());
}

TEST_CASE("a duplicate key is refused, names both origins, and the first registration is kept") {
  ProviderRegistry r;
  r.add(user("acme"), {"/plugins/a.so", "a", "1.0"});
  try {
    r.add(user("acme"), {"/plugins/b.so", "b", "1.0"});
    FAIL("duplicate accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::duplicate_provider);
    CHECK_THAT(e.what(), Catch::Contains("/plugins/a.so") && Catch::Contains("/plugins/b.so") &&
                             Catch::Contains("acme (authorization_code)"));
  }
  CHECK(r.size() == 1);
  CHECK(r.find({"acme", sdk::GrantType::authorization_code})->origin().source == "/plugins/a.so");
}

TEST_CASE("listing is ordered by id then grant type, whatever the registration order") {
  ProviderRegistry r;
  for (const char* id : {"zeta", "alpha", "mid"}) r.add(app(id), {"t", "", ""});
  r.add(user("mid"), {"t", "", ""});
  std::vector<std::string> seen;
  for (const auto* p : r.list()) seen.push_back(to_string(p->key()));
  CHECK(seen == std::vector<std::string>{"alpha (client_credentials)", "mid (authorization_code)",
                                         "mid (client_credentials)", "zeta (client_credentials)"});
  CHECK(r.list(sdk::GrantType::authorization_code).size() == 1);
}

TEST_CASE("specs are validated on registration") {
  CHECK(validate_spec(test_spec("good_id_2")).empty());

  SECTION("id syntax") {
    for (const char* bad : {"Bad", "1abc", "_x", "a-b", "", "a b", "ünï"}) {
      CAPTURE(bad);
      CHECK_THAT(problems_of(test_spec(bad)), Catch::Contains("must match ^[a-z][a-z0-9_]*$"));
    }
  }
  SECTION("metadata id must equal the id") {
    ProviderSpec s = test_spec("acme");
    s.metadata.id = "other";
    CHECK_THAT(problems_of(s), Catch::Contains("metadata.id 'other' differs"));
  }
  SECTION("custom_ is reserved for custom providers") {
    CHECK_THAT(problems_of(test_spec("custom_acme")), Catch::Contains("reserved for custom providers"));
    CHECK(validate_spec(test_spec("custom_acme"), true).empty());
    CHECK_THAT(validate_spec(test_spec("acme"), true).at(0), Catch::Contains("must start with custom_"));
    CHECK(validate_spec(test_spec("customer")).empty());
  }
  SECTION("endpoints are https, without user info or fragment") {
    ProviderSpec s = test_spec("acme");
    s.token_endpoint = "http://auth.example.com/token";
    CHECK_THAT(problems_of(s), Catch::Contains("must use https"));
    s.token_endpoint = "https://user:pw@auth.example.com/token";
    CHECK_THAT(problems_of(s), Catch::Contains("user information"));
    s.token_endpoint = "https://auth.example.com/token#frag";
    CHECK_THAT(problems_of(s), Catch::Contains("fragment"));
    s.token_endpoint = "not a url";
    CHECK_THAT(problems_of(s), Catch::Contains("not an absolute URL"));
    s.token_endpoint = "";
    CHECK_THAT(problems_of(s), Catch::Contains("token_endpoint is required"));
  }
  SECTION("placeholders must be declared host_label or dns_name config fields") {
    ProviderSpec s = test_spec("acme");
    s.token_endpoint = "https://{instance}.example.com/token";
    CHECK_THAT(problems_of(s), Catch::Contains("{instance}, which is not a declared config field"));
    s.config_fields.push_back({.name = "instance",
                               .label = "",
                               .description = "",
                               .kind = sdk::FieldKind::text,
                               .required = true,
                               .default_value = std::nullopt});
    CHECK_THAT(problems_of(s), Catch::Contains("a text field"));
    s.config_fields.back().kind = sdk::FieldKind::host_label;
    CHECK(validate_spec(s).empty());
    s.token_endpoint = "https://{instance.example.com/token";
    CHECK_THAT(problems_of(s), Catch::Contains("unmatched '{'"));
  }
  SECTION("the authorization endpoint belongs to the authorization code grant only") {
    ProviderSpec s = test_spec("acme");
    s.authorization_endpoint.clear();
    CHECK_THAT(problems_of(s), Catch::Contains("authorization_endpoint is required"));
    s = test_spec("acme");
    s.grant_type = sdk::GrantType::client_credentials;
    CHECK_THAT(problems_of(s), Catch::Contains("grant is client_credentials"));
  }
  SECTION("every problem is listed, not just the first") {
    ProviderSpec s = test_spec("Bad");
    s.token_endpoint = "http://x.example.com/t";
    s.metadata.name.clear();
    s.metadata.id = "other";
    CHECK(validate_spec(s).size() == 4);
  }
  SECTION("registration throws invalid_spec with every problem") {
    ProviderRegistry r;
    ProviderSpec s = test_spec("Bad");
    s.token_endpoint = "http://x.example.com/t";
    try {
      r.add(std::make_shared<User>(s), {"t", "", ""});
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::invalid_spec);
      CHECK_THAT(e.what(), Catch::Contains("must match") && Catch::Contains("https"));
    }
    CHECK(r.size() == 0);
  }
}

namespace {
struct Throwing final : sdk::AuthorizationCodeOAuthProvider {
  Throwing() : AuthorizationCodeOAuthProvider(test_spec("thrower")) {}
  std::vector<std::string> validate_config(const sdk::ProviderConfig&) const override {
    throw std::runtime_error("kaboom");
  }
  sdk::Params authorization_params(const sdk::AuthorizationContext&) const override { throw 3; }
  sdk::TokenSet parse_token_response(const boost::json::object&) const override {
    throw sdk::TokenResponseError("invalid_grant", "expired");
  }
};
}  // namespace

TEST_CASE("exceptions from provider hooks become errors naming the provider, its origin and the hook") {
  ProviderRegistry r;
  const auto& p = r.add(std::make_shared<Throwing>(), {"/x/tessera_provider_t.so", "t", "1"});
  sdk::ProviderConfig c;
  try {
    p.validate_config(c);
    FAIL("no throw");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::provider_failed);
    CHECK_THAT(e.what(), Catch::Contains("thrower (authorization_code)") && Catch::Contains("validate_config") &&
                             Catch::Contains("kaboom") && Catch::Contains("/x/tessera_provider_t.so"));
  }
  sdk::AuthorizationContext ctx{c, "", "", {}, std::nullopt};
  CHECK_THROWS_WITH(p.authorization_params(ctx), Catch::Contains("non-standard exception"));
  // A token error is the provider's verdict on the response, not a failure of the plugin.
  CHECK_THROWS_AS(p.parse_token_response(boost::json::object{}), sdk::TokenResponseError);
}

TEST_CASE("authorization_params is refused for a client credentials provider") {
  ProviderRegistry r;
  const auto& p = r.add(app("acme"), {"t", "", ""});
  sdk::ProviderConfig c;
  sdk::AuthorizationContext ctx{c, "", "", {}, std::nullopt};
  CHECK_THROWS_WITH(p.authorization_params(ctx), Catch::Contains("does not use the authorization code grant"));
}
