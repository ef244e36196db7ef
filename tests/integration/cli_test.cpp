// The `tessera` binary as operators and scripts use it: output, JSON, exit codes.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/child_process.hpp"
#include "support/oauth_server.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "tessera/sdk/version.hpp"

using tessera::test::ProcessOptions;
using tessera::test::ProcessResult;
using tessera::test::run_process;

namespace {

ProcessResult tessera_cli(std::vector<std::string> args, ProcessOptions options = {}) {
  args.insert(args.begin(), TESSERA_TEST_CLI);
  options.env.emplace("TESSERA_PLUGIN_PATH", std::nullopt);
  return run_process(args, options);
}

// The authorization URL a `tessera authorize` or `integrations connect` prints on stderr.
std::string authorization_url_of(tessera::test::ChildProcess& cli) {
  while (auto line = cli.read_line(std::chrono::seconds(20), tessera::test::ChildProcess::Stream::err))
    if (line->rfind("http", 0) == 0) return *line;
  return {};
}

boost::json::value json_of(const ProcessResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return boost::json::parse(r.out);
}

}  // namespace

TEST_CASE("providers list shows the built-in catalogue") {
  auto r = tessera_cli({"providers", "list"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("github") && Catch::Contains("microsoft_teams") && Catch::Contains("25 providers"));
  CHECK(r.err.empty());

  auto json = json_of(tessera_cli({"providers", "list", "--json"})).as_array();
  CHECK(json.size() == 25);
  CHECK(json[0].at("id") == "azure_log_analytics");
  CHECK(json[0].at("grant_type") == "authorization_code");
  CHECK(json[0].at("plugin").at("name") == "microsoft");

  auto cc = json_of(tessera_cli({"providers", "list", "--grant-type", "client_credentials", "--json"})).as_array();
  CHECK(cc.size() == 13);
  for (const auto& p : cc) CHECK(p.at("grant_type") == "client_credentials");
}

TEST_CASE("providers show prints one provider, or both grant types of an id") {
  auto r = tessera_cli({"providers", "show", "slack"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("https://slack.com/oauth/v2/authorize") && Catch::Contains("search:read"));

  auto both = json_of(tessera_cli({"providers", "show", "microsoft_graph", "--json"})).as_array();
  CHECK(both.size() == 2);
  auto one =
      json_of(tessera_cli({"providers", "show", "microsoft_graph", "--grant-type", "client_credentials", "--json"}))
          .as_array();
  REQUIRE(one.size() == 1);
  CHECK(one[0].at("default_scopes").as_array()[0] == "https://graph.microsoft.com/.default");
  CHECK(one[0].at("config_fields").as_array()[0].at("name") == "tenant");

  auto missing = tessera_cli({"providers", "show", "nope"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Catch::Contains("no provider 'nope'") && Catch::Contains("providers list"));
  auto wrong_grant = tessera_cli({"providers", "show", "github", "--grant-type", "client_credentials"});
  CHECK(wrong_grant.exit_code == 1);
}

TEST_CASE("plugins list reports every file, rejected ones with their reason") {
  auto r = tessera_cli(
      {"--plugin-dir", TESSERA_TEST_PLUGIN_DIR, "--plugin-dir", TESSERA_TEST_FIXTURE_DIR, "plugins", "list", "--json"});
  auto report = json_of(r).as_object();
  CHECK(report.at("directories").as_array().size() == 2);
  std::map<std::string, std::string> status;
  for (const auto& p : report.at("plugins").as_array()) {
    std::string path(p.at("path").as_string());
    status[path.substr(path.rfind('/') + 1)] = std::string(p.at("status").as_string());
  }
  CHECK(status["tessera_provider_github.so"] == "loaded");
  CHECK(status["tessera_provider_fixture_sdk_major.so"] == "rejected");
  CHECK(status["tessera_provider_fixture_invalid_spec.so"] == "loaded_with_errors");
  CHECK(report.at("summary").at("loaded").to_number<int>() >= 6);

  auto text = tessera_cli({"plugins", "list", "--plugin-dir", TESSERA_TEST_FIXTURE_DIR});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("rejected  ") && Catch::Contains("incompatible_sdk: built against SDK") &&
                           Catch::Contains("missing_entry_point"));
}

TEST_CASE("rejected plugins are pointed out on stderr when listing providers") {
  auto r = tessera_cli({"providers", "list", "--plugin-dir", TESSERA_TEST_FIXTURE_DIR});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("tessera_provider_fixture_abi_tag.so rejected (abi_mismatch)"));
  CHECK_THAT(r.out, Catch::Contains("fixture_valid"));
}

TEST_CASE("TESSERA_PLUGIN_PATH chooses the plugin directories") {
  tessera::test::TempDir empty;
  ProcessOptions options;
  options.env["TESSERA_PLUGIN_PATH"] = empty.path().string();
  auto r = run_process({TESSERA_TEST_CLI, "providers", "list", "--json"}, options);
  REQUIRE(r.exit_code == 0);
  CHECK(boost::json::parse(r.out).as_array().empty());
  options.env["TESSERA_PLUGIN_PATH"] = std::string(TESSERA_TEST_FIXTURE_DIR) + ":" + TESSERA_TEST_PLUGIN_DIR;
  r = run_process({TESSERA_TEST_CLI, "providers", "list", "--json"}, options);
  CHECK(boost::json::parse(r.out).as_array().size() == 29);
}

TEST_CASE("usage errors exit 2, help exits 0") {
  CHECK(tessera_cli({}).exit_code == 2);
  CHECK(tessera_cli({"frobnicate"}).exit_code == 2);
  CHECK(tessera_cli({"providers"}).exit_code == 2);
  CHECK(tessera_cli({"providers", "show"}).exit_code == 2);
  CHECK(tessera_cli({"providers", "list", "--grant-type", "implicit"}).exit_code == 2);
  CHECK(tessera_cli({"providers", "list", "--bogus"}).exit_code == 2);
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"providers", "--help"},
                                        {"providers", "list", "--help"},
                                        {"plugins", "list", "--help"}}) {
    auto r = tessera_cli(args);
    CAPTURE(args);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("Usage"));
  }
  auto v = tessera_cli({"--version"});
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::Contains("provider SDK " TESSERA_SDK_VERSION_STRING));
}

