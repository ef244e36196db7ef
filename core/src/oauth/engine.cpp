#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <charconv>
#include <ctime>
#include <random>
#include <set>
#include <thread>

#include "oauth/jwt.hpp"
#include "tessera/core/crypto.hpp"
#include "tessera/core/oauth.hpp"

namespace tessera::core {
namespace {

using Clock = std::chrono::system_clock;
constexpr const char* kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr const char* kJwtAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

std::string provider_name(const RegisteredProvider& p) {
  return "provider " + p.spec().id;
}

// Drops the query and fragment: endpoints should carry none, and if they did they stay out of messages.
std::string endpoint_for_messages(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "(invalid URL)";
  boost::urls::url u(*parsed);
  u.remove_query();
  u.remove_fragment();
  u.remove_userinfo();
  return std::string(u.buffer());
}

// {field} -> value; only host_label and dns_name fields may be substituted (the registry
// checked that), and their values are checked again here, so no value can move the URL.
std::string substitute(const sdk::ProviderSpec& spec, const sdk::ProviderConfig& config, const std::string& templ,
                       std::string_view what) {
  std::string out;
  for (std::size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '{') {
      out += templ[i];
      continue;
    }
    std::size_t close = templ.find('}', i);
    if (close == std::string::npos) throw Error(ErrorCode::configuration, std::string(what) + " has an unmatched '{'");
    const std::string name = templ.substr(i + 1, close - i - 1);
    const sdk::ConfigField* field = nullptr;
    for (const auto& f : spec.config_fields)
      if (f.name == name) field = &f;
    if (!field || (field->kind != sdk::FieldKind::host_label && field->kind != sdk::FieldKind::dns_name))
      throw Error(ErrorCode::configuration,
                  std::string(what) + " of provider " + spec.id + " uses {" + name + "}, which cannot be substituted");
    std::string value;
    if (auto it = config.values.find(name); it != config.values.end() && !it->second.empty())
      value = it->second;
    else if (field->default_value)
      value = *field->default_value;
    else
      throw Error(ErrorCode::configuration, "provider " + spec.id + " needs the setting '" + name + "' (" +
                                                field->label + ") to build its " + std::string(what));
    if (auto problem = sdk::check_field_value(*field, value))
      throw Error(ErrorCode::configuration, "provider " + spec.id + ": " + *problem);
    out += value;
    i = close;
  }
  return out;
}

std::optional<std::chrono::seconds> parse_retry_after(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  long long seconds = 0;
  auto [p, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (ec == std::errc() && p == value->data() + value->size() && seconds >= 0)
    return std::chrono::seconds(std::min<long long>(seconds, 86400));
  std::tm tm{};
  if (strptime(value->c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
    auto when = Clock::from_time_t(timegm(&tm));
    auto delta = std::chrono::duration_cast<std::chrono::seconds>(when - Clock::now());
    return std::clamp(delta, std::chrono::seconds(0), std::chrono::seconds(86400));
  }
  return std::nullopt;
}

std::optional<std::string> string_member(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().get_string());
}

// Parses a body as JSON, or as a form when the server sent one; nullopt when neither.
std::optional<boost::json::object> parse_body(const HttpResponse& response) {
  const std::string type = response.header("content-type").value_or("");
  const bool form = type.find("application/x-www-form-urlencoded") != std::string::npos ||
                    (type.find("json") == std::string::npos && response.body.find('{') == std::string::npos &&
                     response.body.find('=') != std::string::npos);
  if (form) {
    auto params = form_decode(response.body);
    if (!params) return std::nullopt;
    boost::json::object o;
    for (auto& [k, v] : *params) o[k] = v;
    return o;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(response.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

ErrorCode classify_oauth_error(std::string_view error) {
  if (error == "invalid_grant") return ErrorCode::reconnect_needed;
  if (error == "invalid_client" || error == "unauthorized_client") return ErrorCode::configuration;
  if (error == "temporarily_unavailable" || error == "server_error" || error == "slow_down")
    return ErrorCode::transient;
  return ErrorCode::oauth_rejected;
}

std::string advice_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::reconnect_needed: return "the grant is no longer valid: connect the integration again";
    case ErrorCode::configuration: return "check the client id, client secret and authentication method";
    case ErrorCode::transient: return "the server is unavailable or rate limiting: try again later";
    default: return "";
  }
}

struct Sleeper {
  std::mt19937_64 rng{std::random_device{}()};
  void wait(const RetryPolicy& policy, int attempt, std::optional<std::chrono::seconds> retry_after) {
    auto base = policy.base_delay * (1 << std::min(attempt, 16));
    auto delay = std::min<std::chrono::milliseconds>(base, policy.max_delay);
    // Full jitter between half and all of the delay spreads out clients that failed together.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    auto wait = std::chrono::milliseconds(static_cast<long long>(static_cast<double>(delay.count()) * jitter(rng)));
    if (retry_after) wait = std::max<std::chrono::milliseconds>(wait, *retry_after);
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(wait, policy.max_delay));
  }
};

// A service-account key (the client secret of jwt_bearer providers).
struct ServiceAccountKey {
  std::string client_email, private_key, private_key_id, token_uri;
};

ServiceAccountKey read_service_account_key(const RegisteredProvider& provider, const sdk::ProviderConfig& config) {
  auto fail = [&](const std::string& why) {
    return Error(ErrorCode::configuration, provider_name(provider) + ": " + why);
  };
  if (!config.client_secret) throw fail("the client secret must be the service account's JSON key");
  boost::system::error_code ec;
  auto v = boost::json::parse(*config.client_secret, ec);
  if (ec || !v.is_object()) throw fail("the client secret is not a JSON service-account key");
  const auto& o = v.get_object();
  ServiceAccountKey key{string_member(o, "client_email").value_or(""), string_member(o, "private_key").value_or(""),
                        string_member(o, "private_key_id").value_or(""), string_member(o, "token_uri").value_or("")};
  if (key.client_email.empty() || key.private_key.empty())
    throw fail("the service-account key lacks client_email or private_key");
  return key;
}

}  // namespace

AuthorizationResponse AuthorizationResponse::from_query(std::string_view query) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  AuthorizationResponse r;
  auto params = form_decode(query);
  if (!params) {
    r.error = "invalid_request";
    r.error_description = "the redirect's query string is malformed";
    return r;
  }
  for (auto& [k, v] : *params) {
    if (k == "code")
      r.code = v;
    else if (k == "state")
      r.state = v;
    else if (k == "iss")
      r.iss = v;
    else if (k == "error")
      r.error = v;
    else if (k == "error_description")
      r.error_description = v;
  }
  return r;
}

