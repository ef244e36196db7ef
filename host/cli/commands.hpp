// The commands of the `tessera` CLI. Each registers its subcommands on the app and returns
// the action to run once parsing succeeded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "tessera/core/plugin_loader.hpp"
#include "tessera/core/registry.hpp"

namespace tessera::host {

// Options every command accepts.
struct GlobalOptions {
  std::vector<std::string> plugin_dirs;
};

using Action = std::function<int()>;

// Loads the plugins of --plugin-dir / TESSERA_PLUGIN_PATH / the default directory. When
// `warn` is set, each rejected plugin gets one line on stderr pointing at `plugins list`.
core::LoadReport load_registry(const GlobalOptions& options, core::ProviderRegistry& registry, bool warn);

void add_providers_command(CLI::App& app, const GlobalOptions& options, Action& action);
void add_plugins_command(CLI::App& app, const GlobalOptions& options, Action& action);
void add_oauth_commands(CLI::App& app, const GlobalOptions& options, Action& action);

}  // namespace tessera::host
