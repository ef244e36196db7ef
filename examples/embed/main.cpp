// A host application embedding libtessera_core: load the provider plugins, open the store,
// and hand out a usable access token for one integration.
//
//   embed_example                          lists the providers of the installed plugins
//   embed_example DB WORKSPACE PROVIDER    prints an access token (refreshed when due)
#include <iostream>
#include <tessera/core/integrations.hpp>
#include <tessera/core/plugin_loader.hpp>
#include <tessera/core/runtime.hpp>

int main(int argc, char** argv) {
  using namespace tessera::core;
  Runtime runtime;  // once, before any thread starts

  ProviderRegistry registry;
  LoadReport report = load_plugins(plugin_search_path({}), registry);
  for (const auto& plugin : report.plugins)
    for (const auto& problem : plugin.problems)
      std::cerr << plugin.path.string() << ": " << problem.reason << ": " << problem.message << "\n";

  if (argc < 4) {
    for (const auto* p : registry.list()) std::cout << to_string(p->key()) << "\n";
    return 0;
  }
  try {
    const std::filesystem::path db = argv[1];
    auto store = open_sqlite_store(db, KeyRing::load(key_file_for(db)));
    HttpClient http;
    OAuthEngine engine(http);
    IntegrationService service(*store, registry, engine);
    const auto* provider = registry.find_all(argv[3]).empty() ? nullptr : registry.find_all(argv[3]).front();
    if (!provider) {
      std::cerr << "no provider " << argv[3] << "\n";
      return 1;
    }
    AccessToken token = service.access_token({argv[2], argv[3], provider->spec().grant_type});
    std::cout << token.token_type << " " << token.token << "\n";
  } catch (const tessera::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
