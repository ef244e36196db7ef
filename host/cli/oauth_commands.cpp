// tessera token PROVIDER ...      a client-credentials token, printed
// tessera authorize PROVIDER ...  the authorization code flow through a loopback redirect
//
// Secrets come from a file or standard input, never from the command line, and are printed
// only with --show-secrets.
#include <boost/json.hpp>
#include <iostream>
#include <memory>

#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/input.hpp"
#include "cli/loopback_redirect.hpp"
#include "cli/output.hpp"
#include "tessera/core/oauth.hpp"

namespace tessera::host {
namespace {

struct ProviderArgs {
  std::string provider;
  std::string client_id;
  std::string client_secret_file;
  bool no_client_secret = false;
  std::vector<std::string> scopes;
  bool no_scope = false;
  std::vector<std::string> settings;  // key=value
  std::string authorization_endpoint, token_endpoint, revocation_endpoint;
  bool show_secrets = false, json = false;
  // authorize only
  unsigned short port = 0;
  int wait_seconds = 300;
  bool open = false;
};

void add_provider_options(CLI::App* cmd, ProviderArgs& a, bool authorize) {
  auto* provider = cmd->add_option("provider", a.provider, "Provider id, e.g. jamf");
  if (authorize) provider->required();
  cmd->add_option("--client-id", a.client_id, "OAuth client id");
  cmd->add_option("--client-secret-file", a.client_secret_file,
                  "File holding the client secret (or a service-account JSON key); without it the secret is read "
                  "from standard input")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--no-client-secret", a.no_client_secret, "The client is public: send no secret");
  cmd->add_option("--scope", a.scopes, "Scope to request (repeatable); default: the provider's default scopes")
      ->allow_extra_args(false);
  cmd->add_flag("--no-scope", a.no_scope, "Request no scope at all");
  cmd->add_option("--config", a.settings, "Provider setting as key=value, e.g. --config tenant=contoso (repeatable)")
      ->allow_extra_args(false);
  if (authorize)
    cmd->add_option("--authorization-endpoint", a.authorization_endpoint, "Override the authorization endpoint");
  cmd->add_option("--token-endpoint", a.token_endpoint, "Override the token endpoint");
  cmd->add_flag("--show-secrets", a.show_secrets, "Print tokens in full instead of masked");
  cmd->add_flag("--json", a.json, "Print JSON for scripts");
  if (authorize) {
    cmd->add_option("--port", a.port, "Port of the loopback redirect listener (default: any free port)");
    cmd->add_option("--wait-seconds", a.wait_seconds, "How long to wait for the browser")->check(CLI::PositiveNumber);
    cmd->add_flag("--open", a.open, "Open the authorization URL in the default browser (xdg-open)");
  }
}

sdk::ProviderConfig make_config(const ProviderArgs& a) {
  sdk::ProviderConfig c;
  c.client_id = a.client_id;
  if (!a.no_client_secret) c.client_secret = read_secret(a.client_secret_file, a.provider);
  if (a.no_scope)
    c.scopes = std::vector<std::string>{};
  else if (!a.scopes.empty())
    c.scopes = a.scopes;
  c.values = parse_settings(a.settings);
  if (!a.authorization_endpoint.empty()) c.authorization_endpoint = a.authorization_endpoint;
  if (!a.token_endpoint.empty()) c.token_endpoint = a.token_endpoint;
  return c;
}

const core::RegisteredProvider& find_provider(const core::ProviderRegistry& registry, const std::string& id,
                                              sdk::GrantType grant) {
  if (const auto* p = registry.find({id, grant})) return *p;
  std::string hint = registry.find_all(id).empty()
                         ? "; `tessera providers list` shows the available ones"
                         : " for this grant type; `tessera providers show " + id + "` says which it has";
  throw Error(ErrorCode::not_found,
              "no provider '" + id + "' using the " + std::string(sdk::to_string(grant)) + " grant" + hint);
}

void print_tokens(const core::RegisteredProvider& p, const core::TokenResult& t, const ProviderArgs& a) {
  const auto& k = t.tokens;
  std::optional<long long> expires_in;
  if (t.expires_at)
    expires_in =
        std::chrono::duration_cast<std::chrono::seconds>(*t.expires_at - std::chrono::system_clock::now()).count();
  if (a.json) {
    boost::json::array scopes;
    for (const auto& s : t.granted_scopes) scopes.emplace_back(s);
    boost::json::object o{{"provider", p.spec().id},
                          {"grant_type", sdk::to_string(p.spec().grant_type)},
                          {"token_type", k.token_type},
                          {"access_token", mask(k.access_token, a.show_secrets)},
                          {"refresh_token", k.refresh_token ? boost::json::value(mask(*k.refresh_token, a.show_secrets))
                                                            : boost::json::value(nullptr)},
                          {"expires_at", t.expires_at ? boost::json::value(iso8601(*t.expires_at)) : nullptr},
                          {"expires_in", expires_in ? boost::json::value(*expires_in) : nullptr},
                          {"scopes", scopes},
                          {"masked", !a.show_secrets}};
    print_json(std::cout, o);
    return;
  }
  std::cout << "provider:       " << core::to_string(p.key()) << "\n"
            << "token type:     " << k.token_type << "\n"
            << "access token:   " << mask(k.access_token, a.show_secrets) << "\n"
            << "refresh token:  " << (k.refresh_token ? mask(*k.refresh_token, a.show_secrets) : "none") << "\n"
            << "expires at:     "
            << (t.expires_at ? iso8601(*t.expires_at) + " (in " + std::to_string(*expires_in) + " s)" : "unknown")
            << "\n"
            << "scopes:         " << (t.granted_scopes.empty() ? "-" : sdk::join_scopes(t.granted_scopes, " ")) << "\n";
}

}  // namespace

void add_oauth_commands(CLI::App& app, const GlobalOptions& options, Action& action) {
  auto token_args = std::make_shared<ProviderArgs>();
  CLI::App* token = app.add_subcommand(
      "token", "Fetch a client-credentials token (token PROVIDER ...) or a stored integration's (token get ...)");
  add_provider_options(token, *token_args, false);
  add_token_get(token, options, action);
  token->callback([&options, &action, token, token_args] {
    if (token->get_subcommand("get")->parsed()) return;
    if (token_args->provider.empty()) throw CLI::RequiredError("provider");
    action = [&options, token_args] {
      core::ProviderRegistry registry;
      load_registry(options, registry, true);
      const auto& p = find_provider(registry, token_args->provider, sdk::GrantType::client_credentials);
      sdk::ProviderConfig config = make_config(*token_args);
      core::HttpClient http(http_options(options));
      core::TokenResult result = core::OAuthEngine(http).client_credentials(p, config);
      print_tokens(p, result, *token_args);
      return kExitOk;
    };
  });

  auto auth_args = std::make_shared<ProviderArgs>();
  CLI::App* authorize = app.add_subcommand(
      "authorize", "Run the authorization code flow: open the printed URL, sign in, and the token set is printed");
  add_provider_options(authorize, *auth_args, true);
  authorize->callback([&options, &action, auth_args] {
    action = [&options, auth_args] {
      core::ProviderRegistry registry;
      load_registry(options, registry, true);
      const auto& p = find_provider(registry, auth_args->provider, sdk::GrantType::authorization_code);
      sdk::ProviderConfig config = make_config(*auth_args);
      core::HttpClient http(http_options(options));
      core::OAuthEngine engine(http);
      LoopbackRedirect listener(auth_args->port);
      core::AuthorizationRequest request = engine.begin_authorization(p, config, listener.redirect_uri());
      announce_authorization(request.url, listener.redirect_uri(), auth_args->open);
      core::AuthorizationResponse response =
          listener.wait(request.state, std::chrono::seconds(auth_args->wait_seconds));
      core::TokenResult result = engine.complete_authorization(p, config, request, response);
      print_tokens(p, result, *auth_args);
      return kExitOk;
    };
  });
}

}  // namespace tessera::host
