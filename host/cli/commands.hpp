// The commands of the `tessera` CLI. Each registers its subcommands on the app and returns
// the action to run once parsing succeeded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/core/http.hpp"
#include "tessera/core/plugin_loader.hpp"
#include "tessera/core/registry.hpp"

namespace tessera::host {

// Options every command accepts.
struct GlobalOptions {
  std::vector<std::string> plugin_dirs;
  std::string database;  // --db; default TESSERA_DB or the data directory
  // Talking to authorization servers.
  bool insecure = false;
  std::string ca_bundle;
  int connect_timeout_ms = 5000, timeout_ms = 30000;
  // Refresh policy.
  int refresh_window_seconds = 300, lease_seconds = 30, client_credentials_lifetime_seconds = 3600;
};

using Action = std::function<int()>;

// A mistake in how a command was called that parsing alone cannot see; exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// HTTP options from the global options; warns loudly on stderr when the development option is on.
core::HttpOptions http_options(const GlobalOptions& options);

// "cli:<user>", the actor recorded in the audit trail.
std::string cli_actor();

// Loads the plugins of --plugin-dir / TESSERA_PLUGIN_PATH / the default directory. When
// `warn` is set, each rejected plugin gets one line on stderr pointing at `plugins list`.
core::LoadReport load_registry(const GlobalOptions& options, core::ProviderRegistry& registry, bool warn);

void add_providers_command(CLI::App& app, const GlobalOptions& options, Action& action);
void add_plugins_command(CLI::App& app, const GlobalOptions& options, Action& action);
void add_oauth_commands(CLI::App& app, const GlobalOptions& options, Action& action);
void add_store_commands(CLI::App& app, const GlobalOptions& options, Action& action);
// `token get WORKSPACE PROVIDER`, a subcommand of `token`.
void add_token_get(CLI::App* token, const GlobalOptions& options, Action& action);

}  // namespace tessera::host
