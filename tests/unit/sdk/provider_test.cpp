// The SDK base classes: the parameters they send, how they read token responses, how they
// validate an operator's configuration, and the version rules.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <tessera/sdk/provider.hpp>
#include <tessera/sdk/version.hpp>

using namespace tessera::sdk;

namespace {

ProviderSpec base_spec() {
  ProviderSpec s;
  s.id = s.metadata.id = "acme";
  s.metadata.name = "Acme";
  s.authorization_endpoint = "https://{tenant}.acme.test/authorize";
  s.token_endpoint = "https://{tenant}.acme.test/token";
  s.default_scopes = {"read", "write"};
  s.config_fields = {ConfigField{.name = "tenant",
                                 .label = "Tenant",
                                 .description = "",
                                 .kind = FieldKind::host_label,
                                 .required = true,
                                 .default_value = std::nullopt}};
  return s;
}

struct UserProvider final : AuthorizationCodeOAuthProvider {
  explicit UserProvider(ProviderSpec s = base_spec()) : AuthorizationCodeOAuthProvider(std::move(s)) {}
};
struct AppProvider final : ClientCredentialsOAuthProvider {
  explicit AppProvider(ProviderSpec s = base_spec()) : ClientCredentialsOAuthProvider(std::move(s)) {}
};

TokenSet parse(const OAuthProvider& p, std::string_view json) {
  return p.parse_token_response(boost::json::parse(json).as_object());
}

}  // namespace

TEST_CASE("a plugin is compatible when its SDK major matches and its minor is not newer") {
  CHECK(is_compatible({1, 0, 0}, {1, 0, 0}));
  CHECK(is_compatible({1, 0, 9}, {1, 3, 0}));
  CHECK(is_compatible({1, 2, 0}, {1, 3, 1}));
  CHECK_FALSE(is_compatible({1, 4, 0}, {1, 3, 0}));
  CHECK_FALSE(is_compatible({2, 0, 0}, {1, 3, 0}));
  CHECK_FALSE(is_compatible({0, 9, 0}, {1, 3, 0}));
}

TEST_CASE("the ABI tag names the compiler, the standard library ABI and the Boost release") {
  std::string tag = kSdkAbiTag;
  CHECK((tag.rfind("gcc-", 0) == 0 || tag.rfind("clang-", 0) == 0));
  CHECK(tag.find("/cxx11abi-1/") != std::string::npos);
  CHECK(tag.find("/boost-1_81") != std::string::npos);
}

TEST_CASE("the base classes fix the grant type whatever the spec said") {
  ProviderSpec s = base_spec();
  s.grant_type = GrantType::client_credentials;
  CHECK(UserProvider(s).grant_type() == GrantType::authorization_code);
  s.grant_type = GrantType::authorization_code;
  CHECK(AppProvider(s).grant_type() == GrantType::client_credentials);
}

TEST_CASE("grant types and client authentication methods round-trip through their names") {
  for (auto g : {GrantType::authorization_code, GrantType::client_credentials})
    CHECK(parse_grant_type(to_string(g)) == g);
  for (auto a : {ClientAuth::client_secret_basic, ClientAuth::client_secret_post, ClientAuth::none,
                 ClientAuth::private_key_jwt, ClientAuth::jwt_bearer})
    CHECK(parse_client_auth(to_string(a)) == a);
  CHECK_FALSE(parse_grant_type("implicit"));
  CHECK_FALSE(parse_client_auth(""));
}

