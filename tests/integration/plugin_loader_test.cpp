// The loader against the real built plugins and the deliberately broken fixture plugins.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/temp_dir.hpp"
#include "tessera/core/describe.hpp"
#include "tessera/core/plugin_loader.hpp"
#include "tessera/sdk/version.hpp"

namespace fs = std::filesystem;
using namespace tessera;
using namespace tessera::core;
using tessera::test::TempDir;

namespace {

const fs::path kPlugins = TESSERA_TEST_PLUGIN_DIR;
const fs::path kFixtures = TESSERA_TEST_FIXTURE_DIR;

fs::path fixture(const std::string& name) {
  return kFixtures / ("tessera_provider_fixture_" + name + ".so");
}

const LoadProblem& only_problem(const PluginReport& r) {
  REQUIRE(r.problems.size() == 1);
  return r.problems.front();
}

PluginReport load_one(const fs::path& file) {
  ProviderRegistry registry;
  return load_plugin(file, registry);
}

}  // namespace

TEST_CASE("the built-in plugins load with all their providers") {
  ProviderRegistry registry;
  LoadReport report = load_plugins({kPlugins}, registry);
  CHECK(report.warnings.empty());
  REQUIRE(report.plugins.size() == 6);
  std::vector<std::string> names;
  for (const auto& p : report.plugins) {
    CAPTURE(p.path);
    CHECK(p.status == PluginStatus::loaded);
    CHECK(p.problems.empty());
    names.push_back(p.plugin_name);
  }
  // Visited in sorted file order.
  CHECK(names == std::vector<std::string>{"github", "google", "jamf", "microsoft", "servicenow", "slack"});
  CHECK(registry.size() == 25);
  CHECK(registry.list(sdk::GrantType::client_credentials).size() == 13);
  CHECK(registry.list(sdk::GrantType::authorization_code).size() == 12);
}

TEST_CASE("discovery considers tessera_provider_*.so files only, in sorted order, once each") {
  TempDir dir;
  for (const char* name : {"tessera_provider_b.so", "tessera_provider_a.so", "libtessera_provider_c.so",
                           "tessera_provider_.so", "tessera_provider_d.so.1", "notes.txt"})
    tessera::test::write_file(dir / name, "x");
  auto files = discover_plugins({dir.path(), dir.path()});
  REQUIRE(files.size() == 2);
  CHECK(files[0].filename() == "tessera_provider_a.so");
  CHECK(files[1].filename() == "tessera_provider_b.so");

  std::vector<std::string> warnings;
  discover_plugins({dir / "missing"}, &warnings);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("does not exist"));
}

TEST_CASE("the search path: explicit directories, then TESSERA_PLUGIN_PATH, then the default") {
  ::unsetenv("TESSERA_PLUGIN_PATH");
  CHECK(plugin_search_path({}) == std::vector<fs::path>{default_plugin_directory()});
  // The default is the build tree's provider directory, found beside libtessera_core.
  CHECK(fs::equivalent(default_plugin_directory(), kPlugins));
  ::setenv("TESSERA_PLUGIN_PATH", "/a::/b", 1);
  CHECK(plugin_search_path({}) == std::vector<fs::path>{"/a", "/b"});
  CHECK(plugin_search_path({"/c"}) == std::vector<fs::path>{"/c"});
  ::unsetenv("TESSERA_PLUGIN_PATH");
}

TEST_CASE("incompatible plugins are rejected from their manifest, without running their code") {
  // Each of these fixtures aborts in a static constructor: reaching the end of this test
  // proves none of them was loaded.
  SECTION("newer SDK major") {
    auto r = load_one(fixture("sdk_major"));
    CHECK(r.status == PluginStatus::rejected);
    CHECK(only_problem(r).reason == "incompatible_sdk");
    CHECK_THAT(only_problem(r).message,
               Catch::Contains("built against SDK " + std::to_string(TESSERA_SDK_VERSION_MAJOR + 1) +
                               ".0.0, this host provides SDK " TESSERA_SDK_VERSION_STRING));
  }
  SECTION("newer SDK minor") {
    auto r = load_one(fixture("sdk_minor"));
    CHECK(only_problem(r).reason == "incompatible_sdk");
    CHECK_THAT(only_problem(r).message, Catch::Contains("or upgrade Tessera"));
  }
  SECTION("ABI tag") {
    auto r = load_one(fixture("abi_tag"));
    CHECK(only_problem(r).reason == "abi_mismatch");
    CHECK_THAT(only_problem(r).message, Catch::Contains("gcc-3/cxx11abi-0/boost-1_30"));
  }
  SECTION("no manifest section") {
    auto r = load_one(fixture("no_manifest"));
    CHECK(only_problem(r).reason == "no_manifest");
    CHECK_THAT(only_problem(r).message, Catch::Contains("TESSERA_PLUGIN"));
  }
}

