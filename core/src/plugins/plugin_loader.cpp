#include "tessera/core/plugin_loader.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <boost/core/demangle.hpp>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <set>

#include "tessera/core/plugin_manifest.hpp"
#include "tessera/sdk/plugin.hpp"

namespace fs = std::filesystem;

namespace tessera::core {
namespace {

constexpr std::uint32_t kMaxProvidersPerPlugin = 1024;

std::string version_string(sdk::SdkVersion v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch);
}

// "boost::dll::shared_library::load() failed (dlerror system message: X): Bad file descriptor" -> "X"
std::string dlerror_text(const std::string& what) {
  const std::string marker = "dlerror system message: ";
  auto pos = what.find(marker);
  if (pos == std::string::npos) return what;
  const auto start = pos + marker.size();
  const auto end = what.rfind(')');
  return end == std::string::npos || end < start ? what.substr(start) : what.substr(start, end - start);
}

void reject(PluginReport& report, std::string reason, std::string message) {
  report.problems.push_back({std::move(reason), std::move(message)});
}

// Checks the manifest read from the file; false (with a problem recorded) when the plugin
// must not be loaded.
bool check_compatibility(const PluginManifest& m, PluginReport& report) {
  const sdk::SdkVersion host = sdk::kSdkVersion;
  if (!sdk::is_compatible(m.sdk_version, host)) {
    const std::string plugin = version_string(m.sdk_version);
    std::string advice = m.sdk_version.major != host.major
                             ? "rebuild it against SDK " + std::to_string(host.major) + ".x"
                             : "rebuild it against SDK " + std::to_string(host.major) + "." +
                                   std::to_string(host.minor) + " or older, or upgrade Tessera";
    reject(report, "incompatible_sdk",
           "built against SDK " + plugin + ", this host provides SDK " + version_string(host) + ": " + advice);
    return false;
  }
  if (m.abi_tag != sdk::kSdkAbiTag) {
    reject(report, "abi_mismatch",
           "ABI tag '" + m.abi_tag + "' differs from the host's '" + std::string(sdk::kSdkAbiTag) +
               "': rebuild the plugin with the same compiler family and major version, standard library ABI "
               "and Boost release as Tessera");
    return false;
  }
  return true;
}

// Why a descriptor cannot be trusted, or empty.
std::string descriptor_problem(const sdk::PluginDescriptor* d) {
  if (!d) return "the entry point returned no descriptor";
  if (d->struct_size < sizeof(sdk::PluginDescriptor))
    return "the descriptor is " + std::to_string(d->struct_size) + " bytes, expected at least " +
           std::to_string(sizeof(sdk::PluginDescriptor));
  if (!sdk::is_compatible({static_cast<int>(d->sdk_major), static_cast<int>(d->sdk_minor), 0}, sdk::kSdkVersion))
    return "the descriptor's SDK version " + std::to_string(d->sdk_major) + "." + std::to_string(d->sdk_minor) +
           " contradicts the manifest";
  if (!d->abi_tag || std::string_view(d->abi_tag) != sdk::kSdkAbiTag)
    return "the descriptor's ABI tag contradicts the manifest";
  if (!d->name || !d->version) return "the descriptor has no plugin name or version";
  if (d->provider_count == 0) return "the plugin declares no providers";
  if (d->provider_count > kMaxProvidersPerPlugin)
    return "the plugin declares " + std::to_string(d->provider_count) + " providers";
  if (!d->providers) return "the descriptor has no provider table";
  for (std::uint32_t i = 0; i < d->provider_count; ++i)
    if (!d->providers[i].create || !d->providers[i].destroy)
      return "provider factory " + std::to_string(i) + " has no create or destroy function";
  return {};
}

std::string reason_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_spec: return "invalid_spec";
    case ErrorCode::duplicate_provider: return "duplicate_provider";
    default: return std::string(tessera::to_string(code));
  }
}

}  // namespace

std::string_view to_string(PluginStatus status) noexcept {
  switch (status) {
    case PluginStatus::loaded: return "loaded";
    case PluginStatus::loaded_with_errors: return "loaded_with_errors";
    case PluginStatus::rejected: return "rejected";
  }
  return "unknown";
}

std::size_t LoadReport::count(PluginStatus status) const {
  return static_cast<std::size_t>(
      std::count_if(plugins.begin(), plugins.end(), [&](const PluginReport& p) { return p.status == status; }));
}

fs::path default_plugin_directory() {
  std::error_code ec;
  fs::path core_library = boost::dll::this_line_location(ec);
  if (!ec) {
    fs::path beside = (core_library.parent_path() / "tessera" / "providers").lexically_normal();
    if (fs::is_directory(beside, ec)) return beside;
  }
  return fs::path(TESSERA_INSTALL_PLUGIN_DIR);
}

std::vector<fs::path> plugin_search_path(const std::vector<fs::path>& explicit_dirs) {
  if (!explicit_dirs.empty()) return explicit_dirs;
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("TESSERA_PLUGIN_PATH"); env && *env) {
    std::string_view rest(env);
    while (true) {
      auto colon = rest.find(':');
      auto part = rest.substr(0, colon);
      if (!part.empty()) dirs.emplace_back(part);
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
    if (!dirs.empty()) return dirs;
  }
  return {default_plugin_directory()};
}