TEST_CASE("scopes: unset means the defaults, an empty list means none") {
  ProviderSpec s = base_spec();
  ProviderConfig c;
  CHECK(effective_scopes(s, c) == std::vector<std::string>{"read", "write"});
  c.scopes = std::vector<std::string>{};
  CHECK(effective_scopes(s, c).empty());
  c.scopes = std::vector<std::string>{"admin"};
  CHECK(effective_scopes(s, c) == std::vector<std::string>{"admin"});
  CHECK(split_scopes("a b  c ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split_scopes("a,b,,c", ",") == std::vector<std::string>{"a", "b", "c"});
  CHECK(join_scopes({"a", "b"}, ",") == "a,b");
}

TEST_CASE("authorization parameters follow RFC 6749 and RFC 7636") {
  UserProvider p;
  ProviderConfig c;
  c.client_id = "client-1";
  AuthorizationContext ctx{c, "https://host.test/callback", "state-xyz", {"read", "write"}, "challenge-abc"};
  Params params = p.authorization_params(ctx);
  CHECK(*find_param(params, "response_type") == "code");
  CHECK(*find_param(params, "client_id") == "client-1");
  CHECK(*find_param(params, "redirect_uri") == "https://host.test/callback");
  CHECK(*find_param(params, "scope") == "read write");
  CHECK(*find_param(params, "state") == "state-xyz");
  CHECK(*find_param(params, "code_challenge") == "challenge-abc");
  CHECK(*find_param(params, "code_challenge_method") == "S256");

  SECTION("no scope parameter when no scope is requested, no challenge without PKCE") {
    AuthorizationContext bare{c, "https://host.test/cb", "s", {}, std::nullopt};
    Params p2 = p.authorization_params(bare);
    CHECK(find_param(p2, "scope") == nullptr);
    CHECK(find_param(p2, "code_challenge") == nullptr);
    CHECK(find_param(p2, "code_challenge_method") == nullptr);
  }
  SECTION("the spec's scope separator is used") {
    ProviderSpec s = base_spec();
    s.scope_separator = ",";
    UserProvider comma(s);
    CHECK(*find_param(comma.authorization_params(ctx), "scope") == "read,write");
  }
}

TEST_CASE("token request parameters per grant") {
  AppProvider p;
  ProviderConfig c;
  TokenRequestContext code{c, "authorization_code", "the-code", "https://h/cb", "verifier", "", "", {"read"}};
  Params a = p.token_params(code);
  CHECK(a == Params{{"grant_type", "authorization_code"},
                    {"code", "the-code"},
                    {"redirect_uri", "https://h/cb"},
                    {"code_verifier", "verifier"}});

  TokenRequestContext refresh{c, "refresh_token", "", "", "", "rt-1", "", {}};
  CHECK(p.token_params(refresh) == Params{{"grant_type", "refresh_token"}, {"refresh_token", "rt-1"}});

  TokenRequestContext cc{c, "client_credentials", "", "", "", "", "", {"read", "write"}};
  CHECK(p.token_params(cc) == Params{{"grant_type", "client_credentials"}, {"scope", "read write"}});

  TokenRequestContext jwt{c, "urn:ietf:params:oauth:grant-type:jwt-bearer", "", "", "", "", "a.b.c", {"read"}};
  CHECK(p.token_params(jwt) ==
        Params{{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", "a.b.c"}});
}

TEST_CASE("token responses are read per RFC 6749 section 5.1") {
  AppProvider p;
  SECTION("every field") {
    TokenSet t = parse(p, R"({"access_token":"at","token_type":"mac","refresh_token":"rt","expires_in":3600,
                              "scope":"read write","id_token":"idt"})");
    CHECK(t.access_token == "at");
    CHECK(t.token_type == "mac");
    CHECK(t.refresh_token == "rt");
    CHECK(t.expires_in == 3600);
    CHECK(t.scope == std::vector<std::string>{"read", "write"});
    CHECK(t.id_token == "idt");
  }
  SECTION("defaults: Bearer, unknown lifetime, scope not stated") {
    TokenSet t = parse(p, R"({"access_token":"at"})");
    CHECK(t.token_type == "Bearer");
    CHECK_FALSE(t.expires_in);
    CHECK_FALSE(t.scope);
    CHECK_FALSE(t.refresh_token);
  }
  SECTION("expires_in as a numeric string") {
    CHECK(parse(p, R"({"access_token":"at","expires_in":"120"})").expires_in == 120);
  }
  SECTION("malformed bodies") {
    CHECK_THROWS_AS(parse(p, R"({"token_type":"Bearer"})"), TokenResponseError);
    CHECK_THROWS_AS(parse(p, R"({"access_token":""})"), TokenResponseError);
    CHECK_THROWS_AS(parse(p, R"({"access_token":12})"), TokenResponseError);
    CHECK_THROWS_WITH(parse(p, R"({"access_token":"a","expires_in":"soon"})"), Catch::Contains("expires_in"));
    CHECK_THROWS_WITH(parse(p, R"({"access_token":"a","expires_in":-5})"), Catch::Contains("expires_in"));
  }
  SECTION("an error body raises TokenResponseError with the OAuth error code") {
    try {
      parse(p, R"({"error":"invalid_grant","error_description":"code expired"})");
      FAIL("no exception");
    } catch (const TokenResponseError& e) {
      CHECK(e.error() == "invalid_grant");
      CHECK(e.description() == "code expired");
    }
  }
}

TEST_CASE("configuration is validated field by field") {
  AppProvider p;
  ProviderConfig c;
  auto problems = p.validate_config(c);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "client id is required");
  CHECK(problems[1] == "Tenant (tenant) is required");

  c.client_id = "id";
  c.values["tenant"] = "acme";
  CHECK(p.validate_config(c).empty());

  SECTION("a value that would change the URL's host or path is refused") {
    for (const char* bad : {"evil.com/x", "a.b", "-acme", "acme-", "", "a b", "acme@evil", "..", "%2e"}) {
      c.values["tenant"] = bad;
      CAPTURE(bad);
      CHECK_FALSE(p.validate_config(c).empty());
    }
  }
  SECTION("an unknown setting is reported") {
    c.values["colour"] = "blue";
    auto unknown = p.validate_config(c);
    REQUIRE(unknown.size() == 1);
    CHECK(unknown[0].find("colour") != std::string::npos);
  }
}

TEST_CASE("field kinds") {
  ConfigField dns{.name = "tenant",
                  .label = "",
                  .description = "",
                  .kind = FieldKind::dns_name,
                  .required = true,
                  .default_value = std::nullopt};
  CHECK_FALSE(check_field_value(dns, "contoso.onmicrosoft.com"));
  CHECK_FALSE(check_field_value(dns, "72f988bf-86f1-41af-91ab-2d7cd011db47"));
  CHECK(check_field_value(dns, "contoso..com"));
  CHECK(check_field_value(dns, ".."));
  CHECK(check_field_value(dns, "a/b"));
  ConfigField email = dns;
  email.kind = FieldKind::email;
  CHECK_FALSE(check_field_value(email, "admin@example.com"));
  CHECK(check_field_value(email, "admin"));
  CHECK(check_field_value(email, "a@b@c"));
  ConfigField text = dns;
  text.kind = FieldKind::text;
  CHECK_FALSE(check_field_value(text, "anything / at all"));
}