TEST_CASE("broken files named like plugins") {
  TempDir dir;
  SECTION("not ELF") {
    tessera::test::write_file(dir / "tessera_provider_text.so", "this is not a shared library\n");
    auto r = load_one(dir / "tessera_provider_text.so");
    CHECK(r.status == PluginStatus::rejected);
    CHECK(only_problem(r).reason == "not_elf");
  }
  SECTION("a truncated copy of a real plugin") {
    std::string bytes = tessera::test::read_file(kPlugins / "tessera_provider_github.so");
    tessera::test::write_file(dir / "tessera_provider_cut.so", bytes.substr(0, bytes.size() / 2));
    auto r = load_one(dir / "tessera_provider_cut.so");
    CHECK(r.status == PluginStatus::rejected);
    CHECK(only_problem(r).reason == "truncated");
  }
}

TEST_CASE("a plugin whose dependency is missing reports the dynamic loader's words") {
  auto r = load_one(fixture("missing_dep"));
  CHECK(r.status == PluginStatus::rejected);
  CHECK(only_problem(r).reason == "load_failed");
  CHECK_THAT(only_problem(r).message,
             Catch::Contains("libtessera_fixture_dep.so") && Catch::EndsWith("No such file or directory"));
}

TEST_CASE("a plugin without the entry point") {
  auto r = load_one(fixture("no_entry"));
  CHECK(r.status == PluginStatus::rejected);
  CHECK(r.plugin_name == "fixture_no_entry");
  CHECK(only_problem(r).reason == "missing_entry_point");
  CHECK_THAT(only_problem(r).message, Catch::Contains("tessera_plugin_v1"));
}

TEST_CASE("a descriptor that contradicts the manifest is not trusted") {
  ProviderRegistry registry;
  auto r = load_plugin(fixture("name_mismatch"), registry);
  CHECK(r.status == PluginStatus::rejected);
  CHECK(only_problem(r).reason == "bad_descriptor");
  CHECK_THAT(only_problem(r).message,
             Catch::Contains("fixture_other_name") && Catch::Contains("fixture_name_in_manifest"));
  CHECK(registry.size() == 0);
}

TEST_CASE("factories that throw are reported with their message") {
  auto r = load_one(fixture("factory_throws"));
  CHECK(r.status == PluginStatus::rejected);
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0].reason == "factory_failed");
  CHECK_THAT(r.problems[0].message, Catch::Contains("ThrowsStd") && Catch::Contains("vendor SDK not initialised"));
  CHECK(r.problems[1].reason == "factory_failed");
  CHECK_THAT(r.problems[1].message, Catch::Contains("ThrowsInt") && Catch::Contains("non-standard exception"));
}

TEST_CASE("an invalid spec is refused, naming the field, while the plugin's valid provider loads") {
  ProviderRegistry registry;
  auto r = load_plugin(fixture("invalid_spec"), registry);
  CHECK(r.status == PluginStatus::loaded_with_errors);
  CHECK(r.providers == std::vector<ProviderKey>{{"fixture_valid", sdk::GrantType::client_credentials}});
  CHECK(only_problem(r).reason == "invalid_spec");
  CHECK_THAT(only_problem(r).message,
             Catch::Contains("id 'Bad-Id' must match") && Catch::Contains("metadata.id 'bad_id' differs") &&
                 Catch::Contains("authorization_endpoint") && Catch::Contains("https") && Catch::Contains("{tenant}"));
  CHECK(registry.size() == 1);
}

TEST_CASE("a duplicate key names both files and keeps the first") {
  ProviderRegistry registry;
  auto a = load_plugin(fixture("dup_a"), registry);
  auto b = load_plugin(fixture("dup_b"), registry);
  CHECK(a.status == PluginStatus::loaded);
  CHECK(b.status == PluginStatus::loaded_with_errors);
  CHECK(only_problem(b).reason == "duplicate_provider");
  CHECK_THAT(only_problem(b).message,
             Catch::Contains(fixture("dup_a").string()) && Catch::Contains(fixture("dup_b").string()));
  CHECK(registry.find({"fixture_dup", sdk::GrantType::authorization_code})->origin().source ==
        fixture("dup_a").string());
  CHECK(registry.contains({"fixture_dup_b_only", sdk::GrantType::authorization_code}));
}

