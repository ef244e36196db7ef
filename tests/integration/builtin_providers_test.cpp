// The built-in catalogue as operators and the engine rely on it: ids, grants, endpoints,
// default scopes, client authentication and each vendor's peculiarities.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/builtins.hpp"
#include "tessera/core/plugin_loader.hpp"

using namespace tessera;
using namespace tessera::core;
using sdk::GrantType;

namespace {

const RegisteredProvider& get(const std::string& id, GrantType grant) {
  const auto* p = tessera::test::builtin_registry().find({id, grant});
  if (!p) FAIL("provider " << id << " missing");
  return *p;
}

sdk::Params auth_params(const RegisteredProvider& p, const sdk::ProviderConfig& config) {
  sdk::AuthorizationContext ctx{config, "https://tessera.test/callback", "st", sdk::effective_scopes(p.spec(), config),
                                p.spec().pkce ? std::optional<std::string>("ch") : std::nullopt};
  return p.authorization_params(ctx);
}

sdk::TokenSet parse(const RegisteredProvider& p, std::string_view json) {
  return p.parse_token_response(boost::json::parse(json).as_object());
}

const char* kServiceAccountKey = R"({
  "type": "service_account", "project_id": "p", "private_key_id": "k1",
  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
  "client_email": "robot@p.iam.gserviceaccount.com", "client_id": "123",
  "token_uri": "https://oauth2.googleapis.com/token"})";

}  // namespace

TEST_CASE("GitHub") {
  const auto& p = get("github", GrantType::authorization_code);
  CHECK(p.spec().authorization_endpoint == "https://github.com/login/oauth/authorize");
  CHECK(p.spec().token_endpoint == "https://github.com/login/oauth/access_token");
  CHECK(p.spec().default_scopes == std::vector<std::string>{"repo"});
  CHECK(p.spec().metadata.name == "GitHub");
  CHECK_FALSE(tessera::test::builtin_registry().contains({"github", GrantType::client_credentials}));
}

TEST_CASE("Slack sends user scopes as user_scope and reads the user token from authed_user") {
  const auto& p = get("slack", GrantType::authorization_code);
  CHECK(p.spec().authorization_endpoint == "https://slack.com/oauth/v2/authorize");
  CHECK(p.spec().token_endpoint == "https://slack.com/api/oauth.v2.access");
  CHECK(p.spec().default_scopes == std::vector<std::string>{"search:read"});

  sdk::ProviderConfig config;
  config.client_id = "c";
  config.scopes = std::vector<std::string>{"search:read", "chat:write"};
  auto params = auth_params(p, config);
  REQUIRE(sdk::find_param(params, "user_scope"));
  CHECK(*sdk::find_param(params, "user_scope") == "search:read,chat:write");
  CHECK(sdk::find_param(params, "scope") == nullptr);

  auto user = parse(p, R"({"ok":true,"access_token":"xoxb-bot","token_type":"bot","scope":"commands",
                           "authed_user":{"id":"U1","access_token":"xoxp-user","token_type":"user",
                                          "scope":"search:read,chat:write","refresh_token":"xoxe-1","expires_in":43200}})");
  CHECK(user.access_token == "xoxp-user");
  CHECK(user.refresh_token == "xoxe-1");
  CHECK(user.expires_in == 43200);
  CHECK(user.scope == std::vector<std::string>{"search:read", "chat:write"});

  auto top = parse(p, R"({"ok":true,"access_token":"xoxp-top","token_type":"user","scope":"a,b"})");
  CHECK(top.access_token == "xoxp-top");
  CHECK(top.scope == std::vector<std::string>{"a", "b"});

  try {
    parse(p, R"({"ok":false,"error":"invalid_code"})");
    FAIL("accepted an error");
  } catch (const sdk::TokenResponseError& e) {
    CHECK(e.error() == "invalid_grant");
  }
}

TEST_CASE("Google user providers ask for offline access with PKCE") {
  for (const char* id : {"google_drive", "google_gmail"}) {
    CAPTURE(id);
    const auto& p = get(id, GrantType::authorization_code);
    CHECK(p.spec().pkce);
    CHECK(p.spec().authorization_endpoint == "https://accounts.google.com/o/oauth2/v2/auth");
    CHECK(p.spec().token_endpoint == "https://oauth2.googleapis.com/token");
    sdk::ProviderConfig config;
    config.client_id = "c";
    auto params = auth_params(p, config);
    CHECK(*sdk::find_param(params, "access_type") == "offline");
    CHECK(*sdk::find_param(params, "prompt") == "consent");
    CHECK(*sdk::find_param(params, "code_challenge_method") == "S256");
  }
}

