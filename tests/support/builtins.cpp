#include "support/builtins.hpp"

#include <stdexcept>

#include "tessera/core/plugin_loader.hpp"

namespace tessera::test {

const core::ProviderRegistry& builtin_registry() {
  static core::ProviderRegistry registry;
  static const core::LoadReport report = core::load_plugins({TESSERA_TEST_PLUGIN_DIR}, registry);
  if (report.count(core::PluginStatus::loaded) != 6) throw std::runtime_error("the built-in plugins did not all load");
  return registry;
}

core::HttpOptions loopback_http_options(const std::string& ca) {
  core::HttpOptions o;
  o.insecure_development = true;
  o.connect_timeout = std::chrono::seconds(5);
  o.total_timeout = std::chrono::seconds(10);
  o.https_proxy = o.http_proxy = o.no_proxy = "";
  o.ca_bundle = ca;
  return o;
}

}  // namespace tessera::test