TEST_CASE("tessera token fetches a client-credentials token, masked unless asked") {
  tessera::test::OAuthServer server;
  server.configure({{"clients", {{"c1", {{"secret", "s3cr3t"}}}}}});
  std::vector<std::string> args{"token",
                                "jamf",
                                "--client-id",
                                "c1",
                                "--config",
                                "instance=acme",
                                "--token-endpoint",
                                server.endpoint("/token"),
                                "--insecure-dev-endpoints",
                                "--json"};
  ProcessOptions with_secret;
  with_secret.stdin_data = "s3cr3t\n";
  auto r = tessera_cli(args, with_secret);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto json = boost::json::parse(r.out).as_object();
  CHECK(json.at("masked") == true);
  CHECK_THAT(std::string(json.at("access_token").as_string()), Catch::Contains("[masked"));
  CHECK_THAT(r.err, Catch::Contains("WARNING: --insecure-dev-endpoints"));
  CHECK_THAT(r.out + r.err, !Catch::Contains("s3cr3t"));
  CHECK(server.last_params("/token").at("client_secret") == "s3cr3t");

  args.push_back("--show-secrets");
  auto shown = tessera_cli(args, with_secret);
  REQUIRE(shown.exit_code == 0);
  CHECK_THAT(std::string(boost::json::parse(shown.out).at("access_token").as_string()), Catch::StartsWith("at-"));

  tessera::test::TempDir dir;
  tessera::test::write_file(dir / "secret", "wrong\n");
  auto bad =
      tessera_cli({"token", "jamf", "--client-id", "c1", "--client-secret-file", (dir / "secret").string(), "--config",
                   "instance=acme", "--token-endpoint", server.endpoint("/token"), "--insecure-dev-endpoints"});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("invalid_client"));

  auto no_dev = tessera_cli({"token", "jamf", "--client-id", "c1", "--config", "instance=acme", "--token-endpoint",
                             server.endpoint("/token")},
                            with_secret);
  CHECK(no_dev.exit_code == 1);
  CHECK_THAT(no_dev.err, Catch::Contains("must use https"));

  auto wrong_grant = tessera_cli({"token", "github", "--client-id", "c1"}, with_secret);
  CHECK(wrong_grant.exit_code == 1);
  CHECK_THAT(wrong_grant.err, Catch::Contains("no provider 'github' using the client_credentials grant"));
}

