// A complete provider plugin: Acme's users connect with the authorization code grant, and
// Acme's API clients use client credentials against the customer's own Acme domain.
#include <tessera/sdk/plugin.hpp>

namespace {

using namespace tessera::sdk;

class AcmeProvider final : public AuthorizationCodeOAuthProvider {
 public:
  AcmeProvider() : AuthorizationCodeOAuthProvider(make_spec()) {}

  // Acme wants to know which product area is asking; add it to the authorization URL.
  Params authorization_params(const AuthorizationContext& context) const override {
    Params params = AuthorizationCodeOAuthProvider::authorization_params(context);
    params.emplace_back("audience", "acme-api");
    return params;
  }

 private:
  static ProviderSpec make_spec() {
    ProviderSpec spec;
    spec.id = "acme";
    spec.metadata.id = "acme";
    spec.metadata.name = "Acme";
    spec.metadata.description = "Read and update Acme projects as the connected user.";
    spec.metadata.logo_url = "https://acme.example.com/logo.png";
    spec.metadata.setup_instructions = "Create an OAuth client in Acme's admin console and paste its ID and secret.";
    spec.metadata.api_docs_url = "https://acme.example.com/docs/api";
    spec.authorization_endpoint = "https://login.acme.example.com/oauth2/authorize";
    spec.token_endpoint = "https://login.acme.example.com/oauth2/token";
    spec.default_scopes = {"projects:read", "projects:write"};
    return spec;
  }
};

class AcmeServiceProvider final : public ClientCredentialsOAuthProvider {
 public:
  AcmeServiceProvider() : ClientCredentialsOAuthProvider(make_spec()) {}

 private:
  static ProviderSpec make_spec() {
    ProviderSpec spec;
    spec.id = "acme";
    spec.metadata.id = "acme";
    spec.metadata.name = "Acme (service account)";
    spec.metadata.description = "Call Acme's API as an API client of your Acme domain.";
    spec.metadata.setup_instructions = "Create an API client in Acme and enter your Acme domain, e.g. mycompany.";
    spec.metadata.requires_config = true;
    spec.token_endpoint = "https://{domain}.acme.example.com/oauth2/token";
    spec.client_auth = ClientAuth::client_secret_post;

    ConfigField domain;
    domain.name = "domain";
    domain.label = "Acme domain";
    domain.description = "mycompany for https://mycompany.acme.example.com";
    domain.kind = FieldKind::host_label;
    spec.config_fields = {domain};
    return spec;
  }
};

}  // namespace

TESSERA_PLUGIN("acme", "1.0.0", AcmeProvider, AcmeServiceProvider)
