// Jamf Pro API clients: the client credentials grant with the id and secret in the body.
#include <tessera/sdk/plugin.hpp>

namespace {

using namespace tessera::sdk;

class JamfProvider final : public ClientCredentialsOAuthProvider {
 public:
  JamfProvider() : ClientCredentialsOAuthProvider(make_spec()) {}

 private:
  static ProviderSpec make_spec() {
    ProviderSpec s;
    s.id = "jamf";
    s.metadata = {.id = "jamf",
                  .name = "Jamf Pro",
                  .description = "Inventory and manage Apple devices through the Jamf Pro API.",
                  .logo_url = "https://www.jamf.com/favicon.ico",
                  .setup_instructions =
                      "In Jamf Pro, go to Settings > System > API roles and clients, create an API role with "
                      "the privileges you need and an API client using it, generate a client secret, then "
                      "enter the instance name (the part before .jamfcloud.com), the client ID and secret.",
                  .requires_config = true,
                  .api_docs_url = "https://developer.jamf.com/jamf-pro/reference",
                  .setup_guide_url = "https://developer.jamf.com/jamf-pro/docs/client-credentials",
                  .troubleshooting_url = "https://developer.jamf.com/jamf-pro/docs/client-credentials"};
    s.token_endpoint = "https://{instance}.jamfcloud.com/api/v1/oauth/token";
    s.client_auth = ClientAuth::client_secret_post;
    s.config_fields = {ConfigField{.name = "instance",
                                   .label = "Instance",
                                   .description = "Instance name: acme for https://acme.jamfcloud.com",
                                   .kind = FieldKind::host_label,
                                   .required = true,
                                   .default_value = std::nullopt}};
    return s;
  }
};

}  // namespace

TESSERA_PLUGIN("jamf", "1.0.0", JamfProvider)
