// A real OAuth 2 authorization server for the tests, run as its own process on 127.0.0.1.
//
//   tessera_test_oauth_server [--tls-cert FILE --tls-key FILE]
//
// Prints "listening <base-url>" on stdout once it accepts connections, and exits when its
// standard input closes. Endpoints:
//   GET  /authorize                         approves at once: 302 to redirect_uri with code, state (and iss)
//   POST /token                             authorization_code (PKCE, redirect_uri checked), refresh_token
//                                           (optional rotation), client_credentials (basic, post,
//                                           private_key_jwt), urn:ietf:params:oauth:grant-type:jwt-bearer
//   POST /revoke                            RFC 7009
//   GET  /.well-known/oauth-authorization-server   RFC 8414 metadata
//   POST /_control                          JSON settings: clients, faults, rotation, ... (see apply_control)
//   GET  /_control                          JSON state: request counters, last requests, revoked tokens
// It also answers absolute-form requests, as a forward proxy for plain http would (counted
// as "proxied").
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tessera/core/crypto.hpp"
#include "tessera/core/http.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace tessera::core;

namespace {

using Form = std::vector<std::pair<std::string, std::string>>;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

std::string get(const Form& form, std::string_view key) {
  for (const auto& [k, v] : form)
    if (k == key) return v;
  return {};
}

bool has(const Form& form, std::string_view key) {
  for (const auto& [k, v] : form)
    if (k == key) return true;
  return false;
}

std::string hex_token(const char* prefix) {
  static const char* digits = "0123456789abcdef";
  std::string out = prefix;
  for (unsigned char b : crypto::random_bytes(12)) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

struct Client {
  std::string secret;      // empty: public client
  std::string public_key;  // PEM, for private_key_jwt and the jwt-bearer grant
};

struct Code {
  std::string client_id, redirect_uri, challenge, scope;
  bool used = false;
};

class Server {
 public:
  std::string base_url;

  Response handle(const Request& req) {
    std::string target(req.target());
    // Absolute-form ("GET http://host/path"): we are being used as a forward proxy for
    // plain http; serve the request ourselves and count it.
    const bool proxied = target.rfind("http://", 0) == 0;
    if (proxied) {
      auto slash = target.find('/', 7);
      target = slash == std::string::npos ? "/" : target.substr(slash);
    }
    std::string path = target.substr(0, target.find('?'));
    std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    std::unique_lock lock(mutex_);
    if (proxied) ++counters_["proxied"];
    if (path == "/_control") return control(req);
    ++counters_[path];
    record(path, req, query);
    std::string fault = take_fault(path);
    if (fault == "slow") {
      const int ms = slow_ms_;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      lock.lock();
      fault.clear();
    }
    if (!fault.empty())
      if (auto r = fault_response(fault, req)) return *r;
    if (path == "/authorize" && req.method() == http::verb::get) return authorize(query);
    if (path == "/token" && req.method() == http::verb::post) return token(req);
    if (path == "/revoke" && req.method() == http::verb::post) return revoke(req);
    if (path == "/.well-known/oauth-authorization-server") return metadata();
    return text(http::status::not_found, "no such endpoint");
  }

 private:
  std::mutex mutex_;
  std::map<std::string, Client> clients_;
  std::map<std::string, Code> codes_;
  std::map<std::string, std::string> refresh_tokens_;  // token -> client id
  std::vector<std::string> revoked_;
  std::map<std::string, int> counters_;
  json::object last_;
  std::string fault_, fault_endpoint_ = "/token";
  int fault_count_ = 0;  // how many more requests the fault applies to; -1 = all
  int slow_ms_ = 0;
  bool rotate_refresh_ = false, include_iss_ = false, slack_shape_ = false;
  std::string expires_in_mode_ = "number";  // number | string | missing | jwt
  int lifetime_ = 3600;
  std::string metadata_issuer_;  // overrides the issuer in the metadata document

  static Response text(http::status status, std::string body, std::string type = "text/plain") {
    Response r{status, 11};
    r.set(http::field::content_type, type);
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
  }
  static Response json_response(http::status status, const json::value& v) {
    Response r = text(status, json::serialize(v), "application/json");
    r.set(http::field::cache_control, "no-store");
    return r;
  }
  static Response oauth_error(http::status status, const std::string& error, const std::string& description = "") {
    json::object o{{"error", error}};
    if (!description.empty()) o["error_description"] = description;
    return json_response(status, o);
  }

  void record(const std::string& path, const Request& req, const std::string& query) {
    json::object headers;
    for (const auto& f : req) headers[std::string(f.name_string())] = std::string(f.value());
    json::object form;
    for (const auto& [k, v] :
         form_decode(req.method() == http::verb::post ? std::string(req.body()) : query).value_or(Form{}))
      form[k] = v;
    last_[path] = json::object{{"method", std::string(req.method_string())}, {"headers", headers}, {"params", form}};
  }

  std::string take_fault(const std::string& path) {
    if (fault_.empty() || path != fault_endpoint_ || fault_count_ == 0) return {};
    if (fault_count_ > 0) --fault_count_;
    return fault_;
  }

  std::optional<Response> fault_response(const std::string& fault, const Request& req) {
    if (fault == "invalid_grant")
      return oauth_error(http::status::bad_request, "invalid_grant", "The grant has expired");
    if (fault == "invalid_client") {
      Response r = oauth_error(http::status::unauthorized, "invalid_client", "Client authentication failed");
      r.set(http::field::www_authenticate, "Basic realm=\"test\"");
      return r;
    }
    if (fault == "invalid_scope") return oauth_error(http::status::bad_request, "invalid_scope", "Unknown scope x");
    if (fault == "server_error") return text(http::status::internal_server_error, "<html>oops</html>", "text/html");
    if (fault == "unavailable") return text(http::status::service_unavailable, "try later");
    if (fault == "rate_limited") {
      Response r = oauth_error(http::status::too_many_requests, "slow_down");
      r.set(http::field::retry_after, "1");
      return r;
    }
    if (fault == "huge_body") return text(http::status::ok, std::string(2u << 20, 'x'), "application/json");
    if (fault == "malformed_json") return text(http::status::ok, "{\"access_token\": \"at\", ", "application/json");
    if (fault == "not_a_token") return json_response(http::status::ok, json::object{{"token_type", "Bearer"}});
    if (fault == "empty_error_400") return text(http::status::bad_request, "");
    if (fault == "echo")  // a careless server that quotes the request back
      return oauth_error(http::status::bad_request, "invalid_request", "could not parse " + std::string(req.body()));
    if (fault == "redirect") {
      Response r = text(http::status::found, "");
      r.set(http::field::location, base_url + "/elsewhere?secret=shh");
      return r;
    }
    return std::nullopt;  // shapes of successful answers are handled where tokens are made
  }

  Response control(const Request& req) {
    if (req.method() == http::verb::get) {
      json::object counters;
      for (const auto& [k, v] : counters_) counters[k] = v;
      json::array revoked;
      for (const auto& t : revoked_) revoked.emplace_back(t);
      return json_response(http::status::ok,
                           json::object{{"counters", counters}, {"last", last_}, {"revoked", revoked}});
    }
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    if (ec || !v.is_object()) return text(http::status::bad_request, "control body must be a JSON object");
    const auto& o = v.get_object();
    if (auto it = o.find("clients"); it != o.end())
      for (const auto& [id, c] : it->value().get_object()) {
        const auto& co = c.get_object();
        Client client;
        if (auto s = co.find("secret"); s != co.end()) client.secret = std::string(s->value().get_string());
        if (auto k = co.find("public_key"); k != co.end()) client.public_key = std::string(k->value().get_string());
        clients_[std::string(id)] = client;
      }
    if (auto it = o.find("fault"); it != o.end()) fault_ = std::string(it->value().get_string());
    if (auto it = o.find("fault_endpoint"); it != o.end()) fault_endpoint_ = std::string(it->value().get_string());
    fault_count_ = -1;
    if (auto it = o.find("fault_count"); it != o.end()) fault_count_ = static_cast<int>(it->value().to_number<int>());
    if (auto it = o.find("slow_ms"); it != o.end()) slow_ms_ = it->value().to_number<int>();
    if (auto it = o.find("rotate_refresh"); it != o.end()) rotate_refresh_ = it->value().get_bool();
    if (auto it = o.find("include_iss"); it != o.end()) include_iss_ = it->value().get_bool();
    if (auto it = o.find("slack_shape"); it != o.end()) slack_shape_ = it->value().get_bool();
    if (auto it = o.find("expires_in"); it != o.end()) expires_in_mode_ = std::string(it->value().get_string());
    if (auto it = o.find("lifetime"); it != o.end()) lifetime_ = it->value().to_number<int>();
    if (auto it = o.find("metadata_issuer"); it != o.end()) metadata_issuer_ = std::string(it->value().get_string());
    if (auto it = o.find("reset_counters"); it != o.end() && it->value().get_bool()) {
      counters_.clear();
      last_.clear();
    }
    return json_response(http::status::ok, json::object{{"ok", true}});
  }

  Response metadata() {
    return json_response(
        http::status::ok,
        json::object{
            {"issuer", metadata_issuer_.empty() ? base_url : metadata_issuer_},
            {"authorization_endpoint", base_url + "/authorize"},
            {"token_endpoint", base_url + "/token"},
            {"revocation_endpoint", base_url + "/revoke"},
            {"response_types_supported", json::array{"code"}},
            {"grant_types_supported", json::array{"authorization_code", "refresh_token", "client_credentials"}},
            {"code_challenge_methods_supported", json::array{"S256"}},
            {"token_endpoint_auth_methods_supported", json::array{"client_secret_post", "private_key_jwt"}},
            {"authorization_response_iss_parameter_supported", include_iss_}});
  }

  Response authorize(const std::string& query) {
    Form q = form_decode(query).value_or(Form{});
    const std::string client_id = get(q, "client_id"), redirect = get(q, "redirect_uri");
    if (!clients_.count(client_id)) return text(http::status::bad_request, "unknown client_id");
    if (redirect.empty() || get(q, "response_type") != "code") return text(http::status::bad_request, "bad request");
    if (has(q, "code_challenge") && get(q, "code_challenge_method") != "S256")
      return text(http::status::bad_request, "only S256");
    std::string scope = has(q, "scope") ? get(q, "scope") : get(q, "user_scope");
    std::string code = hex_token("code-");
    codes_[code] = Code{client_id, redirect, get(q, "code_challenge"), scope, false};
    Form back{{"code", code}, {"state", get(q, "state")}};
    if (include_iss_) back.emplace_back("iss", base_url);
    Response r = text(http::status::found, "");
    r.set(http::field::location, redirect + (redirect.find('?') == std::string::npos ? "?" : "&") + form_encode(back));
    return r;
  }

  // Returns the authenticated client id, or an error response.
  std::variant<std::string, Response> authenticate(const Request& req, const Form& form) {
    int methods = 0;
    std::string id, secret;
    bool secret_given = false;
    if (auto auth = req.find(http::field::authorization); auth != req.end()) {
      std::string value(auth->value());
      if (value.rfind("Basic ", 0) != 0) return oauth_error(http::status::unauthorized, "invalid_client", "bad scheme");
      auto decoded = crypto::base64_decode(value.substr(6));
      if (!decoded || decoded->find(':') == std::string::npos)
        return oauth_error(http::status::unauthorized, "invalid_client", "bad basic credentials");
      // RFC 6749 §2.3.1: both parts are form-urlencoded inside the Basic credentials.
      auto parts =
          form_decode("i=" + decoded->substr(0, decoded->find(':')) + "&s=" + decoded->substr(decoded->find(':') + 1));
      if (!parts) return oauth_error(http::status::unauthorized, "invalid_client", "bad encoding");
      id = get(*parts, "i");
      secret = get(*parts, "s");
      secret_given = true;
      ++methods;
    }
    if (has(form, "client_secret")) {
      id = get(form, "client_id");
      secret = get(form, "client_secret");
      secret_given = true;
      ++methods;
    }
    if (has(form, "client_assertion")) {
      ++methods;
      id = get(form, "client_id");
      if (get(form, "client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        return oauth_error(http::status::unauthorized, "invalid_client", "bad assertion type");
      auto c = clients_.find(id);
      if (c == clients_.end() || c->second.public_key.empty())
        return oauth_error(http::status::unauthorized, "invalid_client", "no key for client");
      std::string problem = check_jwt(get(form, "client_assertion"), c->second.public_key, id);
      if (!problem.empty()) return oauth_error(http::status::unauthorized, "invalid_client", problem);
      return id;
    }
    if (methods > 1) return oauth_error(http::status::bad_request, "invalid_request", "more than one auth method");
    if (!secret_given) id = get(form, "client_id");
    auto c = clients_.find(id);
    if (c == clients_.end()) return oauth_error(http::status::unauthorized, "invalid_client", "unknown client");
    if (secret_given ? c->second.secret != secret : !c->second.secret.empty())
      return oauth_error(http::status::unauthorized, "invalid_client", "bad client secret");
    return id;
  }

  // Empty when the RS256 JWT is valid for this audience; else what is wrong with it.
  std::string check_jwt(const std::string& token, const std::string& public_key, const std::string& expected_iss,
                        json::object* claims_out = nullptr) {
    auto d1 = token.find('.'), d2 = token.rfind('.');
    if (d1 == std::string::npos || d1 == d2) return "not a JWT";
    auto header = crypto::base64url_decode(token.substr(0, d1));
    auto payload = crypto::base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
    auto signature = crypto::base64url_decode(token.substr(d2 + 1));
    if (!header || !payload || !signature) return "bad base64url";
    if (json::parse(*header).at("alg") != "RS256") return "alg must be RS256";
    if (!crypto::verify_rs256(public_key, token.substr(0, d2), *signature)) return "bad signature";
    auto claims = json::parse(*payload).as_object();
    if (claims.at("iss") != expected_iss.c_str()) return "wrong iss";
    if (claims.at("aud") != (base_url + "/token").c_str()) return "wrong aud";
    auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (claims.at("exp").to_number<long long>() <= now) return "expired";
    if (claims_out) *claims_out = claims;
    return {};
  }

  Response tokens(const std::string& client_id, const std::string& scope, bool with_refresh) {
    json::object o;
    std::string access = hex_token("at-");
    if (expires_in_mode_ == "jwt") {
      auto exp = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                     .count() +
                 lifetime_;
      access = crypto::base64url_encode("{\"alg\":\"none\"}") + "." +
               crypto::base64url_encode("{\"exp\":" + std::to_string(exp) + "}") + ".sig";
    }
    o["access_token"] = access;
    o["token_type"] = "Bearer";
    if (expires_in_mode_ == "number") o["expires_in"] = lifetime_;
    if (expires_in_mode_ == "string") o["expires_in"] = std::to_string(lifetime_);
    if (!scope.empty()) o["scope"] = scope;
    if (with_refresh) {
      std::string refresh = hex_token("rt-");
      refresh_tokens_[refresh] = client_id;
      o["refresh_token"] = refresh;
    }
    if (fault_ == "form_body" && fault_count_ != 0) {
      if (fault_count_ > 0) --fault_count_;
      Form f;
      for (const auto& [k, v] : o) f.emplace_back(k, v.is_string() ? std::string(v.get_string()) : json::serialize(v));
      return text(http::status::ok, form_encode(f), "application/x-www-form-urlencoded");
    }
    if (slack_shape_) {
      json::object user = o;
      user["id"] = "U123";
      if (user.contains("scope")) user["scope"] = "search:read,chat:write";
      json::object body{{"ok", true},
                        {"access_token", "xoxb-bot-token"},
                        {"token_type", "bot"},
                        {"scope", "commands"},
                        {"authed_user", user}};
      return json_response(http::status::ok, body);
    }
    return json_response(http::status::ok, o);
  }

  Response token(const Request& req) {
    auto form = form_decode(req.body());
    if (!form) return oauth_error(http::status::bad_request, "invalid_request", "malformed form");
    const std::string grant = get(*form, "grant_type");
    if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      const std::string assertion = get(*form, "assertion");
      auto d1 = assertion.find('.');
      auto payload = crypto::base64url_decode(assertion.substr(d1 + 1, assertion.rfind('.') - d1 - 1));
      if (d1 == std::string::npos || !payload)
        return oauth_error(http::status::bad_request, "invalid_grant", "bad assertion");
      std::string iss(json::parse(*payload).at("iss").as_string());
      auto c = clients_.find(iss);
      if (c == clients_.end())
        return oauth_error(http::status::bad_request, "invalid_grant", "unknown service account");
      json::object claims;
      std::string problem = check_jwt(assertion, c->second.public_key, iss, &claims);
      if (!problem.empty()) return oauth_error(http::status::bad_request, "invalid_grant", problem);
      last_["jwt_claims"] = claims;
      return tokens(iss, std::string(claims.at("scope").as_string()), false);
    }
    auto who = authenticate(req, *form);
    if (auto* r = std::get_if<Response>(&who)) return *r;
    const std::string client_id = std::get<std::string>(who);
    if (grant == "authorization_code") {
      auto it = codes_.find(get(*form, "code"));
      if (it == codes_.end() || it->second.used || it->second.client_id != client_id)
        return oauth_error(http::status::bad_request, "invalid_grant", "unknown or used code");
      it->second.used = true;
      if (it->second.redirect_uri != get(*form, "redirect_uri"))
        return oauth_error(http::status::bad_request, "invalid_grant", "redirect_uri mismatch");
      if (!it->second.challenge.empty() &&
          crypto::base64url_encode(crypto::sha256(get(*form, "code_verifier"))) != it->second.challenge)
        return oauth_error(http::status::bad_request, "invalid_grant", "PKCE verification failed");
      return tokens(client_id, it->second.scope, true);
    }
    if (grant == "refresh_token") {
      const std::string rt = get(*form, "refresh_token");
      auto it = refresh_tokens_.find(rt);
      if (it == refresh_tokens_.end() || it->second != client_id)
        return oauth_error(http::status::bad_request, "invalid_grant", "unknown refresh token");
      if (rotate_refresh_) {
        refresh_tokens_.erase(it);
        return tokens(client_id, "", true);
      }
      return tokens(client_id, "", false);
    }
    if (grant == "client_credentials") return tokens(client_id, get(*form, "scope"), false);
    return oauth_error(http::status::bad_request, "unsupported_grant_type", grant);
  }

  Response revoke(const Request& req) {
    auto form = form_decode(req.body());
    if (!form) return oauth_error(http::status::bad_request, "invalid_request");
    auto who = authenticate(req, *form);
    if (auto* r = std::get_if<Response>(&who)) return *r;
    revoked_.push_back(get(*form, "token"));
    refresh_tokens_.erase(get(*form, "token"));
    return text(http::status::ok, "");
  }
};

template <class Stream>
void serve(Server& server, Stream& stream) {
  beast::flat_buffer buffer;
  for (;;) {
    Request req;
    http::request_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) return;
    req = parser.release();
    Response res = server.handle(req);
    res.keep_alive(req.keep_alive());
    http::write(stream, res, ec);
    if (ec || !res.keep_alive()) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string cert, key;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--tls-cert")
      cert = argv[i + 1];
    else if (a == "--tls-key")
      key = argv[i + 1];
  }
  const bool tls = !cert.empty();
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  asio::ssl::context ssl(asio::ssl::context::tls_server);
  if (tls) {
    ssl.use_certificate_chain_file(cert);
    ssl.use_private_key_file(key, asio::ssl::context::pem);
  }
  Server server;
  server.base_url =
      std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  std::cout << "listening " << server.base_url << std::endl;

  // The test that started us closes our stdin when it is done (or dies).
  std::thread([] {
    char c;
    while (std::fread(&c, 1, 1, stdin) == 1) {
    }
    std::_Exit(0);
  }).detach();

  for (;;) {
    tcp::socket socket(io);
    acceptor.accept(socket);
    std::thread([&server, &ssl, tls, s = std::move(socket)]() mutable {
      try {
        if (tls) {
          beast::ssl_stream<tcp::socket> stream(std::move(s), ssl);
          beast::error_code ec;
          stream.handshake(asio::ssl::stream_base::server, ec);
          if (!ec) serve(server, stream);
        } else {
          serve(server, s);
        }
      } catch (const std::exception& e) {
        std::cerr << "connection failed: " << e.what() << std::endl;
      }
    }).detach();
  }
}