TEST_CASE("tessera authorize completes through a loopback redirect") {
  tessera::test::OAuthServer server;
  server.configure({{"clients", {{"c1", {{"secret", "s3cr3t"}}}}}});
  tessera::test::TempDir dir;
  tessera::test::write_file(dir / "secret", "s3cr3t");
  tessera::test::ChildProcess cli(
      {TESSERA_TEST_CLI, "authorize", "github", "--client-id", "c1", "--client-secret-file", (dir / "secret").string(),
       "--authorization-endpoint", server.endpoint("/authorize"), "--token-endpoint", server.endpoint("/token"),
       "--insecure-dev-endpoints", "--json", "--show-secrets", "--wait-seconds", "60"},
      {{"TESSERA_PLUGIN_PATH", std::nullopt}});
  const std::string url = authorization_url_of(cli);
  REQUIRE_THAT(url, Catch::StartsWith(server.endpoint("/authorize?")));

  // The browser: the authorization server redirects to the CLI's loopback listener.
  auto approve = server.http().send({"GET", url, {}, "", false});
  REQUIRE(approve.status == 302);
  std::string callback = approve.header("location").value();
  REQUIRE_THAT(callback, Catch::StartsWith("http://127.0.0.1:"));
  // A request with another state is turned away and the CLI keeps waiting.
  auto stray =
      server.http().send({"GET", callback.substr(0, callback.find('?')) + "?code=x&state=nope", {}, "", false});
  CHECK(stray.status == 400);
  auto landed = server.http().send({"GET", callback, {}, "", false});
  CHECK(landed.status == 200);
  CHECK_THAT(landed.body, Catch::Contains("close this window"));

  std::string out = cli.read_all(std::chrono::seconds(20));
  CHECK(cli.wait() == 0);
  auto json = boost::json::parse(out).as_object();
  CHECK_THAT(std::string(json.at("access_token").as_string()), Catch::StartsWith("at-"));
  CHECK_THAT(std::string(json.at("refresh_token").as_string()), Catch::StartsWith("rt-"));
  CHECK(server.count("/token") == 1);
}

