// Discovers provider plugins and loads them into a ProviderRegistry without trusting them.
//
// For each file named tessera_provider_*.so, in directory order and then sorted by name:
//   1. its .tessera_manifest section is read from the file (no code runs) and the SDK
//      version and ABI tag are checked against the host's;
//   2. only then is it loaded, RTLD_NOW | RTLD_LOCAL, and never unloaded while the process
//      lives (every provider instance also holds the library);
//   3. its single entry point is called and each provider factory run, every call guarded;
//   4. each provider is registered; a registry refusal is reported for that provider.
// The result is a report with one entry per file; loading never stops at the first problem.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tessera/core/registry.hpp"

namespace tessera::core {

enum class PluginStatus {
  loaded,              // every provider registered
  loaded_with_errors,  // some providers registered, some refused
  rejected,            // nothing registered
};

std::string_view to_string(PluginStatus status) noexcept;

// One thing that went wrong. `reason` is a stable word for scripts: not_elf, truncated,
// malformed_elf, wrong_architecture, no_manifest, malformed_manifest, unreadable,
// incompatible_sdk, abi_mismatch, load_failed, missing_entry_point, bad_descriptor,
// factory_failed, invalid_spec, duplicate_provider. `message` is for a person.
struct LoadProblem {
  std::string reason;
  std::string message;
};

struct PluginReport {
  std::filesystem::path path;
  PluginStatus status = PluginStatus::rejected;
  std::string plugin_name;             // from the manifest, when it could be read
  std::string plugin_version;          // from the manifest
  std::string sdk_version;             // the SDK the plugin was built against
  std::vector<ProviderKey> providers;  // registered from this file
  std::vector<LoadProblem> problems;
};

struct LoadReport {
  std::vector<std::filesystem::path> directories;  // searched, in order
  std::vector<std::string> warnings;               // e.g. a directory that does not exist
  std::vector<PluginReport> plugins;               // one per candidate file, in visiting order

  std::size_t count(PluginStatus status) const;
};

// Directories to search: `explicit_dirs` when not empty; else the colon-separated
// TESSERA_PLUGIN_PATH when set; else default_plugin_directory().
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::filesystem::path>& explicit_dirs);

// <libdir>/tessera/providers beside the libtessera_core in use: the install tree's or the
// build tree's, which have the same layout.
std::filesystem::path default_plugin_directory();

// True for file names of the form tessera_provider_<something>.so.
bool is_plugin_file_name(std::string_view file_name) noexcept;

// Candidate files of the directories, in visiting order; a file reached twice (through a
// link or a repeated directory) is listed once.
std::vector<std::filesystem::path> discover_plugins(const std::vector<std::filesystem::path>& directories,
                                                    std::vector<std::string>* warnings = nullptr);

// Loads one file into the registry.
PluginReport load_plugin(const std::filesystem::path& file, ProviderRegistry& registry);

// Discovers and loads every plugin of the directories.
LoadReport load_plugins(const std::vector<std::filesystem::path>& directories, ProviderRegistry& registry);

}  // namespace tessera::core
