// Commands over the integration store:
//   workspaces create|list
//   integrations configure|connect|status|test|disconnect|delete
//   custom-providers create|list|show|delete
//   token get WORKSPACE PROVIDER
//   keys rotate
//   audit [--workspace W]
#include <boost/json.hpp>
#include <iostream>
#include <memory>
#include <set>

#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/input.hpp"
#include "cli/loopback_redirect.hpp"
#include "cli/output.hpp"
#include "tessera/core/integrations.hpp"
#include "tessera/core/log.hpp"

namespace tessera::host {
namespace {

namespace json = boost::json;
const std::vector<std::string> kGrantNames{"authorization_code", "client_credentials"};

// Everything a store command needs, opened in the right order.
struct Context {
  core::ProviderRegistry registry;
  std::filesystem::path db;
  std::unique_ptr<core::Store> store;
  std::unique_ptr<core::HttpClient> http;
  std::unique_ptr<core::OAuthEngine> engine;
  std::unique_ptr<core::IntegrationService> service;

  explicit Context(const GlobalOptions& o) {
    db = o.database.empty() ? core::default_database_path() : std::filesystem::path(o.database);
    store = core::open_sqlite_store(db, core::KeyRing::load(core::key_file_for(db)));
    load_registry(o, registry, true);
    http = std::make_unique<core::HttpClient>(http_options(o));
    engine = std::make_unique<core::OAuthEngine>(*http);
    core::ServiceOptions s;
    s.refresh_window = std::chrono::seconds(o.refresh_window_seconds);
    s.lease_duration = std::chrono::seconds(o.lease_seconds);
    s.client_credentials_lifetime = std::chrono::seconds(o.client_credentials_lifetime_seconds);
    service = std::make_unique<core::IntegrationService>(*store, registry, *engine, s);
  }
};

void require_workspace(Context& ctx, const std::string& ws) {
  if (!ctx.store->workspace_exists(ws))
    throw Error(ErrorCode::not_found, "no workspace '" + ws + "'; `tessera workspaces list` shows them");
}

// The grant type of `id`: the one asked for, or the only one the provider has.
sdk::GrantType resolve_grant(Context& ctx, const std::string& ws, const std::string& id, const std::string& asked) {
  if (!asked.empty()) return *sdk::parse_grant_type(asked);
  std::set<sdk::GrantType> grants;
  for (const auto* p : ctx.registry.find_all(id)) grants.insert(p->spec().grant_type);
  for (const auto& d : ctx.store->list_custom_providers(ws))
    if (d.id == id) grants.insert(d.grant_type);
  if (grants.empty())
    throw Error(ErrorCode::not_found, "no provider '" + id + "' (built-in or custom in workspace '" + ws +
                                          "'); `tessera providers list` shows the built-in ones");
  if (grants.size() > 1)
    throw UsageError("provider '" + id +
                     "' exists for both grant types: pass --grant-type authorization_code or "
                     "--grant-type client_credentials");
  return *grants.begin();
}

struct KeyArgs {
  std::string workspace, provider, grant;
};

void add_key_args(CLI::App* cmd, KeyArgs& a) {
  cmd->add_option("workspace", a.workspace, "Workspace")->required();
  cmd->add_option("provider", a.provider, "Provider id")->required();
  cmd->add_option("--grant-type", a.grant, "Grant type, when the provider has both")->check(CLI::IsMember(kGrantNames));
}

core::IntegrationKey key_of(Context& ctx, const KeyArgs& a) {
  require_workspace(ctx, a.workspace);
  return {a.workspace, a.provider, resolve_grant(ctx, a.workspace, a.provider, a.grant)};
}

json::object status_json(Context& ctx, const core::IntegrationRecord& r) {
  return {{"workspace", r.key.workspace},
          {"provider", r.key.provider_id},
          {"grant_type", sdk::to_string(r.key.grant_type)},
          {"status", core::to_string(ctx.service->status(r.key))},
          {"client_id", r.config.client_id},
          {"expires_at", r.expires_at ? json::value(iso8601(*r.expires_at)) : nullptr},
          {"has_refresh_token", r.refresh_token.has_value()},
          {"last_refresh_result", r.last_refresh_result},
          {"failure_count", r.failure_count},
          {"updated_at", iso8601(r.updated_at)}};
}

void print_access_token(const core::IntegrationKey& key, const core::AccessToken& t, bool show, bool as_json) {
  if (as_json) {
    print_json(std::cout, json::object{{"workspace", key.workspace},
                                       {"provider", key.provider_id},
                                       {"grant_type", sdk::to_string(key.grant_type)},
                                       {"token_type", t.token_type},
                                       {"access_token", mask(t.token, show)},
                                       {"expires_at", t.expires_at ? json::value(iso8601(*t.expires_at)) : nullptr},
                                       {"masked", !show}});
    return;
  }
  std::cout << mask(t.token, show) << "\n";
}

void add_workspaces(CLI::App& app, const GlobalOptions& options, Action& action) {
  CLI::App* ws = app.add_subcommand("workspaces", "Create and list workspaces");
  ws->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  CLI::App* create = ws->add_subcommand("create", "Create a workspace");
  create->add_option("name", *name, "Workspace name: letters, digits, '-', '_', '.'")->required();
  create->callback([&, name] {
    action = [&options, name] {
      Context ctx(options);
      ctx.store->create_workspace(*name, cli_actor());
      std::cout << "created workspace " << *name << "\n";
      return kExitOk;
    };
  });
  CLI::App* list = ws->add_subcommand("list", "List workspaces");
  list->add_flag("--json", *as_json, "Print JSON for scripts");
  list->callback([&, as_json] {
    action = [&options, as_json] {
      Context ctx(options);
      auto names = ctx.store->list_workspaces();
      if (*as_json) {
        json::array a;
        for (const auto& n : names) a.emplace_back(n);
        print_json(std::cout, a);
      } else {
        for (const auto& n : names) std::cout << n << "\n";
      }
      return kExitOk;
    };
  });
}

struct ConfigureArgs : KeyArgs {
  std::string client_id, secret_file;
  bool secret_stdin = false, no_secret = false, no_scope = false;
  std::vector<std::string> scopes, settings;
  std::string authorization_endpoint, token_endpoint, revocation_endpoint;
  // connect
  unsigned short port = 0;
  int wait_seconds = 300;
  bool open = false, json = false;
};

void add_integrations(CLI::App& app, const GlobalOptions& options, Action& action) {
  CLI::App* in = app.add_subcommand("integrations", "Configure, connect and inspect the integrations of a workspace");
  in->require_subcommand(1);
  auto a = std::make_shared<ConfigureArgs>();

  CLI::App* configure = in->add_subcommand("configure", "Set an integration's client, scopes and settings");
  add_key_args(configure, *a);
  configure->add_option("--client-id", a->client_id, "OAuth client id");
  configure->add_option("--client-secret-file", a->secret_file, "Read the client secret from this file")
      ->check(CLI::ExistingFile);
  configure->add_flag("--client-secret-stdin", a->secret_stdin, "Read the client secret from standard input");
  configure->add_flag("--no-client-secret", a->no_secret, "A public client: remove any stored secret");
  configure->add_option("--scope", a->scopes, "Scope to request (repeatable); default: the provider's")
      ->allow_extra_args(false);
  configure->add_flag("--no-scope", a->no_scope, "Request no scope at all");
  configure->add_option("--config", a->settings, "Provider setting key=value (repeatable)")->allow_extra_args(false);
  configure->add_option("--authorization-endpoint", a->authorization_endpoint, "Override the authorization endpoint");
  configure->add_option("--token-endpoint", a->token_endpoint, "Override the token endpoint");
  configure->add_option("--revocation-endpoint", a->revocation_endpoint, "Override or add a revocation endpoint");
  configure->callback([&, a] {
    action = [&options, a] {
      Context ctx(options);
      auto key = key_of(ctx, *a);
      sdk::ProviderConfig c;
      c.client_id = a->client_id;
      if (!a->secret_file.empty() || a->secret_stdin) c.client_secret = read_secret(a->secret_file, a->provider);
      if (a->no_secret) c.client_secret = std::string();
      if (a->no_scope)
        c.scopes = std::vector<std::string>{};
      else if (!a->scopes.empty())
        c.scopes = a->scopes;
      c.values = parse_settings(a->settings);
      if (!a->authorization_endpoint.empty()) c.authorization_endpoint = a->authorization_endpoint;
      if (!a->token_endpoint.empty()) c.token_endpoint = a->token_endpoint;
      if (!a->revocation_endpoint.empty()) c.revocation_endpoint = a->revocation_endpoint;
      ctx.service->configure(key, c, cli_actor());
      std::cout << "configured " << key.provider_id << " (" << sdk::to_string(key.grant_type) << ") in "
                << key.workspace << ": " << core::to_string(ctx.service->status(key)) << "\n";
      return kExitOk;
    };
  });

  CLI::App* connect = in->add_subcommand(
      "connect",
      "Connect: the authorization code flow through a loopback redirect, or fetch a client-credentials token");
  add_key_args(connect, *a);
  connect->add_option("--port", a->port, "Port of the loopback redirect listener (default: any free port)");
  connect->add_option("--wait-seconds", a->wait_seconds, "How long to wait for the browser")
      ->check(CLI::PositiveNumber);
  connect->add_flag("--open", a->open, "Open the authorization URL in the default browser (xdg-open)");
  connect->callback([&, a] {
    action = [&options, a] {
      Context ctx(options);
      auto key = key_of(ctx, *a);
      if (key.grant_type == sdk::GrantType::client_credentials) {
        ctx.service->connect_client_credentials(key, cli_actor());
      } else {
        LoopbackRedirect listener(a->port);
        auto start = ctx.service->begin_connect(key, cli_actor(), listener.redirect_uri());
        announce_authorization(start.authorization_url, listener.redirect_uri(), a->open);
        auto response = listener.wait(start.state, std::chrono::seconds(a->wait_seconds));
        ctx.service->complete_connect(response, cli_actor(), cli_actor());
      }
      std::cout << "connected " << key.provider_id << " (" << sdk::to_string(key.grant_type) << ") in " << key.workspace
                << "\n";
      return kExitOk;
    };
  });

  auto status_args = std::make_shared<KeyArgs>();
  auto status_json_flag = std::make_shared<bool>(false);
  CLI::App* status = in->add_subcommand("status", "Show the status of a workspace's integrations");
  status->add_option("workspace", status_args->workspace, "Workspace")->required();
  status->add_option("provider", status_args->provider, "Only this provider");
  status->add_option("--grant-type", status_args->grant, "Only this grant type")->check(CLI::IsMember(kGrantNames));
  status->add_flag("--json", *status_json_flag, "Print JSON for scripts");
  status->callback([&, status_args, status_json_flag] {
    action = [&options, status_args, status_json_flag] {
      Context ctx(options);
      require_workspace(ctx, status_args->workspace);
      std::vector<core::IntegrationRecord> records;
      if (!status_args->provider.empty()) {
        auto key = key_of(ctx, *status_args);
        if (auto r = ctx.service->find(key))
          records.push_back(*r);
        else if (!*status_json_flag) {
          std::cout << key.provider_id << " (" << sdk::to_string(key.grant_type) << "): not_configured\n";
          return kExitOk;
        }
      } else {
        records = ctx.store->list_integrations(status_args->workspace);
      }
      if (*status_json_flag) {
        json::array out;
        for (const auto& r : records) out.push_back(status_json(ctx, r));
        print_json(std::cout, out);
        return kExitOk;
      }
      std::vector<Row> rows;
      for (const auto& r : records)
        rows.push_back({r.key.provider_id, std::string(sdk::to_string(r.key.grant_type)),
                        std::string(core::to_string(ctx.service->status(r.key))),
                        r.expires_at ? iso8601(*r.expires_at) : "-",
                        r.last_refresh_result.empty() ? "-" : r.last_refresh_result});
      print_table(std::cout, {"PROVIDER", "GRANT TYPE", "STATUS", "EXPIRES", "LAST REFRESH"}, rows);
      return kExitOk;
    };
  });

  auto simple = [&](const char* name, const char* help, auto body) {
    auto args = std::make_shared<KeyArgs>();
    CLI::App* cmd = in->add_subcommand(name, help);
    add_key_args(cmd, *args);
    cmd->callback([&options, &action, args, body] {
      action = [&options, args, body] {
        Context ctx(options);
        return body(ctx, key_of(ctx, *args));
      };
    });
  };
  simple("test", "Check that the integration yields a usable access token",
         [](Context& ctx, const core::IntegrationKey& key) {
           if (key.grant_type == sdk::GrantType::client_credentials)
             ctx.service->connect_client_credentials(key, cli_actor());
           else
             ctx.service->access_token(key);
           std::cout << "ok: " << key.provider_id << " (" << sdk::to_string(key.grant_type)
                     << ") yields an access token\n";
           return kExitOk;
         });
  simple("disconnect", "Revoke the tokens at the provider when it can, then wipe them here",
         [](Context& ctx, const core::IntegrationKey& key) {
           auto problem = ctx.service->disconnect(key, cli_actor());
           if (problem) std::cerr << "tessera: warning: " << *problem << " (the local tokens were wiped anyway)\n";
           std::cout << "disconnected " << key.provider_id << " (" << sdk::to_string(key.grant_type) << ")\n";
           return kExitOk;
         });
  simple("delete", "Remove the integration (and a custom provider's definition)",
         [](Context& ctx, const core::IntegrationKey& key) {
           ctx.service->remove(key, cli_actor());
           std::cout << "deleted " << key.provider_id << " (" << sdk::to_string(key.grant_type) << ")\n";
           return kExitOk;
         });
}

json::object definition_json(const core::CustomProviderDefinition& d) {
  json::array scopes;
  for (const auto& s : d.default_scopes) scopes.emplace_back(s);
  return {{"workspace", d.workspace},
          {"id", d.id},
          {"grant_type", sdk::to_string(d.grant_type)},
          {"name", d.name},
          {"description", d.description},
          {"endpoints",
           {{"authorization", d.authorization_endpoint},
            {"token", d.token_endpoint},
            {"revocation", d.revocation_endpoint}}},
          {"issuer", d.issuer},
          {"default_scopes", scopes},
          {"scope_separator", d.scope_separator},
          {"pkce", d.pkce},
          {"client_auth", sdk::to_string(d.client_auth)}};
}

void add_custom_providers(CLI::App& app, const GlobalOptions& options, Action& action) {
  CLI::App* cp = app.add_subcommand("custom-providers", "Create, list, show and delete a workspace's custom providers");
  cp->require_subcommand(1);
  struct Args {
    std::string workspace, id, grant = "authorization_code", client_auth;
    core::CustomProviderRequest request;
    std::vector<std::string> scopes;
    bool pkce = false, no_pkce = false, json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* create = cp->add_subcommand("create", "Create a custom provider from an issuer (discovery) or endpoints");
  create->add_option("workspace", a->workspace, "Workspace")->required();
  create->add_option("--name", a->request.name, "Display name; the id is derived from it")->required();
  create->add_option("--id", a->id, "Requested id (custom_ is prefixed; _1, _2... appended when taken)");
  create->add_option("--description", a->request.description, "Description");
  create->add_option("--grant-type", a->grant, "Grant type")->check(CLI::IsMember(kGrantNames));
  create->add_option("--issuer", a->request.issuer, "Issuer URL whose RFC 8414 metadata gives the endpoints");
  create->add_option("--authorization-endpoint", a->request.authorization_endpoint, "Authorization endpoint");
  create->add_option("--token-endpoint", a->request.token_endpoint, "Token endpoint");
  create->add_option("--revocation-endpoint", a->request.revocation_endpoint, "Revocation endpoint (RFC 7009)");
  create->add_option("--scope", a->scopes, "Default scope (repeatable)")->allow_extra_args(false);
  create->add_option("--scope-separator", a->request.scope_separator, "Separator of scopes (default: a space)");
  create->add_flag("--pkce", a->pkce, "Use PKCE (default, unless discovery says the server lacks S256)");
  create->add_flag("--no-pkce", a->no_pkce, "Do not use PKCE");
  create->add_option("--client-auth", a->client_auth, "Client authentication method")
      ->check(CLI::IsMember({"client_secret_basic", "client_secret_post", "none", "private_key_jwt"}));
  create->add_flag("--json", a->json, "Print JSON for scripts");
  create->callback([&, a] {
    action = [&options, a] {
      Context ctx(options);
      core::CustomProviderRequest r = a->request;
      r.grant_type = *sdk::parse_grant_type(a->grant);
      if (!a->id.empty()) r.requested_id = a->id;
      r.default_scopes = a->scopes;
      if (a->pkce) r.pkce = true;
      if (a->no_pkce) r.pkce = false;
      if (!a->client_auth.empty()) r.client_auth = sdk::parse_client_auth(a->client_auth);
      if (r.issuer.empty() && r.token_endpoint.empty())
        throw UsageError(
            "give --issuer, or the endpoints (--token-endpoint, and --authorization-endpoint for the "
            "authorization code grant)");
      auto d = ctx.service->create_custom_provider(a->workspace, r, cli_actor());
      if (a->json)
        print_json(std::cout, definition_json(d));
      else
        std::cout << "created custom provider " << d.id << " (" << sdk::to_string(d.grant_type) << ")\n";
      return kExitOk;
    };
  });

  auto list_args = std::make_shared<Args>();
  CLI::App* list = cp->add_subcommand("list", "List the workspace's custom providers");
  list->add_option("workspace", list_args->workspace, "Workspace")->required();
  list->add_flag("--json", list_args->json, "Print JSON for scripts");
  list->callback([&, list_args] {
    action = [&options, list_args] {
      Context ctx(options);
      require_workspace(ctx, list_args->workspace);
      auto defs = ctx.store->list_custom_providers(list_args->workspace);
      if (list_args->json) {
        json::array out;
        for (const auto& d : defs) out.push_back(definition_json(d));
        print_json(std::cout, out);
        return kExitOk;
      }
      std::vector<Row> rows;
      for (const auto& d : defs)
        rows.push_back({d.id, std::string(sdk::to_string(d.grant_type)), d.name, d.token_endpoint});
      print_table(std::cout, {"ID", "GRANT TYPE", "NAME", "TOKEN ENDPOINT"}, rows);
      return kExitOk;
    };
  });

  auto show_args = std::make_shared<KeyArgs>();
  CLI::App* show = cp->add_subcommand("show", "Show one custom provider");
  add_key_args(show, *show_args);
  show->callback([&, show_args] {
    action = [&options, show_args] {
      Context ctx(options);
      auto key = key_of(ctx, *show_args);
      auto d = ctx.store->find_custom_provider(key.workspace, key.provider_id, key.grant_type);
      if (!d) throw Error(ErrorCode::not_found, "no custom provider '" + key.provider_id + "'");
      print_json(std::cout, definition_json(*d));
      return kExitOk;
    };
  });

  auto delete_args = std::make_shared<KeyArgs>();
  CLI::App* del = cp->add_subcommand("delete", "Delete a custom provider and its integration");
  add_key_args(del, *delete_args);
  del->callback([&, delete_args] {
    action = [&options, delete_args] {
      Context ctx(options);
      auto key = key_of(ctx, *delete_args);
      ctx.service->delete_custom_provider(key.workspace, key.provider_id, key.grant_type, cli_actor());
      std::cout << "deleted custom provider " << key.provider_id << "\n";
      return kExitOk;
    };
  });
}

}  // namespace

void add_token_get(CLI::App* token, const GlobalOptions& options, Action& action) {
  struct Args : KeyArgs {
    bool show = false, json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* get =
      token->add_subcommand("get", "Print a usable access token of a stored integration (refreshed when due)");
  add_key_args(get, *a);
  get->add_flag("--show-secrets", a->show, "Print the token in full instead of masked");
  get->add_flag("--json", a->json, "Print JSON for scripts");
  get->callback([&options, &action, a] {
    action = [&options, a] {
      Context ctx(options);
      auto key = key_of(ctx, *a);
      print_access_token(key, ctx.service->access_token(key), a->show, a->json);
      return kExitOk;
    };
  });
}

void add_store_commands(CLI::App& app, const GlobalOptions& options, Action& action) {
  add_workspaces(app, options, action);
  add_integrations(app, options, action);
  add_custom_providers(app, options, action);

  CLI::App* keys = app.add_subcommand("keys", "Manage the encryption keys of the store");
  keys->require_subcommand(1);
  CLI::App* rotate = keys->add_subcommand(
      "rotate", "Re-encrypt every stored secret under the newest key (with the key file: a new key is added first)");
  rotate->callback([&] {
    action = [&options] {
      const auto db =
          options.database.empty() ? core::default_database_path() : std::filesystem::path(options.database);
      const auto key_file = core::key_file_for(db);
      auto store = core::open_sqlite_store(db, core::KeyRing::load(key_file));  // proves the keys fit first
      core::KeyRing ring =
          core::KeyRing::from_environment() ? core::KeyRing::load(key_file) : core::KeyRing::add_key_to_file(key_file);
      std::size_t n = store->reencrypt(ring);
      store->audit({"*", "keys_rotated", "", "", cli_actor(), "key " + ring.newest().id, {}});
      std::cout << "re-encrypted " << n << " values under key " << ring.newest().id << "\n";
      if (!core::KeyRing::from_environment())
        std::cout << "older keys stay in " << key_file.string() << " until you remove them\n";
      return kExitOk;
    };
  });

  auto audit_ws = std::make_shared<std::string>();
  auto audit_json = std::make_shared<bool>(false);
  CLI::App* audit = app.add_subcommand("audit", "Show the audit trail (never contains secret values)");
  audit->add_option("--workspace", *audit_ws, "Only this workspace");
  audit->add_flag("--json", *audit_json, "Print JSON for scripts");
  audit->callback([&, audit_ws, audit_json] {
    action = [&options, audit_ws, audit_json] {
      Context ctx(options);
      auto events = ctx.store->audit_events(audit_ws->empty() ? std::nullopt : std::optional<std::string>(*audit_ws));
      if (*audit_json) {
        json::array out;
        for (const auto& e : events)
          out.push_back(json::object{{"at", iso8601(e.at)},
                                     {"workspace", e.workspace},
                                     {"event", e.event},
                                     {"provider", e.provider_id},
                                     {"grant_type", e.grant_type},
                                     {"actor", e.actor},
                                     {"detail", e.detail}});
        print_json(std::cout, out);
        return kExitOk;
      }
      std::vector<Row> rows;
      for (const auto& e : events)
        rows.push_back({iso8601(e.at), e.workspace, e.event, e.provider_id.empty() ? "-" : e.provider_id,
                        e.grant_type.empty() ? "-" : e.grant_type, e.actor, e.detail});
      print_table(std::cout, {"AT", "WORKSPACE", "EVENT", "PROVIDER", "GRANT TYPE", "ACTOR", "DETAIL"}, rows);
      return kExitOk;
    };
  });
}

}  // namespace tessera::host