TEST_CASE("Google service-account providers validate the JSON key") {
  for (const char* id : {"google_docs", "google_sheets", "google"}) {
    CAPTURE(id);
    const auto& p = get(id, GrantType::client_credentials);
    CHECK(p.spec().client_auth == sdk::ClientAuth::jwt_bearer);
    sdk::ProviderConfig config;
    config.client_secret = kServiceAccountKey;
    CHECK(p.validate_config(config).empty());  // the client id comes from the key

    config.values["subject"] = "admin@example.com";
    CHECK(p.validate_config(config).empty());
    config.values["subject"] = "not an email";
    CHECK_FALSE(p.validate_config(config).empty());
    config.values.clear();

    config.client_secret = "{not json";
    CHECK_THAT(p.validate_config(config).at(0), Catch::Contains("JSON key"));
    config.client_secret = R"({"type":"authorized_user","client_email":"x@y.z","private_key":"nope"})";
    auto problems = p.validate_config(config);
    CHECK(problems.size() == 2);
    config.client_secret.reset();
    CHECK_FALSE(p.validate_config(config).empty());
  }
  CHECK(get("google_docs", GrantType::client_credentials).spec().default_scopes ==
        std::vector<std::string>{"https://www.googleapis.com/auth/documents"});
  CHECK(get("google_sheets", GrantType::client_credentials).spec().default_scopes ==
        std::vector<std::string>{"https://www.googleapis.com/auth/spreadsheets"});
}

TEST_CASE("Microsoft: eight services, each once per grant type, with a tenant") {
  int count = 0;
  for (const char* id : {"azure_management", "microsoft_sentinel", "azure_log_analytics", "microsoft_defender_endpoint",
                         "microsoft_defender_xdr", "microsoft_graph", "microsoft_entra", "microsoft_teams"}) {
    CAPTURE(id);
    const auto& delegated = get(id, GrantType::authorization_code);
    const auto& app = get(id, GrantType::client_credentials);
    count += 2;
    CHECK(delegated.spec().authorization_endpoint ==
          "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize");
    CHECK(delegated.spec().token_endpoint == "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token");
    CHECK(app.spec().token_endpoint == "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token");
    const auto& scopes = delegated.spec().default_scopes;
    CHECK(std::find(scopes.begin(), scopes.end(), "offline_access") != scopes.end());
    REQUIRE(app.spec().default_scopes.size() == 1);
    CHECK_THAT(app.spec().default_scopes[0], Catch::EndsWith("/.default"));

    sdk::ProviderConfig config;
    config.client_id = "c";
    CHECK(delegated.validate_config(config).empty());  // tenant defaults to organizations
    CHECK_FALSE(app.validate_config(config).empty());  // an application needs its tenant
    config.values["tenant"] = "contoso.onmicrosoft.com";
    CHECK(app.validate_config(config).empty());
    config.values["tenant"] = "evil.com/path";
    CHECK_FALSE(app.validate_config(config).empty());
  }
  CHECK(count == 16);
}

TEST_CASE("ServiceNow and Jamf: client credentials against the operator's instance") {
  const auto& now = get("servicenow", GrantType::client_credentials);
  CHECK(now.spec().token_endpoint == "https://{instance}.service-now.com/oauth_token.do");
  CHECK(now.spec().client_auth == sdk::ClientAuth::client_secret_basic);
  const auto& jamf = get("jamf", GrantType::client_credentials);
  CHECK(jamf.spec().token_endpoint == "https://{instance}.jamfcloud.com/api/v1/oauth/token");
  CHECK(jamf.spec().client_auth == sdk::ClientAuth::client_secret_post);
  for (const auto* p : {&now, &jamf}) {
    sdk::ProviderConfig config;
    config.client_id = "c";
    config.values["instance"] = "acme";
    CHECK(p->validate_config(config).empty());
    config.values["instance"] = "acme.evil.com";
    CHECK_FALSE(p->validate_config(config).empty());
  }
}

TEST_CASE("every built-in has the metadata the web page shows") {
  for (const auto* p : tessera::test::builtin_registry().list()) {
    CAPTURE(p->spec().id);
    const auto& m = p->spec().metadata;
    CHECK_FALSE(m.name.empty());
    CHECK_FALSE(m.description.empty());
    CHECK_FALSE(m.setup_instructions.empty());
    CHECK_THAT(m.logo_url, Catch::StartsWith("https://"));
    CHECK_THAT(m.api_docs_url, Catch::StartsWith("https://"));
    const auto& fields = p->spec().config_fields;
    CHECK(m.requires_config == std::any_of(fields.begin(), fields.end(), [](const auto& f) { return f.required; }));
  }
}
