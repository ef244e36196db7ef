// GitHub OAuth apps: users authorize on github.com; the token endpoint authenticates the
// client with id and secret in the body. GitHub user tokens do not expire unless the app
// opted into expiring tokens, in which case a refresh token comes along.
#include <tessera/sdk/plugin.hpp>

namespace {

using namespace tessera::sdk;

class GitHubProvider final : public AuthorizationCodeOAuthProvider {
 public:
  GitHubProvider() : AuthorizationCodeOAuthProvider(make_spec()) {}

 private:
  static ProviderSpec make_spec() {
    ProviderSpec s;
    s.id = "github";
    s.metadata = {
        .id = "github",
        .name = "GitHub",
        .description = "Act on GitHub repositories, issues and pull requests as the connected user.",
        .logo_url = "https://github.githubassets.com/images/modules/logos_page/GitHub-Mark.png",
        .setup_instructions =
            "Create an OAuth app under Settings > Developer settings > OAuth Apps, set its "
            "authorization callback URL to Tessera's redirect URI, then paste its client ID and a "
            "client secret here.",
        .api_docs_url = "https://docs.github.com/en/rest",
        .setup_guide_url = "https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/creating-an-oauth-app",
        .troubleshooting_url =
            "https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/"
            "troubleshooting-oauth-app-access-token-request-errors"};
    s.authorization_endpoint = "https://github.com/login/oauth/authorize";
    s.token_endpoint = "https://github.com/login/oauth/access_token";
    s.default_scopes = {"repo"};
    s.client_auth = ClientAuth::client_secret_post;
    return s;
  }
};

}  // namespace

TESSERA_PLUGIN("github", "1.0.0", GitHubProvider)
