#include "support/oauth_server.hpp"

#include <boost/json.hpp>
#include <stdexcept>

namespace tessera::test {

OAuthServer::OAuthServer(const std::optional<TestCa>& ca) {
  std::vector<std::string> argv{TESSERA_TEST_OAUTH_SERVER};
  if (ca) {
    argv.insert(argv.end(), {"--tls-cert", ca->server_cert.string(), "--tls-key", ca->server_key.string()});
  }
  process_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::optional<std::string>>{}, false);
  auto line = process_->read_line(std::chrono::seconds(20));
  if (!line || line->rfind("listening ", 0) != 0)
    throw std::runtime_error("the test OAuth server did not start: " + line.value_or("(no output)"));
  url_ = line->substr(10);
  core::HttpOptions options;
  options.insecure_development = true;
  options.total_timeout = std::chrono::seconds(20);
  if (ca) options.ca_bundle = ca->ca_cert.string();
  options.https_proxy = options.http_proxy = options.no_proxy = "";
  http_ = std::make_unique<core::HttpClient>(options);
}

void OAuthServer::configure(const boost::json::object& settings) {
  auto r = http_->send(
      {"POST", url_ + "/_control", {{"Content-Type", "application/json"}}, boost::json::serialize(settings), false});
  if (r.status != 200) throw std::runtime_error("control request failed: " + r.body);
}

boost::json::object OAuthServer::state() {
  auto r = http_->send({"GET", url_ + "/_control", {}, "", false});
  return boost::json::parse(r.body).as_object();
}

int OAuthServer::count(const std::string& path) {
  auto s = state();
  const auto& counters = s.at("counters").as_object();
  auto it = counters.find(path);
  return it == counters.end() ? 0 : it->value().to_number<int>();
}

boost::json::object OAuthServer::last_params(const std::string& path) {
  auto s = state();
  return s.at("last").as_object().at(path).as_object().at("params").as_object();
}

boost::json::object OAuthServer::last_headers(const std::string& path) {
  auto s = state();
  return s.at("last").as_object().at(path).as_object().at("headers").as_object();
}

}  // namespace tessera::test
