// How long Tessera's own work takes: reading a plugin's manifest from its file, loading the
// built-in plugins, looking providers up, deriving custom provider ids, sealing secrets,
// and handing out a fresh access token from the SQLite store.
//
//   tessera_bench [--quick] [--write docs/performance.md]
#include <stdlib.h>
#include <sys/utsname.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tessera/core/custom_provider_id.hpp"
#include "tessera/core/integrations.hpp"
#include "tessera/core/plugin_loader.hpp"
#include "tessera/core/plugin_manifest.hpp"
#include "tessera/core/runtime.hpp"

namespace fs = std::filesystem;
using namespace tessera::core;
using Clock = std::chrono::steady_clock;

namespace {

struct Figure {
  std::string what;
  std::size_t iterations;
  double median_us;
  double p90_us;
};

// Runs `body` once to warm up, then `iterations` times in each of 7 rounds; reports the
// per-iteration microseconds of the rounds.
Figure measure(const std::string& what, std::size_t iterations, const std::function<void()>& body) {
  constexpr int kRounds = 7;
  body();
  std::vector<double> per_op;
  for (int r = 0; r < kRounds; ++r) {
    auto start = Clock::now();
    for (std::size_t i = 0; i < iterations; ++i) body();
    std::chrono::duration<double, std::micro> took = Clock::now() - start;
    per_op.push_back(took.count() / static_cast<double>(iterations));
  }
  std::sort(per_op.begin(), per_op.end());
  return {what, iterations, per_op[kRounds / 2], per_op[(kRounds * 9) / 10]};
}

std::string machine() {
  utsname u{};
  uname(&u);
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string write_to;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick")
      quick = true;
    else if (a == "--write" && i + 1 < argc)
      write_to = argv[++i];
    else {
      std::fprintf(stderr, "usage: tessera_bench [--quick] [--write FILE]\n");
      return 2;
    }
  }
  const std::size_t scale = quick ? 1 : 100;
  Runtime runtime;
  const fs::path plugin_dir = TESSERA_BENCH_PLUGIN_DIR;

  std::vector<Figure> figures;
  figures.push_back(
      measure("read the manifest of tessera_provider_microsoft.so (ELF section, no dlopen)", 20 * scale, [&] {
        if (!read_plugin_manifest(plugin_dir / "tessera_provider_microsoft.so").manifest) std::abort();
      }));
  figures.push_back(measure("load the 6 built-in plugins (25 providers) into a new registry", 2 * scale, [&] {
    ProviderRegistry registry;
    if (load_plugins({plugin_dir}, registry).count(PluginStatus::loaded) != 6) std::abort();
  }));
  ProviderRegistry registry;
  load_plugins({plugin_dir}, registry);
  figures.push_back(measure("find (provider_id, grant_type) in the registry", 1000 * scale, [&] {
    if (!registry.find({"microsoft_teams", tessera::sdk::GrantType::client_credentials})) std::abort();
  }));
  figures.push_back(measure("derive a custom provider id from a non-Latin name (ICU)", 10 * scale, [&] {
    if (derive_custom_provider_id(std::nullopt, "東京 Café API", [](const std::string&) { return false; }).empty())
      std::abort();
  }));

  const KeyRing ring({std::array<unsigned char, 32>{1, 2, 3}});
  const SecretSlot slot{"integrations", "acme/github/authorization_code", "access_token"};
  const std::string token(40, 't');
  figures.push_back(measure("seal and open a 40-byte token (AES-256-GCM)", 1000 * scale, [&] {
    if (ring.open(ring.seal(token, slot), slot) != token) std::abort();
  }));

  char dir_template[] = "/tmp/tessera-bench-XXXXXX";
  const fs::path dir = ::mkdtemp(dir_template);
  {
    auto store = open_sqlite_store(dir / "bench.db", ring);
    store->create_workspace("acme", "bench");
    const IntegrationKey key{"acme", "github", tessera::sdk::GrantType::authorization_code};
    tessera::sdk::ProviderConfig config;
    config.client_id = "client";
    config.client_secret = "secret";
    store->save_configuration(key, config, {"acme", "bench", "", "", "", "", {}});
    store->save_tokens(key, {token, std::string("refresh"), "Bearer", std::nullopt, {"repo"}, "user"}, "",
                       {"acme", "bench", "", "", "", "", {}});
    HttpClient http;
    OAuthEngine engine(http);
    IntegrationService service(*store, registry, engine);
    figures.push_back(measure("access_token of a fresh integration (SQLite read, 3 secrets opened)", 100 * scale, [&] {
      if (service.access_token(key).token != token) std::abort();
    }));
  }
  fs::remove_all(dir);

  std::printf("%-80s %10s %10s %10s\n", "operation", "n", "median us", "p90 us");
  for (const auto& f : figures)
    std::printf("%-80s %10zu %10.2f %10.2f\n", f.what.c_str(), f.iterations, f.median_us, f.p90_us);

  if (!write_to.empty()) {
    std::ofstream out(write_to);
    out << "# Performance\n\n"
        << "Figures written by `make bench` (`bench/tessera_bench.cpp`): each operation runs once to warm up,\n"
        << "then n times in each of 7 "
        << "rounds; the table gives the median and 90th percentile of the per-operation time over the rounds.\n"
        << "Plugins are opened with RTLD_NODELETE, so after the warm-up, loading measures the manifest\n"
        << "check, the entry point, provider construction and registration, not the dynamic linker's disk I/O.\n\n"
        << "Machine: " << machine() << ", build type " << TESSERA_BENCH_BUILD_TYPE << ".\n\n"
        << "| operation | n | median (µs) | p90 (µs) |\n| --- | ---: | ---: | ---: |\n";
    char line[512];
    for (const auto& f : figures) {
      std::snprintf(line, sizeof line, "| %s | %zu | %.2f | %.2f |\n", f.what.c_str(), f.iterations, f.median_us,
                    f.p90_us);
      out << line;
    }
  }
  return 0;
}
