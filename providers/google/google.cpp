// Google. Drive and Gmail connect a user through the authorization code grant with PKCE;
// `access_type=offline` and `prompt=consent` make Google issue a refresh token every time.
// Docs, Sheets and the generic `google` provider act as a service account: the client
// secret is the account's JSON key and tokens are minted with a signed JWT assertion
// (RFC 7523), optionally impersonating a Workspace user (domain-wide delegation).
#include <boost/json.hpp>
#include <tessera/sdk/plugin.hpp>

namespace {

using namespace tessera::sdk;

constexpr const char* kAuthorize = "https://accounts.google.com/o/oauth2/v2/auth";
constexpr const char* kToken = "https://oauth2.googleapis.com/token";
constexpr const char* kRevoke = "https://oauth2.googleapis.com/revoke";
constexpr const char* kLogo = "https://www.gstatic.com/images/branding/product/2x/googleg_48dp.png";

ProviderSpec google_spec(const char* id, const char* name, const char* description, const char* docs,
                         std::vector<std::string> scopes) {
  ProviderSpec s;
  s.id = id;
  s.metadata.id = id;
  s.metadata.name = name;
  s.metadata.description = description;
  s.metadata.logo_url = kLogo;
  s.metadata.api_docs_url = docs;
  s.metadata.troubleshooting_url = "https://developers.google.com/identity/protocols/oauth2#errors";
  s.token_endpoint = kToken;
  s.revocation_endpoint = kRevoke;
  s.default_scopes = std::move(scopes);
  return s;
}

class GoogleUserProvider : public AuthorizationCodeOAuthProvider {
 public:
  using AuthorizationCodeOAuthProvider::AuthorizationCodeOAuthProvider;

  Params authorization_params(const AuthorizationContext& context) const override {
    Params params = AuthorizationCodeOAuthProvider::authorization_params(context);
    params.emplace_back("access_type", "offline");
    params.emplace_back("prompt", "consent");
    return params;
  }

 protected:
  static ProviderSpec user_spec(ProviderSpec s) {
    s.authorization_endpoint = kAuthorize;
    s.issuer = "https://accounts.google.com";
    s.pkce = true;
    s.client_auth = ClientAuth::client_secret_post;
    s.metadata.setup_instructions =
        "In Google Cloud console, create an OAuth client ID of type Web application under APIs & Services > "
        "Credentials, add Tessera's redirect URI, enable the API, then paste the client ID and secret here.";
    s.metadata.setup_guide_url = "https://developers.google.com/identity/protocols/oauth2/web-server";
    return s;
  }
};

class GoogleDriveProvider final : public GoogleUserProvider {
 public:
  GoogleDriveProvider()
      : GoogleUserProvider(
            user_spec(google_spec("google_drive", "Google Drive",
                                  "Read and manage Drive files the connected user opened or created with Tessera.",
                                  "https://developers.google.com/drive/api/reference/rest/v3",
                                  {"https://www.googleapis.com/auth/drive.file"}))) {}
};

class GoogleGmailProvider final : public GoogleUserProvider {
 public:
  GoogleGmailProvider()
      : GoogleUserProvider(user_spec(google_spec("google_gmail", "Gmail", "Read the connected user's Gmail messages.",
                                                 "https://developers.google.com/gmail/api/reference/rest",
                                                 {"https://www.googleapis.com/auth/gmail.readonly"}))) {}
};

// Returns the problems of a service-account key, or fills `email` with its client_email.
std::vector<std::string> check_service_account_key(const std::string& text, std::string& email) {
  boost::system::error_code ec;
  boost::json::value key = boost::json::parse(text, ec);
  if (ec || !key.is_object())
    return {"the client secret must be the service account's JSON key file (it is not a JSON object)"};
  const auto& o = key.get_object();
  auto string_field = [&](const char* name) -> std::string {
    auto it = o.find(name);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
  };
  std::vector<std::string> problems;
  if (string_field("type") != "service_account")
    problems.emplace_back("the JSON key's \"type\" must be \"service_account\"");
  email = string_field("client_email");
  if (email.empty()) problems.emplace_back("the JSON key has no \"client_email\"");
  const std::string pem = string_field("private_key");
  if (pem.find("-----BEGIN PRIVATE KEY-----") == std::string::npos ||
      pem.find("-----END PRIVATE KEY-----") == std::string::npos)
    problems.emplace_back("the JSON key's \"private_key\" is not a PEM PKCS#8 private key");
  // token_uri, when present, is checked by the engine against the endpoint policy.
  return problems;
}

class GoogleServiceAccountProvider : public ClientCredentialsOAuthProvider {
 public:
  using ClientCredentialsOAuthProvider::ClientCredentialsOAuthProvider;

  // The client id may be left empty: the key's client_email identifies the account.
  std::vector<std::string> validate_config(const ProviderConfig& config) const override {
    if (!config.client_secret || config.client_secret->empty())
      return {"the client secret must be the service account's JSON key file"};
    std::string email;
    std::vector<std::string> problems = check_service_account_key(*config.client_secret, email);
    ProviderConfig effective = config;
    if (effective.client_id.empty()) effective.client_id = email;
    for (auto& p : ClientCredentialsOAuthProvider::validate_config(effective)) problems.push_back(std::move(p));
    return problems;
  }

 protected:
  static ProviderSpec service_spec(ProviderSpec s) {
    s.client_auth = ClientAuth::jwt_bearer;
    s.revocation_endpoint.clear();  // service-account tokens are short-lived and not revocable
    s.config_fields = {ConfigField{.name = "subject",
                                   .label = "Impersonated user",
                                   .description = "Workspace user to act as through domain-wide delegation; "
                                                  "leave empty to act as the service account itself.",
                                   .kind = FieldKind::email,
                                   .required = false,
                                   .default_value = std::nullopt}};
    s.metadata.setup_instructions =
        "In Google Cloud console, create a service account, add a JSON key, and paste the whole key file as "
        "the client secret. To act as a Workspace user, grant the account domain-wide delegation for the "
        "scopes and set the impersonated user.";
    s.metadata.setup_guide_url = "https://developers.google.com/identity/protocols/oauth2/service-account";
    return s;
  }
};

class GoogleDocsProvider final : public GoogleServiceAccountProvider {
 public:
  GoogleDocsProvider()
      : GoogleServiceAccountProvider(service_spec(google_spec(
            "google_docs", "Google Docs", "Create and edit Google Docs as a service account.",
            "https://developers.google.com/docs/api/reference/rest", {"https://www.googleapis.com/auth/documents"}))) {}
};

class GoogleSheetsProvider final : public GoogleServiceAccountProvider {
 public:
  GoogleSheetsProvider()
      : GoogleServiceAccountProvider(service_spec(google_spec("google_sheets", "Google Sheets",
                                                              "Read and write Google Sheets as a service account.",
                                                              "https://developers.google.com/sheets/api/reference/rest",
                                                              {"https://www.googleapis.com/auth/spreadsheets"}))) {}
};

class GoogleCloudProvider final : public GoogleServiceAccountProvider {
 public:
  GoogleCloudProvider()
      : GoogleServiceAccountProvider(service_spec(google_spec(
            "google", "Google Cloud", "Call Google Cloud APIs as a service account.",
            "https://cloud.google.com/apis/docs/overview", {"https://www.googleapis.com/auth/cloud-platform"}))) {}
};

}  // namespace

TESSERA_PLUGIN("google", "1.0.0", GoogleDriveProvider, GoogleGmailProvider, GoogleDocsProvider, GoogleSheetsProvider,
               GoogleCloudProvider)
