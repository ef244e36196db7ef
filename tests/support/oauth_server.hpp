// Starts tessera_test_oauth_server as a child process and talks to its control endpoint.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>

#include "support/child_process.hpp"
#include "support/test_ca.hpp"
#include "tessera/core/http.hpp"

namespace tessera::test {

class OAuthServer {
 public:
  // Plain HTTP, or HTTPS with a certificate signed by `ca`.
  explicit OAuthServer(const std::optional<TestCa>& ca = std::nullopt);

  const std::string& url() const noexcept { return url_; }  // e.g. http://127.0.0.1:40123
  std::string endpoint(const std::string& path) const { return url_ + path; }

  // POST /_control with these settings (see the server's main.cpp).
  void configure(const boost::json::object& settings);
  // GET /_control.
  boost::json::object state();
  int count(const std::string& path);
  // The parameters of the last request to `path` (form or query).
  boost::json::object last_params(const std::string& path);
  boost::json::object last_headers(const std::string& path);

  // A client for the tests: loopback allowed, the test CA trusted when there is one.
  const core::HttpClient& http() const { return *http_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
  std::unique_ptr<core::HttpClient> http_;
};

}  // namespace tessera::test
