// tessera plugins list [--json]: the load report, rejected files and their reasons included.
#include <boost/json.hpp>
#include <iostream>
#include <memory>

#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "tessera/core/describe.hpp"

namespace tessera::host {

void add_plugins_command(CLI::App& app, const GlobalOptions& options, Action& action) {
  CLI::App* plugins = app.add_subcommand("plugins", "Inspect provider plugin files");
  plugins->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  CLI::App* list = plugins->add_subcommand(
      "list", "Load every plugin of the plugin directories and report, per file, what was loaded or why not");
  list->add_flag("--json", *json, "Print JSON for scripts");
  list->callback([&options, &action, json] {
    action = [&options, json] {
      core::ProviderRegistry registry;
      core::LoadReport report = load_registry(options, registry, false);
      if (*json) {
        print_json(std::cout, core::describe(report));
        return kExitOk;
      }
      for (const auto& w : report.warnings) std::cout << "warning: " << w << "\n";
      for (const auto& p : report.plugins) {
        std::cout << core::to_string(p.status) << "  " << p.path.string() << "\n";
        if (!p.plugin_name.empty())
          std::cout << "    plugin " << p.plugin_name << " " << p.plugin_version << ", built against SDK "
                    << p.sdk_version << "\n";
        if (!p.providers.empty()) {
          std::cout << "    providers:";
          for (const auto& k : p.providers) std::cout << " " << core::to_string(k) << ";";
          std::cout << "\n";
        }
        for (const auto& problem : p.problems) std::cout << "    " << problem.reason << ": " << problem.message << "\n";
      }
      std::cout << report.plugins.size() << " plugin files in";
      for (const auto& d : report.directories) std::cout << " " << d.string();
      std::cout << ": " << report.count(core::PluginStatus::loaded) << " loaded, "
                << report.count(core::PluginStatus::loaded_with_errors) << " loaded with errors, "
                << report.count(core::PluginStatus::rejected) << " rejected; " << registry.size() << " providers\n";
      return kExitOk;
    };
  });
}

}  // namespace tessera::host
