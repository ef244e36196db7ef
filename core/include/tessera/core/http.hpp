// The HTTP client every exchange with an authorization server goes through (libcurl).
// Connections, DNS answers and TLS sessions are shared between requests; TLS peers are
// always verified; responses are capped in size; redirects are followed only on request.
//
// Endpoint policy: https only, no user info in URLs, and no loopback, private, link-local,
// multicast or cloud metadata addresses, checked on the URL's literal host and again on
// every address a connection is actually opened to, so a name that resolves to an internal
// address (or is re-bound to one) is refused too. `insecure_development` lifts the policy
// (http and loopback allowed) for tests and local servers; TLS verification stays on.
//
// Call Runtime's constructor (runtime.hpp) once before the first request.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tessera/core/error.hpp"

namespace tessera::core {

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
  std::size_t max_response_bytes = 1u << 20;
  std::string ca_bundle;  // PEM file of trusted CAs; empty: the system's
  bool insecure_development = false;
  // Proxy for http and https URLs and the hosts that bypass it. nullopt: read from the
  // environment (https_proxy, HTTPS_PROXY, http_proxy, all_proxy, ALL_PROXY, no_proxy,
  // NO_PROXY) when the client is created.
  std::optional<std::string> https_proxy, http_proxy, no_proxy;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  bool follow_redirects = false;
};

struct HttpResponse {
  long status = 0;
  Headers headers;  // names in lower case
  std::string body;
  std::string url;  // the URL that answered (differs after redirects)

  // First header called `name` (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
};

// Throws Error(blocked_endpoint) saying why `url` may not be used as an endpoint.
void check_endpoint_url(std::string_view url, bool insecure_development);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const HttpOptions& options() const noexcept;

  // Sends one request. Throws Error with blocked_endpoint (policy), network (no answer,
  // TLS failure, timeout) or response_too_large. Any HTTP status is a response, not an
  // error. Safe to call from many threads.
  HttpResponse send(const HttpRequest& request) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "a=1&b=x%20y": application/x-www-form-urlencoded (RFC 6749 appendix B).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params);
// Parses a form body or query string; nullopt when it is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> form_decode(std::string_view text);
// Percent-encodes every octet outside the unreserved set, spaces as '+' (form encoding).
std::string form_escape(std::string_view text);

}  // namespace tessera::core