bool ServerMetadata::supports_pkce_s256() const {
  return std::find(code_challenge_methods_supported.begin(), code_challenge_methods_supported.end(), "S256") !=
         code_challenge_methods_supported.end();
}

sdk::ClientAuth ServerMetadata::preferred_client_auth() const {
  const auto& m = token_endpoint_auth_methods_supported;
  auto has = [&](const char* name) { return std::find(m.begin(), m.end(), name) != m.end(); };
  if (m.empty() || has("client_secret_basic")) return sdk::ClientAuth::client_secret_basic;
  if (has("client_secret_post")) return sdk::ClientAuth::client_secret_post;
  if (has("private_key_jwt")) return sdk::ClientAuth::private_key_jwt;
  if (has("none")) return sdk::ClientAuth::none;
  return sdk::ClientAuth::client_secret_basic;
}

std::string make_state() {
  return crypto::base64url_encode(crypto::random_bytes(32));
}
std::string make_code_verifier() {
  return crypto::base64url_encode(crypto::random_bytes(32));
}
std::string code_challenge_s256(std::string_view verifier) {
  return crypto::base64url_encode(crypto::sha256(verifier));
}

Endpoints resolve_endpoints(const sdk::ProviderSpec& spec, const sdk::ProviderConfig& config, bool insecure) {
  Endpoints e;
  auto resolve = [&](const std::optional<std::string>& override_url, const std::string& templ, std::string_view what) {
    std::string url = override_url && !override_url->empty() ? *override_url : substitute(spec, config, templ, what);
    if (!url.empty()) {
      try {
        check_endpoint_url(url, insecure);
      } catch (const Error& err) {
        throw Error(err.code(), "provider " + spec.id + ", " + std::string(what) + ": " + err.what());
      }
    }
    return url;
  };
  e.authorization = resolve(config.authorization_endpoint, spec.authorization_endpoint, "authorization endpoint");
  e.token = resolve(config.token_endpoint, spec.token_endpoint, "token endpoint");
  e.revocation = resolve(config.revocation_endpoint, spec.revocation_endpoint, "revocation endpoint");
  e.issuer = spec.issuer.empty() ? std::string() : substitute(spec, config, spec.issuer, "issuer");
  return e;
}

