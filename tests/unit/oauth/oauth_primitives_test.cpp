// PKCE, state, endpoint templating and callback parsing: the parts of the engine that need
// no network.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "tessera/core/oauth.hpp"

using namespace tessera;
using namespace tessera::core;

TEST_CASE("PKCE S256 matches RFC 7636 appendix B") {
  CHECK(code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") ==
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("state and verifiers: 256 random bits in the unreserved alphabet") {
  const std::regex alphabet("[A-Za-z0-9_-]{43}");
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string s = make_state(), v = make_code_verifier();
    REQUIRE(std::regex_match(s, alphabet));  // 43 chars of base64url = 256 bits >= 128
    REQUIRE(std::regex_match(v, alphabet));  // RFC 7636: 43..128 unreserved characters
    seen.insert(s);
    seen.insert(v);
  }
  CHECK(seen.size() == 4000);
  // Every alphabet position carries entropy: all 64 symbols show up across the samples.
  std::set<char> symbols;
  for (const auto& s : seen) symbols.insert(s.begin(), s.end());
  CHECK(symbols.size() == 64);
}

namespace {
sdk::ProviderSpec templated_spec() {
  sdk::ProviderSpec s;
  s.id = s.metadata.id = "acme";
  s.authorization_endpoint = "https://{instance}.acme.example.com/authorize";
  s.token_endpoint = "https://login.acme.example.com/{tenant}/token";
  s.issuer = "https://login.acme.example.com/{tenant}";
  s.config_fields = {{.name = "instance",
                      .label = "Instance",
                      .description = "",
                      .kind = sdk::FieldKind::host_label,
                      .required = true,
                      .default_value = std::nullopt},
                     {.name = "tenant",
                      .label = "Tenant",
                      .description = "",
                      .kind = sdk::FieldKind::dns_name,
                      .required = true,
                      .default_value = "common"}};
  return s;
}
}  // namespace

TEST_CASE("endpoint templates are filled from validated config values") {
  sdk::ProviderConfig c;
  c.values["instance"] = "shop";
  Endpoints e = resolve_endpoints(templated_spec(), c);
  CHECK(e.authorization == "https://shop.acme.example.com/authorize");
  CHECK(e.token == "https://login.acme.example.com/common/token");
  CHECK(e.issuer == "https://login.acme.example.com/common");
  c.values["tenant"] = "contoso.onmicrosoft.com";
  CHECK(resolve_endpoints(templated_spec(), c).token == "https://login.acme.example.com/contoso.onmicrosoft.com/token");

  SECTION("values that would move the URL are refused") {
    for (const char* bad : {"evil.com/x", "evil.com#", "a@b", "shop.evil.com", "..", "shop:443", "%2f"}) {
      c.values["instance"] = bad;
      CAPTURE(bad);
      try {
        resolve_endpoints(templated_spec(), c);
        FAIL("accepted");
      } catch (const Error& err) {
        CHECK(err.code() == ErrorCode::configuration);
      }
    }
  }
  SECTION("a missing required value is named") {
    c.values.erase("instance");
    CHECK_THROWS_WITH(resolve_endpoints(templated_spec(), c), Catch::Contains("instance"));
  }
  SECTION("overrides replace the template and must pass the endpoint policy") {
    c.token_endpoint = "https://other.example.com/token";
    CHECK(resolve_endpoints(templated_spec(), c).token == "https://other.example.com/token");
    c.token_endpoint = "https://169.254.169.254/token";
    CHECK_THROWS_AS(resolve_endpoints(templated_spec(), c), Error);
    c.token_endpoint = "http://127.0.0.1:9/token";
    CHECK_THROWS_AS(resolve_endpoints(templated_spec(), c), Error);
    CHECK(resolve_endpoints(templated_spec(), c, true).token == "http://127.0.0.1:9/token");
  }
}

TEST_CASE("authorization responses are read from the redirect's query") {
  auto r = AuthorizationResponse::from_query("?code=abc&state=s%2B1&iss=https%3A%2F%2Fas.example.com");
  CHECK(r.code == "abc");
  CHECK(r.state == "s+1");
  CHECK(r.iss == std::string("https://as.example.com"));
  CHECK_FALSE(r.error);
  auto e = AuthorizationResponse::from_query("error=access_denied&error_description=User+said+no&state=x");
  CHECK(e.error == std::string("access_denied"));
  CHECK(e.error_description == "User said no");
}

TEST_CASE("metadata choices") {
  ServerMetadata m;
  CHECK(m.preferred_client_auth() == sdk::ClientAuth::client_secret_basic);
  m.token_endpoint_auth_methods_supported = {"private_key_jwt", "client_secret_post"};
  CHECK(m.preferred_client_auth() == sdk::ClientAuth::client_secret_post);
  m.token_endpoint_auth_methods_supported = {"none"};
  CHECK(m.preferred_client_auth() == sdk::ClientAuth::none);
  CHECK_FALSE(m.supports_pkce_s256());
  m.code_challenge_methods_supported = {"plain", "S256"};
  CHECK(m.supports_pkce_s256());
}
