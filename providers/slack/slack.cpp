// Slack (OAuth v2). Tessera acts as the connected user, so the scopes are user scopes: they
// travel as `user_scope` and the user token comes back under `authed_user`. Slack reports
// failures as HTTP 200 with {"ok": false, "error": ...}.
#include <boost/json.hpp>
#include <tessera/sdk/plugin.hpp>

namespace {

using namespace tessera::sdk;

class SlackProvider final : public AuthorizationCodeOAuthProvider {
 public:
  SlackProvider() : AuthorizationCodeOAuthProvider(make_spec()) {}

  Params authorization_params(const AuthorizationContext& context) const override {
    Params params = AuthorizationCodeOAuthProvider::authorization_params(context);
    for (auto& [name, value] : params)
      if (name == "scope") name = "user_scope";
    return params;
  }

  TokenSet parse_token_response(const boost::json::object& body) const override {
    if (auto ok = body.find("ok"); ok != body.end() && ok->value().is_bool() && !ok->value().get_bool()) {
      auto error = body.find("error");
      std::string code = error != body.end() && error->value().is_string() ? std::string(error->value().get_string())
                                                                           : "unknown_error";
      // Slack's names for an unusable grant map onto OAuth's.
      if (code == "invalid_code" || code == "code_already_used" || code == "invalid_refresh_token" ||
          code == "token_revoked" || code == "token_expired")
        throw TokenResponseError("invalid_grant", "Slack answered " + code);
      if (code == "invalid_client_id" || code == "bad_client_secret")
        throw TokenResponseError("invalid_client", "Slack answered " + code);
      throw TokenResponseError(code, "Slack answered ok=false");
    }
    // The user token lives under authed_user; a bot-only install puts it at the top level.
    if (auto user = body.find("authed_user"); user != body.end() && user->value().is_object()) {
      const auto& u = user->value().get_object();
      if (auto token = u.find("access_token"); token != u.end() && token->value().is_string())
        return parse_with_comma_scopes(u);
    }
    return parse_with_comma_scopes(body);
  }

 private:
  // Slack separates granted scopes with commas.
  TokenSet parse_with_comma_scopes(const boost::json::object& fields) const {
    TokenSet tokens = AuthorizationCodeOAuthProvider::parse_token_response(fields);
    if (auto scope = fields.find("scope"); scope != fields.end() && scope->value().is_string())
      tokens.scope = split_scopes(scope->value().get_string(), ",");
    return tokens;
  }

  static ProviderSpec make_spec() {
    ProviderSpec s;
    s.id = "slack";
    s.metadata = {.id = "slack",
                  .name = "Slack",
                  .description = "Search messages and act in Slack as the connected user.",
                  .logo_url = "https://a.slack-edge.com/80588/marketing/img/icons/icon_slack_hash_colored.png",
                  .setup_instructions =
                      "Create a Slack app at api.slack.com/apps, add Tessera's redirect URI under OAuth & "
                      "Permissions, add the user token scopes you need, then paste the app's client ID and "
                      "client secret here.",
                  .api_docs_url = "https://api.slack.com/methods",
                  .setup_guide_url = "https://api.slack.com/authentication/oauth-v2",
                  .troubleshooting_url = "https://api.slack.com/methods/oauth.v2.access#errors"};
    s.authorization_endpoint = "https://slack.com/oauth/v2/authorize";
    s.token_endpoint = "https://slack.com/api/oauth.v2.access";
    s.revocation_endpoint = "https://slack.com/api/auth.revoke";
    s.default_scopes = {"search:read"};
    s.scope_separator = ",";
    s.pkce = false;
    s.client_auth = ClientAuth::client_secret_post;
    return s;
  }
};

}  // namespace

TESSERA_PLUGIN("slack", "1.0.0", SlackProvider)