bool is_plugin_file_name(std::string_view name) noexcept {
  constexpr std::string_view prefix = "tessera_provider_", suffix = ".so";
  return name.size() > prefix.size() + suffix.size() && name.substr(0, prefix.size()) == prefix &&
         name.substr(name.size() - suffix.size()) == suffix;
}

std::vector<fs::path> discover_plugins(const std::vector<fs::path>& directories, std::vector<std::string>* warnings) {
  std::vector<fs::path> out;
  std::set<fs::path> seen;
  for (const auto& dir : directories) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      if (warnings)
        warnings->push_back("plugin directory " + dir.string() +
                            (fs::exists(dir, ec) ? " is not a directory" : " does not exist"));
      continue;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (is_plugin_file_name(it->path().filename().native()))
        files.push_back(fs::absolute(it->path()).lexically_normal());
    if (ec && warnings) warnings->push_back("cannot list plugin directory " + dir.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      std::error_code cec;
      fs::path id = fs::weakly_canonical(f, cec);
      if (seen.insert(cec ? f : id).second) out.push_back(std::move(f));
    }
  }
  return out;
}

PluginReport load_plugin(const fs::path& file, ProviderRegistry& registry) {
  PluginReport report;
  report.path = file;

  // 1. Read the manifest from the file; nothing of the plugin runs yet.
  ManifestResult manifest = read_plugin_manifest(file);
  if (!manifest.manifest) {
    reject(report, std::string(to_string(manifest.problem)), manifest.message);
    return report;
  }
  report.plugin_name = manifest.manifest->plugin_name;
  report.plugin_version = manifest.manifest->plugin_version;
  report.sdk_version = version_string(manifest.manifest->sdk_version);
  if (!check_compatibility(*manifest.manifest, report)) return report;

  // 2. Load it for good: RTLD_NODELETE keeps the code mapped even if every handle goes.
  auto library = std::make_shared<boost::dll::shared_library>();
  try {
    const auto mode = static_cast<boost::dll::load_mode::type>(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    library->load(fs::absolute(file), mode);
  } catch (const std::exception& e) {
    reject(report, "load_failed", "the dynamic loader refused it: " + dlerror_text(e.what()));
    return report;
  }

  // 3. The entry point and its descriptor.
  if (!library->has(sdk::kPluginEntryPointName)) {
    reject(report, "missing_entry_point",
           std::string("the file exports no ") + sdk::kPluginEntryPointName +
               " symbol: add TESSERA_PLUGIN(...) to one source file of the plugin");
    return report;
  }
  const sdk::PluginDescriptor* descriptor = nullptr;
  try {
    descriptor = library->get_alias<sdk::PluginEntryPoint>(sdk::kPluginEntryPointName)();
  } catch (const std::exception& e) {
    reject(report, "bad_descriptor", std::string("calling the entry point failed: ") + e.what());
    return report;
  }
  if (std::string problem = descriptor_problem(descriptor); !problem.empty()) {
    reject(report, "bad_descriptor", problem);
    return report;
  }
  if (report.plugin_name != descriptor->name) {
    reject(report, "bad_descriptor",
           "the entry point names the plugin '" + std::string(descriptor->name) + "' but its manifest says '" +
               report.plugin_name + "'");
    return report;
  }

  // 4. Instantiate and register each provider.
  const ProviderOrigin origin{file.string(), descriptor->name, descriptor->version};
  for (std::uint32_t i = 0; i < descriptor->provider_count; ++i) {
    const sdk::ProviderFactory& factory = descriptor->providers[i];
    const std::string class_name =
        factory.class_name ? boost::core::demangle(factory.class_name) : "#" + std::to_string(i);
    char error[512] = {};
    const sdk::OAuthProvider* raw = nullptr;
    try {
      raw = factory.create(error, sizeof error);
    } catch (...) {
      std::snprintf(error, sizeof error, "the factory threw");
    }
    if (!raw) {
      reject(report, "factory_failed",
             "provider class " + class_name + " could not be created: " + (error[0] ? error : "no reason given"));
      continue;
    }
    auto destroy = factory.destroy;
    std::shared_ptr<const sdk::OAuthProvider> provider(raw,
                                                       [library, destroy](const sdk::OAuthProvider* p) { destroy(p); });
    try {
      const RegisteredProvider& entry = registry.add(std::move(provider), origin);
      report.providers.push_back(entry.key());
    } catch (const Error& e) {
      reject(report, reason_of(e.code()), e.what());
    }
  }
  report.status = report.providers.empty()  ? PluginStatus::rejected
                  : report.problems.empty() ? PluginStatus::loaded
                                            : PluginStatus::loaded_with_errors;
  return report;
}

LoadReport load_plugins(const std::vector<fs::path>& directories, ProviderRegistry& registry) {
  LoadReport report;
  report.directories = directories;
  for (const auto& file : discover_plugins(directories, &report.warnings))
    report.plugins.push_back(load_plugin(file, registry));
  return report;
}

}  // namespace tessera::core