OAuthEngine::OAuthEngine(const HttpClient& http, RetryPolicy retry) : http_(http), retry_(retry) {}

namespace {

class Exchange {
 public:
  Exchange(const HttpClient& http, const RegisteredProvider& provider, const sdk::ProviderConfig& config)
      : http_(http), provider_(provider), config_(config) {
    if (auto problems = provider.validate_config(config); !problems.empty())
      throw problems_error(ErrorCode::configuration, provider_name(provider) + " is not configured correctly",
                           problems);
    endpoints_ = resolve_endpoints(provider.spec(), config, http.options().insecure_development);
  }

  const Endpoints& endpoints() const { return endpoints_; }

  // Adds client authentication to a token or revocation request.
  void authenticate(const std::string& endpoint, sdk::Params& form, Headers& headers) const {
    const std::string secret = config_.client_secret.value_or("");
    switch (provider_.spec().client_auth) {
      case sdk::ClientAuth::client_secret_basic:
        // RFC 6749 §2.3.1: form-encode id and secret before base64.
        headers.emplace_back("Authorization", "Basic " + crypto::base64_encode(form_escape(config_.client_id) + ":" +
                                                                               form_escape(secret)));
        break;
      case sdk::ClientAuth::client_secret_post:
        form.emplace_back("client_id", config_.client_id);
        form.emplace_back("client_secret", secret);
        break;
      case sdk::ClientAuth::none: form.emplace_back("client_id", config_.client_id); break;
      case sdk::ClientAuth::private_key_jwt: {
        const auto now = Clock::to_time_t(Clock::now());
        boost::json::object claims{{"iss", config_.client_id}, {"sub", config_.client_id},
                                   {"aud", endpoint},          {"iat", now},
                                   {"exp", now + 300},         {"jti", make_state()}};
        std::string assertion;
        try {
          assertion = jwt::sign_rs256(claims, secret);
        } catch (const Error& e) {
          throw Error(ErrorCode::configuration, provider_name(provider_) +
                                                    ": private_key_jwt needs the client "
                                                    "secret to be a PEM RSA private key (" +
                                                    e.what() + ")");
        }
        form.emplace_back("client_id", config_.client_id);
        form.emplace_back("client_assertion_type", kJwtAssertionType);
        form.emplace_back("client_assertion", assertion);
        break;
      }
      case sdk::ClientAuth::jwt_bearer: break;  // the assertion is the grant itself
    }
  }

