// Reads a plugin's `.tessera_manifest` ELF section straight from the file, without loading
// it, so an incompatible or hostile module is rejected before any of its code runs. Every
// offset and count in the file is checked against the file's real size.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "tessera/sdk/version.hpp"

namespace tessera::core {

// Why a file's manifest could not be read. The values double as the `reason` of the load
// report, so they are stable strings for scripts (see to_string).
enum class ManifestProblem {
  unreadable,          // cannot open or read the file
  not_elf,             // no ELF magic
  truncated,           // headers or sections extend past the end of the file
  malformed_elf,       // inconsistent sizes, counts or string offsets
  wrong_architecture,  // ELF class, byte order or machine differ from the host's
  no_manifest,         // no .tessera_manifest section
  malformed_manifest,  // the section is there but does not parse
};

std::string_view to_string(ManifestProblem problem) noexcept;

struct PluginManifest {
  sdk::SdkVersion sdk_version;
  std::string abi_tag;
  std::string plugin_name;
  std::string plugin_version;
};

struct ManifestResult {
  std::optional<PluginManifest> manifest;  // set on success
  ManifestProblem problem = ManifestProblem::unreadable;
  std::string message;  // what was wrong, for a person
};

// The largest manifest section accepted; real ones are about 120 bytes.
inline constexpr std::size_t kMaxManifestSize = 4096;

ManifestResult read_plugin_manifest(const std::filesystem::path& file);

// Parses the section's text (exposed for tests). Returns nullopt and sets `message` on error.
std::optional<PluginManifest> parse_manifest_text(std::string_view text, std::string& message);

}  // namespace tessera::core
