// Microsoft identity platform (Entra ID, v2.0 endpoints). Every service exists twice:
// delegated (authorization code with PKCE, acting as a signed-in user; `offline_access`
// brings a refresh token) and application (client credentials, acting as the app itself;
// scopes are the resource's `/.default`). The tenant is a config field substituted into
// the endpoints.
#include <array>
#include <tessera/sdk/plugin.hpp>

namespace {

using namespace tessera::sdk;

struct Service {
  const char* id;
  const char* name;
  const char* description;
  const char* api_docs_url;
  std::vector<std::string> delegated_scopes;  // offline_access is added
  const char* application_scope;
};

const std::array<Service, 8>& services() {
  static const std::array<Service, 8> table{{
      {"azure_management",
       "Azure Resource Manager",
       "Manage Azure subscriptions and resources.",
       "https://learn.microsoft.com/en-us/rest/api/azure/",
       {"https://management.azure.com/user_impersonation"},
       "https://management.azure.com/.default"},
      {"microsoft_sentinel",
       "Microsoft Sentinel",
       "Query and manage Microsoft Sentinel incidents and analytics.",
       "https://learn.microsoft.com/en-us/rest/api/securityinsights/",
       {"https://management.azure.com/user_impersonation"},
       "https://management.azure.com/.default"},
      {"azure_log_analytics",
       "Azure Log Analytics",
       "Run queries against Log Analytics workspaces.",
       "https://learn.microsoft.com/en-us/rest/api/loganalytics/",
       {"https://api.loganalytics.io/Data.Read"},
       "https://api.loganalytics.io/.default"},
      {"microsoft_defender_endpoint",
       "Microsoft Defender for Endpoint",
       "Read alerts and machines and run response actions in Defender for Endpoint.",
       "https://learn.microsoft.com/en-us/defender-endpoint/api/apis-intro",
       {"https://api.securitycenter.microsoft.com/Alert.Read", "https://api.securitycenter.microsoft.com/Machine.Read"},
       "https://api.securitycenter.microsoft.com/.default"},
      {"microsoft_defender_xdr",
       "Microsoft Defender XDR",
       "Read incidents and run advanced hunting in Defender XDR.",
       "https://learn.microsoft.com/en-us/defender-xdr/api-overview",
       {"https://api.security.microsoft.com/Incident.Read", "https://api.security.microsoft.com/AdvancedHunting.Read"},
       "https://api.security.microsoft.com/.default"},
      {"microsoft_graph",
       "Microsoft Graph",
       "Call Microsoft Graph.",
       "https://learn.microsoft.com/en-us/graph/api/overview",
       {"https://graph.microsoft.com/User.Read"},
       "https://graph.microsoft.com/.default"},
      {"microsoft_entra",
       "Microsoft Entra ID",
       "Read and manage users, groups and sign-ins in Entra ID.",
       "https://learn.microsoft.com/en-us/graph/api/resources/identity-network-access-overview",
       {"https://graph.microsoft.com/User.Read.All", "https://graph.microsoft.com/Directory.Read.All"},
       "https://graph.microsoft.com/.default"},
      {"microsoft_teams",
       "Microsoft Teams",
       "Read teams and channels and post channel messages.",
       "https://learn.microsoft.com/en-us/graph/api/resources/teams-api-overview",
       {"https://graph.microsoft.com/Team.ReadBasic.All", "https://graph.microsoft.com/Channel.ReadBasic.All",
        "https://graph.microsoft.com/ChannelMessage.Send"},
       "https://graph.microsoft.com/.default"},
  }};
  return table;
}

ProviderSpec base_spec(const Service& service, bool delegated) {
  ProviderSpec s;
  s.id = service.id;
  s.metadata.id = service.id;
  s.metadata.name = service.name;
  s.metadata.description = service.description;
  s.metadata.logo_url = "https://learn.microsoft.com/en-us/media/logos/logo-ms-social.png";
  s.metadata.requires_config = true;
  s.metadata.api_docs_url = service.api_docs_url;
  s.metadata.setup_guide_url = "https://learn.microsoft.com/en-us/entra/identity-platform/quickstart-register-app";
  s.metadata.troubleshooting_url = "https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes";
  s.metadata.setup_instructions =
      delegated ? "Register an application in Microsoft Entra ID, add Tessera's redirect URI as a Web platform "
                  "redirect, grant the delegated API permissions, create a client secret, and enter the tenant "
                  "(directory ID, domain, or 'organizations')."
                : "Register an application in Microsoft Entra ID, grant the application API permissions with "
                  "admin consent, create a client secret, and enter the tenant (directory ID or domain).";
  s.token_endpoint = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token";
  ConfigField tenant{.name = "tenant",
                     .label = "Tenant",
                     .description = "Directory (tenant) ID or verified domain of the Entra ID tenant.",
                     .kind = FieldKind::dns_name,
                     .required = true,
                     .default_value = std::nullopt};
  if (delegated) tenant.default_value = "organizations";
  s.config_fields = {tenant};
  return s;
}

template <std::size_t I>
class MicrosoftDelegatedProvider final : public AuthorizationCodeOAuthProvider {
 public:
  MicrosoftDelegatedProvider() : AuthorizationCodeOAuthProvider(make_spec()) {}

 private:
  static ProviderSpec make_spec() {
    const Service& service = services()[I];
    ProviderSpec s = base_spec(service, true);
    s.authorization_endpoint = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize";
    s.default_scopes = service.delegated_scopes;
    s.default_scopes.emplace_back("offline_access");
    return s;
  }
};

template <std::size_t I>
class MicrosoftApplicationProvider final : public ClientCredentialsOAuthProvider {
 public:
  MicrosoftApplicationProvider() : ClientCredentialsOAuthProvider(make_spec()) {}

 private:
  static ProviderSpec make_spec() {
    const Service& service = services()[I];
    ProviderSpec s = base_spec(service, false);
    s.default_scopes = {service.application_scope};
    return s;
  }
};

}  // namespace

TESSERA_PLUGIN("microsoft", "1.0.0",  //
               MicrosoftDelegatedProvider<0>, MicrosoftApplicationProvider<0>, MicrosoftDelegatedProvider<1>,
               MicrosoftApplicationProvider<1>, MicrosoftDelegatedProvider<2>, MicrosoftApplicationProvider<2>,
               MicrosoftDelegatedProvider<3>, MicrosoftApplicationProvider<3>, MicrosoftDelegatedProvider<4>,
               MicrosoftApplicationProvider<4>, MicrosoftDelegatedProvider<5>, MicrosoftApplicationProvider<5>,
               MicrosoftDelegatedProvider<6>, MicrosoftApplicationProvider<6>, MicrosoftDelegatedProvider<7>,
               MicrosoftApplicationProvider<7>)