TEST_CASE("the store commands: workspaces, integrations, token get, keys rotate, audit") {
  tessera::test::OAuthServer server;
  server.configure({{"clients", {{"c1", {{"secret", "store-s3cr3t"}}}}}});
  tessera::test::TempDir dir;
  const std::string db = (dir / "t.db").string();
  auto cli = [&](std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--db", db, "--insecure-dev-endpoints"});
    ProcessOptions o;
    o.stdin_data = input;
    o.env["TESSERA_ENCRYPTION_KEY"] = std::nullopt;
    return tessera_cli(args, o);
  };
  REQUIRE(cli({"workspaces", "create", "acme"}).exit_code == 0);
  CHECK(cli({"workspaces", "create", "acme"}).exit_code == 1);
  CHECK(cli({"workspaces", "list"}).out == "acme\n");

  auto configured = cli({"integrations", "configure", "acme", "jamf", "--client-id", "c1", "--client-secret-stdin",
                         "--config", "instance=acme", "--token-endpoint", server.endpoint("/token")},
                        "store-s3cr3t\n");
  INFO(configured.err);
  REQUIRE(configured.exit_code == 0);
  auto connected = cli({"integrations", "connect", "acme", "jamf"});
  INFO(connected.err);
  REQUIRE(connected.exit_code == 0);
  auto status = boost::json::parse(cli({"integrations", "status", "acme", "--json"}).out).as_array();
  REQUIRE(status.size() == 1);
  CHECK(status[0].at("status") == "connected");

  auto token = cli({"token", "get", "acme", "jamf", "--show-secrets"});
  REQUIRE(token.exit_code == 0);
  CHECK_THAT(token.out, Catch::StartsWith("at-"));
  CHECK_THAT(cli({"token", "get", "acme", "jamf"}).out, Catch::Contains("[masked"));

  auto rotated = cli({"keys", "rotate"});
  REQUIRE(rotated.exit_code == 0);
  CHECK_THAT(rotated.out, Catch::Contains("re-encrypted 2 values"));
  CHECK(cli({"token", "get", "acme", "jamf", "--show-secrets"}).out == token.out);

  // Both grant types exist for microsoft_graph: the CLI asks which.
  CHECK(cli({"integrations", "status", "acme", "microsoft_graph"}).exit_code == 2);
  CHECK(cli({"integrations", "status", "acme", "microsoft_graph", "--grant-type", "client_credentials"}).exit_code ==
        0);
  CHECK(cli({"token", "get", "nope", "jamf"}).exit_code == 1);

  auto audit = cli({"audit", "--workspace", "acme", "--json"});
  REQUIRE(audit.exit_code == 0);
  CHECK_THAT(audit.out, Catch::Contains("configuration_changed") && Catch::Contains("connected"));
  CHECK_THAT(audit.out, !Catch::Contains("store-s3cr3t") && !Catch::Contains(token.out.substr(0, 20)));

  auto created = cli({"custom-providers", "create", "acme", "--name", "My Provider", "--authorization-endpoint",
                      "https://as.example.com/authorize", "--token-endpoint", "https://as.example.com/token"});
  CHECK_THAT(created.out, Catch::Contains("custom_my_provider"));
  CHECK_THAT(cli({"custom-providers", "list", "acme"}).out, Catch::Contains("custom_my_provider"));
  CHECK(cli({"custom-providers", "delete", "acme", "custom_my_provider"}).exit_code == 0);
  CHECK(cli({"integrations", "disconnect", "acme", "jamf"}).exit_code == 0);
  CHECK(cli({"integrations", "delete", "acme", "jamf"}).exit_code == 0);
}

TEST_CASE("integrations connect completes the authorization code flow through a loopback redirect") {
  tessera::test::OAuthServer server;
  server.configure({{"clients", {{"c1", {{"secret", "s3cr3t"}}}}}});
  tessera::test::TempDir dir;
  tessera::test::write_file(dir / "secret", "s3cr3t");
  const std::string db = (dir / "t.db").string();
  auto base = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {TESSERA_TEST_CLI, "--db", db, "--insecure-dev-endpoints"});
    return args;
  };
  const std::map<std::string, std::optional<std::string>> env{{"TESSERA_PLUGIN_PATH", std::nullopt},
                                                              {"TESSERA_ENCRYPTION_KEY", std::nullopt}};
  REQUIRE(run_process(base({"workspaces", "create", "acme"})).exit_code == 0);
  REQUIRE(run_process(base({"integrations", "configure", "acme", "github", "--client-id", "c1", "--client-secret-file",
                            (dir / "secret").string(), "--authorization-endpoint", server.endpoint("/authorize"),
                            "--token-endpoint", server.endpoint("/token")}))
              .exit_code == 0);
  tessera::test::ChildProcess connect(base({"integrations", "connect", "acme", "github", "--wait-seconds", "60"}), env);
  const std::string url = authorization_url_of(connect);
  REQUIRE_THAT(url, Catch::StartsWith(server.endpoint("/authorize?")));
  auto approve = server.http().send({"GET", url, {}, "", false});
  REQUIRE(approve.status == 302);
  CHECK(server.http().send({"GET", approve.header("location").value(), {}, "", false}).status == 200);
  CHECK_THAT(connect.read_all(std::chrono::seconds(20)), Catch::Contains("connected github"));
  CHECK(connect.wait() == 0);
  auto status = run_process(base({"integrations", "status", "acme", "github", "--json"}));
  CHECK(boost::json::parse(status.out).as_array().at(0).at("status") == "connected");
}
