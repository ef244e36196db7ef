// ServiceNow: the client credentials grant against an instance's oauth_token.do (an
// "OAuth API endpoint for external clients" with the client credentials grant enabled).
#include <tessera/sdk/plugin.hpp>

namespace {

using namespace tessera::sdk;

class ServiceNowProvider final : public ClientCredentialsOAuthProvider {
 public:
  ServiceNowProvider() : ClientCredentialsOAuthProvider(make_spec()) {}

 private:
  static ProviderSpec make_spec() {
    ProviderSpec s;
    s.id = "servicenow";
    s.metadata = {
        .id = "servicenow",
        .name = "ServiceNow",
        .description = "Read and update ServiceNow records through the Table API.",
        .logo_url = "https://www.servicenow.com/favicon.ico",
        .setup_instructions =
            "In System OAuth > Application Registry, create an OAuth API endpoint for external "
            "clients, enable the client credentials grant for it, then enter the instance name "
            "(the part before .service-now.com), the client ID and the client secret.",
        .requires_config = true,
        .api_docs_url = "https://developer.servicenow.com/dev.do#!/reference/api/latest/rest/c_TableAPI",
        .setup_guide_url = "https://docs.servicenow.com/csh?topicname=client-credentials.html",
        .troubleshooting_url = "https://support.servicenow.com/kb?id=kb_article_view&sysparm_article=KB0778194"};
    s.token_endpoint = "https://{instance}.service-now.com/oauth_token.do";
    s.config_fields = {ConfigField{.name = "instance",
                                   .label = "Instance",
                                   .description = "Instance name: acme for https://acme.service-now.com",
                                   .kind = FieldKind::host_label,
                                   .required = true,
                                   .default_value = std::nullopt}};
    return s;
  }
};

}  // namespace

TESSERA_PLUGIN("servicenow", "1.0.0", ServiceNowProvider)
