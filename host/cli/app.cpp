#include "cli/app.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "tessera/core/error.hpp"
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

int run(int argc, char** argv) {
  core::Runtime runtime;
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

  Action action;
  add_providers_command(app, options, action);
  add_plugins_command(app, options, action);
  add_oauth_commands(app, options, action);

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
  } catch (const Error& e) {
    std::cerr << "tessera: " << e.what() << '\n';
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "tessera: unexpected error: " << e.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace tessera::host
