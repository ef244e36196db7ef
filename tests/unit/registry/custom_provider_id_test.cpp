// The custom provider id rules, with the vectors users rely on.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "tessera/core/custom_provider_id.hpp"
#include "tessera/core/error.hpp"

using namespace tessera;
using namespace tessera::core;

namespace {
std::string derive(std::string_view name, std::set<std::string> taken = {},
                   std::optional<std::string> requested = std::nullopt) {
  return derive_custom_provider_id(requested, name, [&](const std::string& id) { return taken.count(id) > 0; });
}
}  // namespace

TEST_CASE("custom provider ids from names") {
  CHECK(derive("My Provider") == "custom_my_provider");
  CHECK(derive("Café Déjà") == "custom_cafe_deja");
  CHECK(derive("東京 API") == "custom_dong_jing_api");
  CHECK(derive("ß straße") == "custom_ss_strasse");
  CHECK(derive("Custom Foo") == "custom_foo");
  CHECK(derive("customer") == "custom_customer");
  CHECK(derive("1,000 users") == "custom_1000_users");
  CHECK(derive("  --Acme__Corp!!  ") == "custom_acme_corp");
  CHECK(derive("Ünïcödé & Co.") == "custom_unicode_co");
  CHECK(derive("a, b") == "custom_a_b");
  CHECK(derive("custom") == "custom_custom");
}

TEST_CASE("an empty slug becomes custom_ and 32 random hex digits") {
  const std::regex shape("custom_[0-9a-f]{32}");
  std::string a = derive("!!!"), b = derive("!!!"), c = derive("");
  CHECK(std::regex_match(a, shape));
  CHECK(std::regex_match(c, shape));
  CHECK(a != b);
  CHECK(derive_custom_provider_id(std::nullopt, "???", nullptr, [](std::size_t n) { return std::string(n, 'a'); }) ==
        "custom_" + std::string(32, 'a'));
}

TEST_CASE("custom_mcp_ is reserved") {
  CHECK(derive("MCP Foo") == "custom_oauth_mcp_foo");
  CHECK(derive("custom mcp foo") == "custom_oauth_mcp_foo");
  CHECK(derive("mcp") == "custom_mcp");
  try {
    derive("", {}, std::string("custom_mcp_tools"));
    FAIL("reserved id accepted");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::reserved_id);
    CHECK_THAT(e.what(), Catch::Contains("custom_mcp_"));
  }
  CHECK_THROWS_AS(derive("", {}, std::string("MCP Tools")), Error);
}

TEST_CASE("a requested id wins over the name and follows the same slug rules") {
  CHECK(derive("Something Else", {}, std::string("Acme Corp")) == "custom_acme_corp");
  CHECK(derive("Something Else", {}, std::string("custom_acme")) == "custom_acme");
  CHECK(derive("Name", {}, std::string("")) == "custom_name");
}

TEST_CASE("a taken id gets _1, _2, ... appended") {
  CHECK(derive("My Provider", {"custom_my_provider"}) == "custom_my_provider_1");
  CHECK(derive("My Provider", {"custom_my_provider", "custom_my_provider_1"}) == "custom_my_provider_2");
  CHECK(derive("My Provider", {"custom_my_provider_1"}) == "custom_my_provider");
  CHECK(derive("x", {}, std::string("acme")) == "custom_acme");
  CHECK(derive("x", {"custom_acme", "custom_acme_1", "custom_acme_2"}, std::string("acme")) == "custom_acme_3");
}

TEST_CASE("slugify alone") {
  CHECK(slugify("Hello, World") == "hello_world");
  CHECK(slugify("Ελληνικά") == "ellenika");
  CHECK(slugify("") == "");
  CHECK(slugify("___") == "");
  CHECK(slugify("12,345,678") == "12345678");
  CHECK(slugify(",1,") == "1");
}