TEST_CASE("hooks that throw become errors, the host carries on") {
  ProviderRegistry registry;
  auto r = load_plugin(fixture("hook_throws"), registry);
  REQUIRE(r.status == PluginStatus::loaded);
  const auto* p = registry.find({"fixture_hook_throws", sdk::GrantType::authorization_code});
  REQUIRE(p);
  sdk::ProviderConfig config;
  CHECK_THROWS_WITH(p->validate_config(config), Catch::Contains("validate_config exploded"));
  sdk::AuthorizationContext actx{config, "https://h/cb", "s", {}, std::nullopt};
  CHECK_THROWS_WITH(p->authorization_params(actx),
                    Catch::Contains("authorization_params") && Catch::Contains("non-standard exception"));
  sdk::TokenRequestContext tctx{config, "client_credentials", "", "", "", "", "", {}};
  CHECK_THROWS_WITH(p->token_params(tctx), Catch::Contains("token_params exploded"));
  CHECK_THROWS_WITH(p->parse_token_response(boost::json::object{}), Catch::Contains("parse_token_response exploded"));
  // Still usable afterwards.
  CHECK_THROWS_AS(p->validate_config(config), Error);
}

TEST_CASE("a mixed directory: every bad file reported, every good provider registered") {
  TempDir dir;
  tessera::test::write_file(dir / "tessera_provider_zz_text.so", "not elf");
  ProviderRegistry registry;
  LoadReport report = load_plugins({kPlugins, kFixtures, dir.path()}, registry);

  std::map<std::string, std::string> reason_by_file;
  for (const auto& p : report.plugins)
    reason_by_file[p.path.filename().string()] = p.problems.empty() ? "ok" : p.problems.front().reason;
  CHECK(reason_by_file["tessera_provider_github.so"] == "ok");
  CHECK(reason_by_file["tessera_provider_fixture_sdk_major.so"] == "incompatible_sdk");
  CHECK(reason_by_file["tessera_provider_fixture_sdk_minor.so"] == "incompatible_sdk");
  CHECK(reason_by_file["tessera_provider_fixture_abi_tag.so"] == "abi_mismatch");
  CHECK(reason_by_file["tessera_provider_fixture_no_manifest.so"] == "no_manifest");
  CHECK(reason_by_file["tessera_provider_fixture_no_entry.so"] == "missing_entry_point");
  CHECK(reason_by_file["tessera_provider_fixture_name_mismatch.so"] == "bad_descriptor");
  CHECK(reason_by_file["tessera_provider_fixture_missing_dep.so"] == "load_failed");
  CHECK(reason_by_file["tessera_provider_fixture_factory_throws.so"] == "factory_failed");
  CHECK(reason_by_file["tessera_provider_fixture_invalid_spec.so"] == "invalid_spec");
  CHECK(reason_by_file["tessera_provider_fixture_dup_a.so"] == "ok");
  CHECK(reason_by_file["tessera_provider_fixture_dup_b.so"] == "duplicate_provider");
  CHECK(reason_by_file["tessera_provider_fixture_hook_throws.so"] == "ok");
  CHECK(reason_by_file["tessera_provider_zz_text.so"] == "not_elf");
  // 25 built-in + fixture_valid + fixture_dup + fixture_dup_b_only + fixture_hook_throws
  CHECK(registry.size() == 29);

  // The JSON report carries the same facts.
  auto json = describe(report);
  CHECK(json.at("summary").at("rejected").to_number<std::size_t>() == report.count(PluginStatus::rejected));
  CHECK(json.at("plugins").as_array().size() == report.plugins.size());
}

TEST_CASE("a provider stays usable after the registry that loaded it is gone") {
  std::optional<RegisteredProvider> kept;
  {
    ProviderRegistry registry;
    load_plugin(kPlugins / "tessera_provider_jamf.so", registry);
    const auto* p = registry.find({"jamf", sdk::GrantType::client_credentials});
    REQUIRE(p);
    kept = *p;
  }
  sdk::ProviderConfig config;
  config.client_id = "id";
  config.values["instance"] = "acme";
  CHECK(kept->validate_config(config).empty());
  CHECK(kept->spec().token_endpoint == "https://{instance}.jamfcloud.com/api/v1/oauth/token");
}