  // POSTs a token request and reads the answer through the provider's hook.
  TokenResult token_request(const std::string& endpoint, sdk::TokenRequestContext context) const {
    sdk::Params form = provider_.token_params(context);
    Headers headers{{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    authenticate(endpoint, form, headers);
    HttpResponse response = post(endpoint, form, headers);
    return read_token_response(endpoint, response, context.scopes);
  }

  HttpResponse post(const std::string& endpoint, const sdk::Params& form, const Headers& headers) const {
    remember_secrets(form);
    HttpRequest request{"POST", endpoint, headers, form_encode(form), false};
    try {
      return http_.send(request);
    } catch (const Error& e) {
      throw OAuthError(e.code(), provider_name(provider_) + ": " + endpoint_for_messages(endpoint) + ": " + e.what());
    }
  }

  [[noreturn]] void fail(const std::string& endpoint, ErrorCode code, const std::string& what, std::string error = {},
                         std::string description = {}, long status = 0,
                         std::optional<std::chrono::seconds> retry_after = std::nullopt) const {
    std::string message = provider_name(provider_) + ": " + endpoint_for_messages(endpoint) + " " + redact(what);
    if (auto advice = advice_for(code); !advice.empty()) message += " (" + advice + ")";
    throw OAuthError(code, message, redact(std::move(error)), redact(std::move(description)), status, retry_after);
  }

  // A server may echo what it was sent (a careless error_description); none of the secrets
  // of this exchange may reach a message, raw or form-encoded.
  void remember_secrets(const sdk::Params& form) const {
    static const std::set<std::string_view> kSecretFields{
        "client_secret", "code", "code_verifier", "refresh_token", "assertion", "client_assertion", "token"};
    auto remember = [&](const std::string& value) {
      if (value.size() < 4) return;
      secrets_.push_back(value);
      secrets_.push_back(form_escape(value));
    };
    for (const auto& [k, v] : form)
      if (kSecretFields.count(k)) remember(v);
    if (config_.client_secret) remember(*config_.client_secret);
  }

  std::string redact(std::string text) const {
    for (const auto& secret : secrets_)
      for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
        text.replace(at, secret.size(), "[redacted]");
    return text;
  }

  // Classifies a non-2xx answer; never returns.
  [[noreturn]] void fail_status(const std::string& endpoint, const HttpResponse& response) const {
    const long status = response.status;
    if (status >= 300 && status < 400)
      fail(endpoint, ErrorCode::protocol,
           "answered HTTP " + std::to_string(status) + " redirecting to " +
               endpoint_for_messages(response.header("location").value_or("?")) +
               "; redirects are not followed on token requests: configure the final endpoint",
           "", "", status);
    auto body = parse_body(response);
    std::optional<std::string> error = body ? string_member(*body, "error") : std::nullopt;
    std::string description = body ? string_member(*body, "error_description").value_or("") : "";
    if (status == 429 || status >= 500) {
      auto retry_after = parse_retry_after(response.header("retry-after"));
      std::string what = "answered HTTP " + std::to_string(status);
      if (retry_after) what += ", Retry-After " + std::to_string(retry_after->count()) + " s";
      fail(endpoint, ErrorCode::transient, what, error.value_or(""), description, status, retry_after);
    }
    if (error) {
      std::string what = "answered " + *error;
      if (!description.empty()) what += ": " + description;
      fail(endpoint, classify_oauth_error(*error), what, *error, description, status);
    }
    if (status == 401)
      fail(endpoint, ErrorCode::configuration, "answered HTTP 401 without an OAuth error", "", "", status);
    fail(endpoint, ErrorCode::protocol, "answered HTTP " + std::to_string(status) + " without an OAuth error body", "",
         "", status);
  }

  TokenResult read_token_response(const std::string& endpoint, const HttpResponse& response,
                                  const std::vector<std::string>& requested) const {
    if (response.status < 200 || response.status >= 300) fail_status(endpoint, response);
    auto body = parse_body(response);
    if (!body)
      fail(endpoint, ErrorCode::protocol, "answered a body that is neither a JSON object nor a form", "", "",
           response.status);
    TokenResult result;
    try {
      result.tokens = provider_.parse_token_response(*body);
    } catch (const sdk::TokenResponseError& e) {
      if (e.error().empty())
        fail(endpoint, ErrorCode::protocol, "answered a malformed token response: " + e.description());
      std::string what = "answered " + e.error();
      if (!e.description().empty()) what += ": " + e.description();
      fail(endpoint, classify_oauth_error(e.error()), what, e.error(), e.description(), response.status);
    }
    if (result.tokens.expires_in) {
      result.expires_at = Clock::now() + std::chrono::seconds(*result.tokens.expires_in);
    } else if (auto claims = jwt::unverified_claims(result.tokens.access_token)) {
      if (auto exp = claims->find("exp"); exp != claims->end() && exp->value().is_number()) {
        boost::system::error_code ec;
        auto seconds = exp->value().to_number<std::int64_t>(ec);
        if (!ec) result.expires_at = Clock::time_point(std::chrono::seconds(seconds));
      }
    }
    result.granted_scopes = result.tokens.scope ? *result.tokens.scope : requested;
    return result;
  }

  const HttpClient& http_;
  const RegisteredProvider& provider_;
  const sdk::ProviderConfig& config_;
  Endpoints endpoints_;
  mutable std::vector<std::string> secrets_;
};

// Runs `attempt` until it succeeds, fails for good, or the policy's attempts are used up.
template <class F>
auto with_retries(const RetryPolicy& policy, F&& attempt) -> decltype(attempt()) {
  Sleeper sleeper;
  for (int i = 0;; ++i) {
    try {
      return attempt();
    } catch (const OAuthError& e) {
      if (!is_transient(e.code()) || i + 1 >= policy.attempts) throw;
      sleeper.wait(policy, i, e.retry_after());
    }
  }
}

}  // namespace

AuthorizationRequest OAuthEngine::begin_authorization(const RegisteredProvider& provider,
                                                      const sdk::ProviderConfig& config,
                                                      const std::string& redirect_uri) const {
  if (provider.spec().grant_type != sdk::GrantType::authorization_code)
    throw Error(ErrorCode::invalid_argument, provider_name(provider) + " does not use the authorization code grant");
  Exchange exchange(http_, provider, config);
  AuthorizationRequest request;
  request.state = make_state();
  request.redirect_uri = redirect_uri;
  request.scopes = sdk::effective_scopes(provider.spec(), config);
  std::optional<std::string> challenge;
  if (provider.spec().pkce) {
    request.code_verifier = make_code_verifier();
    challenge = code_challenge_s256(request.code_verifier);
  }
  sdk::AuthorizationContext context{config, redirect_uri, request.state, request.scopes, challenge};
  sdk::Params params = provider.authorization_params(context);
  auto parsed = boost::urls::parse_uri(exchange.endpoints().authorization);
  boost::urls::url url(*parsed);
  for (const auto& [k, v] : params) url.params().append({k, v});
  request.url = std::string(url.buffer());
  return request;
}

void OAuthEngine::check_authorization_response(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                                               const AuthorizationResponse& response,
                                               std::string_view expected_state) const {
  if (response.state.empty() || response.state != expected_state)
    throw OAuthError(ErrorCode::protocol, provider_name(provider) +
                                              ": the authorization response's state does not match this request "
                                              "(a stale, replayed or forged redirect); start the connection again");
  const Endpoints endpoints = resolve_endpoints(provider.spec(), config, http_.options().insecure_development);
  if (response.iss && !endpoints.issuer.empty() && *response.iss != endpoints.issuer)
    throw OAuthError(ErrorCode::protocol, provider_name(provider) + ": the authorization response comes from issuer '" +
                                              *response.iss + "', expected '" + endpoints.issuer +
                                              "' (RFC 9207 mix-up protection); start the connection again");
  if (response.error) {
    std::string message = provider_name(provider) + ": the authorization server answered " + *response.error;
    if (!response.error_description.empty()) message += ": " + response.error_description;
    throw OAuthError(
        *response.error == "access_denied" ? ErrorCode::oauth_rejected : classify_oauth_error(*response.error), message,
        *response.error, response.error_description);
  }
  if (response.code.empty())
    throw OAuthError(ErrorCode::protocol, provider_name(provider) + ": the authorization response has no code");
}

TokenResult OAuthEngine::exchange_code(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                                       const std::string& code, const std::string& redirect_uri,
                                       const std::string& code_verifier) const {
  Exchange exchange(http_, provider, config);
  sdk::TokenRequestContext context{config,
                                   "authorization_code",
                                   code,
                                   redirect_uri,
                                   code_verifier,
                                   "",
                                   "",
                                   sdk::effective_scopes(provider.spec(), config)};
  return exchange.token_request(exchange.endpoints().token, context);
}

TokenResult OAuthEngine::complete_authorization(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                                                const AuthorizationRequest& request,
                                                const AuthorizationResponse& response) const {
  check_authorization_response(provider, config, response, request.state);
  return exchange_code(provider, config, response.code, request.redirect_uri, request.code_verifier);
}

TokenResult OAuthEngine::client_credentials(const RegisteredProvider& provider,
                                            const sdk::ProviderConfig& config) const {
  if (provider.spec().grant_type != sdk::GrantType::client_credentials)
    throw Error(ErrorCode::invalid_argument, provider_name(provider) + " does not use the client credentials grant");
  Exchange exchange(http_, provider, config);
  const auto scopes = sdk::effective_scopes(provider.spec(), config);
  if (provider.spec().client_auth != sdk::ClientAuth::jwt_bearer) {
    sdk::TokenRequestContext context{config, "client_credentials", "", "", "", "", "", scopes};
    return with_retries(retry_, [&] { return exchange.token_request(exchange.endpoints().token, context); });
  }

  // RFC 7523 §2.1 with a service-account key: the key's token_uri is where its tokens come
  // from, unless the operator overrode the token endpoint.
  const ServiceAccountKey key = read_service_account_key(provider, config);
  std::string endpoint = exchange.endpoints().token;
  if (!(config.token_endpoint && !config.token_endpoint->empty()) && !key.token_uri.empty()) {
    try {
      check_endpoint_url(key.token_uri, http_.options().insecure_development);
    } catch (const Error& e) {
      throw Error(ErrorCode::configuration, provider_name(provider) + ": the key's token_uri: " + e.what());
    }
    endpoint = key.token_uri;
  }
  return with_retries(retry_, [&] {
    const auto now = Clock::to_time_t(Clock::now());
    boost::json::object claims{{"iss", key.client_email},
                               {"scope", sdk::join_scopes(scopes, " ")},
                               {"aud", endpoint},
                               {"iat", now},
                               {"exp", now + 3600}};
    if (auto subject = config.values.find("subject"); subject != config.values.end() && !subject->second.empty())
      claims["sub"] = subject->second;
    std::string assertion;
    try {
      assertion = jwt::sign_rs256(claims, key.private_key, key.private_key_id);
    } catch (const Error& e) {
      throw Error(ErrorCode::configuration, provider_name(provider) + ": the service-account key: " + e.what());
    }
    sdk::TokenRequestContext context{config, kJwtBearerGrant, "", "", "", "", assertion, scopes};
    return exchange.token_request(endpoint, context);
  });
}

TokenResult OAuthEngine::refresh(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                                 const std::string& refresh_token) const {
  if (refresh_token.empty())
    throw Error(ErrorCode::reconnect_needed, provider_name(provider) + ": no refresh token; connect again");
  Exchange exchange(http_, provider, config);
  sdk::TokenRequestContext context{config, "refresh_token", "", "",
                                   "",     refresh_token,   "", sdk::effective_scopes(provider.spec(), config)};
  context.scopes.clear();  // omitted: the refreshed token keeps the originally granted scope
  TokenResult result = exchange.token_request(exchange.endpoints().token, context);
  if (!result.tokens.refresh_token || result.tokens.refresh_token->empty()) result.tokens.refresh_token = refresh_token;
  if (!result.tokens.scope) result.granted_scopes = sdk::effective_scopes(provider.spec(), config);
  return result;
}

void OAuthEngine::revoke(const RegisteredProvider& provider, const sdk::ProviderConfig& config,
                         const std::string& token, std::string_view token_type_hint) const {
  Exchange exchange(http_, provider, config);
  const std::string& endpoint = exchange.endpoints().revocation;
  if (endpoint.empty())
    throw Error(ErrorCode::invalid_argument, provider_name(provider) + " has no revocation endpoint");
  with_retries(retry_, [&] {
    sdk::Params form{{"token", token}};
    if (!token_type_hint.empty()) form.emplace_back("token_type_hint", std::string(token_type_hint));
    Headers headers{{"Content-Type", "application/x-www-form-urlencoded"}};
    exchange.authenticate(endpoint, form, headers);
    HttpResponse response = exchange.post(endpoint, form, headers);
    // RFC 7009 §2.2: 200 whether or not the token was valid; an error body otherwise.
    if (response.status != 200) exchange.fail_status(endpoint, response);
    return 0;
  });
}

ServerMetadata OAuthEngine::discover(const std::string& issuer) const {
  const bool insecure = http_.options().insecure_development;
  check_endpoint_url(issuer, insecure);
  auto parsed = boost::urls::parse_uri(issuer);
  if (parsed->has_query() || parsed->has_fragment())
    throw Error(ErrorCode::invalid_argument, "an issuer identifier has no query or fragment (RFC 8414 §2)");
  std::string path(parsed->encoded_path());
  if (!path.empty() && path.back() == '/') path.pop_back();
  boost::urls::url base(*parsed);
  // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
  base.set_encoded_path("/.well-known/oauth-authorization-server" + path);
  std::vector<std::string> candidates{std::string(base.buffer())};
  std::string oidc = issuer;
  if (!oidc.empty() && oidc.back() == '/') oidc.pop_back();
  candidates.push_back(oidc + "/.well-known/openid-configuration");

  std::string last_problem;
  for (const auto& url : candidates) {
    HttpResponse response = with_retries(retry_, [&] {
      try {
        HttpResponse r = http_.send({"GET", url, {{"Accept", "application/json"}}, "", false});
        if (r.status == 429 || r.status >= 500)
          throw OAuthError(ErrorCode::transient, "discovery: " + url + " answered HTTP " + std::to_string(r.status), "",
                           "", r.status, parse_retry_after(r.header("retry-after")));
        return r;
      } catch (const OAuthError&) {
        throw;
      } catch (const Error& e) {
        throw OAuthError(e.code(), "discovery: " + std::string(e.what()));
      }
    });
    if (response.status == 404) {
      last_problem = url + " answered HTTP 404";
      continue;
    }
    if (response.status != 200)
      throw OAuthError(ErrorCode::protocol, "discovery: " + url + " answered HTTP " + std::to_string(response.status),
                       "", "", response.status);
    boost::system::error_code ec;
    auto value = boost::json::parse(response.body, ec);
    if (ec || !value.is_object())
      throw OAuthError(ErrorCode::protocol, "discovery: " + url + " did not answer a JSON object");
    const auto& o = value.get_object();
    ServerMetadata m;
    m.issuer = string_member(o, "issuer").value_or("");
    if (m.issuer != issuer)
      throw OAuthError(ErrorCode::protocol, "discovery: the metadata's issuer '" + m.issuer +
                                                "' differs from the issuer asked for '" + issuer + "' (RFC 8414 §3.3)");
    m.authorization_endpoint = string_member(o, "authorization_endpoint").value_or("");
    m.token_endpoint = string_member(o, "token_endpoint").value_or("");
    m.revocation_endpoint = string_member(o, "revocation_endpoint").value_or("");
    if (m.token_endpoint.empty())
      throw OAuthError(ErrorCode::protocol, "discovery: the metadata has no token_endpoint");
    for (const auto* e : {&m.authorization_endpoint, &m.token_endpoint, &m.revocation_endpoint})
      if (!e->empty()) check_endpoint_url(*e, insecure);
    auto strings = [&](const char* key) {
      std::vector<std::string> out;
      if (auto it = o.find(key); it != o.end() && it->value().is_array())
        for (const auto& item : it->value().get_array())
          if (item.is_string()) out.emplace_back(item.get_string());
      return out;
    };
    m.code_challenge_methods_supported = strings("code_challenge_methods_supported");
    m.token_endpoint_auth_methods_supported = strings("token_endpoint_auth_methods_supported");
    m.scopes_supported = strings("scopes_supported");
    if (auto it = o.find("authorization_response_iss_parameter_supported"); it != o.end() && it->value().is_bool())
      m.authorization_response_iss_parameter_supported = it->value().get_bool();
    return m;
  }
  throw OAuthError(ErrorCode::protocol, "discovery: no metadata for issuer " + issuer + " (" + last_problem + ")");
}

}  // namespace tessera::core
