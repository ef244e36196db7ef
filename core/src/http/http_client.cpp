#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "tessera/core/http.hpp"
#include "tessera/core/runtime.hpp"

namespace tessera::core {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool forbidden_v4(std::uint32_t a) {  // host byte order
  auto in = [&](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8) ||   // "this network"
         in(0x0A000000, 8) ||   // 10/8
         in(0x64400000, 10) ||  // 100.64/10 carrier-grade NAT
         in(0x7F000000, 8) ||   // loopback
         in(0xA9FE0000, 16) ||  // link-local, cloud metadata (169.254.169.254)
         in(0xAC100000, 12) ||  // 172.16/12
         in(0xC0000000, 24) ||  // 192.0.0/24 protocol assignments
         in(0xC0A80000, 16) ||  // 192.168/16
         in(0xC6120000, 15) ||  // 198.18/15 benchmarking
         in(0xE0000000, 4) ||   // multicast
         in(0xF0000000, 4);     // reserved, broadcast
}

bool forbidden_v6(const unsigned char* b) {
  static const unsigned char zero[16] = {};
  if (std::memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
  if ((b[0] & 0xfe) == 0xfc) return true;                                        // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;                        // fe80::/10 link-local
  if (b[0] == 0xff) return true;                                                 // multicast
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, mapped, 12) == 0 || std::memcmp(b, nat64, 12) == 0) {
    std::uint32_t v4 = (std::uint32_t(b[12]) << 24) | (b[13] << 16) | (b[14] << 8) | b[15];
    return forbidden_v4(v4);
  }
  return false;
}

bool forbidden_address(const sockaddr* addr) {
  if (addr->sa_family == AF_INET)
    return forbidden_v4(ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr));
  if (addr->sa_family == AF_INET6) return forbidden_v6(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr.s6_addr);
  return true;
}

std::string describe_address(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
  else if (addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text, sizeof text);
  return text;
}

std::string env_first(std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (const char* v = std::getenv(n); v && *v) return v;
  return {};
}

bool bypasses_proxy(const std::string& host, const std::string& no_proxy) {
  std::size_t start = 0;
  while (start <= no_proxy.size()) {
    std::size_t end = no_proxy.find(',', start);
    if (end == std::string::npos) end = no_proxy.size();
    std::string entry = lower(no_proxy.substr(start, end - start));
    entry.erase(0, entry.find_first_not_of(' '));
    if (auto last = entry.find_last_not_of(' '); last != std::string::npos) entry.erase(last + 1);
    if (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    if (entry == "*") return true;
    if (!entry.empty() && (host == entry || (host.size() > entry.size() && host.ends_with("." + entry)))) return true;
    start = end + 1;
  }
  return false;
}

struct ParsedUrl {
  std::string scheme, host;
};

ParsedUrl parse_endpoint(std::string_view url, bool insecure) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) throw Error(ErrorCode::blocked_endpoint, "'" + std::string(url) + "' is not an absolute URL");
  ParsedUrl out{lower(parsed->scheme()), lower(parsed->host_address())};
  if (out.scheme != "https" && !(insecure && out.scheme == "http"))
    throw Error(ErrorCode::blocked_endpoint, "'" + std::string(url) + "' must use https");
  if (parsed->has_userinfo())
    throw Error(ErrorCode::blocked_endpoint, "endpoint URLs must not carry user information (" + out.host + ")");
  if (out.host.empty()) throw Error(ErrorCode::blocked_endpoint, "'" + std::string(url) + "' has no host");
  if (insecure) return out;
  const auto kind = parsed->host_type();
  bool blocked = false;
  if (kind == boost::urls::host_type::ipv4) {
    auto b = parsed->host_ipv4_address().to_bytes();
    blocked = forbidden_v4((std::uint32_t(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3]);
  } else if (kind == boost::urls::host_type::ipv6) {
    blocked = forbidden_v6(parsed->host_ipv6_address().to_bytes().data());
  } else if (kind == boost::urls::host_type::ipvfuture) {
    blocked = true;
  } else {
    std::string h = out.host;
    if (!h.empty() && h.back() == '.') h.pop_back();
    blocked = h == "localhost" || h.ends_with(".localhost") || h == "metadata.google.internal" || h == "metadata" ||
              h.ends_with(".internal") || h.ends_with(".local");
  }
  if (blocked)
    throw Error(ErrorCode::blocked_endpoint, "'" + out.host +
                                                 "' is a loopback, private, link-local or metadata address; endpoints "
                                                 "must be public (the insecure development option allows this for "
                                                 "local testing)");
  return out;
}

// Per-request state handed to libcurl's callbacks.
struct Transfer {
  HttpResponse response;
  std::size_t limit = 0;
  bool too_large = false;
  bool check_addresses = true;
  std::string blocked_address;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t->response.body.size() + n > t->limit) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->response.body.append(data, n);
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response.headers.clear();  // a new response (after 100 Continue or a redirect)
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->response.headers.emplace_back(lower(line.substr(0, colon)), std::string(value));
  return n;
}

curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose == CURLSOCKTYPE_IPCXN && t->check_addresses && forbidden_address(&address->addr)) {
    t->blocked_address = describe_address(&address->addr);
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

struct SlistFree {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
struct EasyFree {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  const std::string key = lower(name);
  for (const auto& [k, v] : headers)
    if (k == key) return v;
  return std::nullopt;
}

void check_endpoint_url(std::string_view url, bool insecure_development) {
  parse_endpoint(url, insecure_development);
}

Runtime::Runtime() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    throw Error(ErrorCode::internal, "libcurl could not be initialised");
}
Runtime::~Runtime() {
  curl_global_cleanup();
}

struct HttpClient::Impl {
  HttpOptions options;
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->locks[data].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) { static_cast<Impl*>(user)->locks[data].unlock(); }
};

HttpClient::HttpClient(HttpOptions options) : impl_(std::make_unique<Impl>()) {
  if (!options.https_proxy) options.https_proxy = env_first({"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"});
  if (!options.http_proxy) options.http_proxy = env_first({"http_proxy", "all_proxy", "ALL_PROXY"});
  if (!options.no_proxy) options.no_proxy = env_first({"no_proxy", "NO_PROXY"});
  impl_->options = std::move(options);
  impl_->share = curl_share_init();
  if (!impl_->share) throw Error(ErrorCode::internal, "libcurl share handle unavailable");
  curl_share_setopt(impl_->share, CURLSHOPT_LOCKFUNC, &Impl::lock);
  curl_share_setopt(impl_->share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock);
  curl_share_setopt(impl_->share, CURLSHOPT_USERDATA, impl_.get());
  curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

HttpClient::~HttpClient() {
  if (impl_ && impl_->share) curl_share_cleanup(impl_->share);
}

const HttpOptions& HttpClient::options() const noexcept {
  return impl_->options;
}

HttpResponse HttpClient::send(const HttpRequest& request) const {
  const HttpOptions& o = impl_->options;
  const ParsedUrl url = parse_endpoint(request.url, o.insecure_development);

  std::unique_ptr<CURL, EasyFree> easy(curl_easy_init());
  if (!easy) throw Error(ErrorCode::internal, "libcurl easy handle unavailable");
  CURL* c = easy.get();
  Transfer transfer;
  transfer.limit = o.max_response_bytes;

  // A proxy is operator infrastructure on a private address more often than not: when one
  // carries the request, the target's own addresses are checked here instead.
  const std::string& proxy = url.scheme == "https" ? *o.https_proxy : *o.http_proxy;
  const bool proxied = !proxy.empty() && !bypasses_proxy(url.host, *o.no_proxy);
  transfer.check_addresses = !o.insecure_development && !proxied;
  if (proxied && !o.insecure_development) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(url.host.c_str(), nullptr, &hints, &found) != 0)
      throw Error(ErrorCode::network, "cannot resolve " + url.host);
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, freeaddrinfo);
    for (auto* a = found; a; a = a->ai_next)
      if (forbidden_address(a->ai_addr))
        throw Error(ErrorCode::blocked_endpoint,
                    url.host + " resolves to " + describe_address(a->ai_addr) + ", a non-public address");
  }

  const char* protocols = o.insecure_development ? "http,https" : "https";
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_SHARE, impl_->share);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "tessera/" TESSERA_VERSION);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!o.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_bundle.c_str());
  curl_easy_setopt(c, CURLOPT_PROXY, proxied ? proxy.c_str() : "");
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_response_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &on_open_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");

  std::unique_ptr<curl_slist, SlistFree> headers;
  for (const auto& [k, v] : request.headers) {
    std::string line = k + ": " + v;
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (!next) throw Error(ErrorCode::internal, "out of memory building request headers");
    (void)headers.release();
    headers.reset(next);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (request.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty()) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    }
  }

  const CURLcode rc = curl_easy_perform(c);
  if (!transfer.blocked_address.empty())
    throw Error(ErrorCode::blocked_endpoint, url.host + " resolved to " + transfer.blocked_address +
                                                 ", a loopback, private, link-local or metadata address; refused");
  if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED)
    throw Error(ErrorCode::response_too_large,
                "the response of " + url.host + " exceeded " + std::to_string(o.max_response_bytes) + " bytes");
  if (rc != CURLE_OK) {
    std::string what = curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT)
      what = "no complete answer within " + std::to_string(o.total_timeout.count()) + " ms";
    throw Error(ErrorCode::network, request.method + " " + url.scheme + "://" + url.host + " failed: " + what);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &transfer.response.status);
  char* effective = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
  transfer.response.url = effective ? effective : request.url;
  return std::move(transfer.response);
}

std::string form_escape(std::string_view text) {
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  return boost::urls::encode(text, boost::urls::unreserved_chars, opts);
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += form_escape(k);
    out += '=';
    out += form_escape(v);
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> form_decode(std::string_view text) {
  // Boost.URL 1.81's parse_query rebuilds its view from the pointer alone (strlen): given a
  // view into a longer buffer it reads, and parses, past the end. A terminated copy keeps it
  // within what we were given.
  const std::string terminated(text);
  auto parsed = boost::urls::parse_query(terminated);
  if (!parsed) return std::nullopt;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  std::vector<std::pair<std::string, std::string>> out;
  for (auto param : *parsed) {
    if (param.key.empty() && !param.has_value) continue;
    out.emplace_back(param.key.decode(opts), param.has_value ? param.value.decode(opts) : std::string());
  }
  return out;
}

}  // namespace tessera::core
