#include "cli/app.hpp"

#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/log.hpp"
#include "tessera/core/runtime.hpp"
#include "tessera/sdk/version.hpp"

namespace tessera::host {

core::LoadReport load_registry(const GlobalOptions& options, core::ProviderRegistry& registry, bool warn) {
  std::vector<std::filesystem::path> dirs(options.plugin_dirs.begin(), options.plugin_dirs.end());
  core::LoadReport report = core::load_plugins(core::plugin_search_path(dirs), registry);
  if (warn) {
    for (const auto& w : report.warnings) std::cerr << "tessera: warning: " << w << '\n';
    for (const auto& p : report.plugins)
      if (p.status != core::PluginStatus::loaded)
        std::cerr << "tessera: warning: plugin " << p.path.string() << " " << core::to_string(p.status) << " ("
                  << p.problems.front().reason << "); `tessera plugins list` says why\n";
  }
  return report;
}

core::HttpOptions http_options(const GlobalOptions& options) {
  core::HttpOptions o;
  o.insecure_development = options.insecure;
  o.ca_bundle = options.ca_bundle;
  o.connect_timeout = std::chrono::milliseconds(options.connect_timeout_ms);
  o.total_timeout = std::chrono::milliseconds(options.timeout_ms);
  if (options.insecure)
    std::cerr << "tessera: WARNING: --insecure-dev-endpoints is on: http and loopback/private endpoint addresses "
                 "are allowed. Never use this outside development.\n";
  return o;
}

std::string cli_actor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user && *user ? user : "unknown");
}

int run(int argc, char** argv) {
  core::Runtime runtime;
  core::set_log_level(core::log_level_from_environment());
  CLI::App app{"Tessera: an OAuth integration host built from provider plugins."};
  app.name("tessera");
  app.set_version_flag("--version", std::string("tessera ") + TESSERA_VERSION + " (provider SDK " +
                                        TESSERA_SDK_VERSION_STRING + ", ABI " + TESSERA_SDK_ABI_TAG + ")");
  app.require_subcommand(1);
  // Options of the top level are also accepted after a subcommand.
  app.fallthrough();

  GlobalOptions options;
  app.add_option("--plugin-dir", options.plugin_dirs,
                 "Directory to load provider plugins from (repeatable). Default: $TESSERA_PLUGIN_PATH "
                 "(colon-separated), else the directory installed beside Tessera.")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app.add_option("--db", options.database,
                 "SQLite database file. Default: $TESSERA_DB, else $TESSERA_HOME/tessera.db, else "
                 "$XDG_DATA_HOME/tessera/tessera.db")
      ->type_name("FILE");
  app.add_option("--ca-bundle", options.ca_bundle, "PEM file of CAs to trust instead of the system's")
      ->check(CLI::ExistingFile);
  app.add_option("--connect-timeout-ms", options.connect_timeout_ms, "Connect timeout of each request")
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout-ms", options.timeout_ms, "Timeout of each request")->check(CLI::PositiveNumber);
  app.add_flag("--insecure-dev-endpoints", options.insecure,
               "DEVELOPMENT ONLY: allow http and loopback or private endpoint addresses");
  app.add_option("--refresh-window-seconds", options.refresh_window_seconds,
                 "Refresh access tokens that expire within this many seconds")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--lease-seconds", options.lease_seconds,
                 "How long a refresh lease holds before another process may take over")
      ->check(CLI::PositiveNumber);
  app.add_option("--client-credentials-lifetime-seconds", options.client_credentials_lifetime_seconds,
                 "Lifetime assumed for client-credentials tokens that state none")
      ->check(CLI::PositiveNumber);

  Action action;
  add_providers_command(app, options, action);
  add_plugins_command(app, options, action);
  add_oauth_commands(app, options, action);
  add_store_commands(app, options, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  try {
    return action ? action() : kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "tessera: " << e.what() << "\n";
    return kExitUsage;
  } catch (const Error& e) {
    std::cerr << "tessera: " << e.what() << '\n';
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "tessera: unexpected error: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace tessera::host
