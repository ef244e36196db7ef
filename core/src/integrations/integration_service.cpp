#include <unistd.h>

#include <future>
#include <thread>

#include "tessera/core/crypto.hpp"
#include "tessera/core/custom_provider_id.hpp"
#include "tessera/core/integrations.hpp"
#include "tessera/core/log.hpp"

namespace tessera::core {
namespace {

using Clock = std::chrono::system_clock;

std::string grant_name(sdk::GrantType g) {
  return std::string(sdk::to_string(g));
}

AuditEvent audit_for(const IntegrationKey& key, std::string event, const std::string& actor, std::string detail = {}) {
  return AuditEvent{
      key.workspace, std::move(event), key.provider_id, grant_name(key.grant_type), actor, std::move(detail), {}};
}

std::string describe(const IntegrationKey& key) {
  return key.provider_id + " (" + grant_name(key.grant_type) + ") in workspace '" + key.workspace + "'";
}

bool usable(const IntegrationRecord& r, TimePoint now) {
  return r.access_token && (!r.expires_at || *r.expires_at > now);
}

AccessToken token_of(const IntegrationRecord& r) {
  return {*r.access_token, r.token_type, r.expires_at};
}

class CustomAuthorizationCodeProvider final : public sdk::AuthorizationCodeOAuthProvider {
 public:
  explicit CustomAuthorizationCodeProvider(sdk::ProviderSpec spec) : AuthorizationCodeOAuthProvider(std::move(spec)) {}
};

class CustomClientCredentialsProvider final : public sdk::ClientCredentialsOAuthProvider {
 public:
  explicit CustomClientCredentialsProvider(sdk::ProviderSpec spec) : ClientCredentialsOAuthProvider(std::move(spec)) {}
};

// The registry's rules apply to custom providers too (https endpoints, the custom_ prefix, ...).
void require_valid(const CustomProviderDefinition& d) {
  if (auto problems = validate_spec(make_custom_provider(d)->spec(), true); !problems.empty())
    throw problems_error(ErrorCode::invalid_spec, "custom provider '" + d.name + "' (" + d.id + ") is not valid",
                         problems);
}

std::string make_owner_id() {
  char host[128] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + crypto::base64url_encode(crypto::random_bytes(6));
}

}  // namespace

std::string_view to_string(IntegrationStatus status) noexcept {
  switch (status) {
    case IntegrationStatus::not_configured: return "not_configured";
    case IntegrationStatus::configured: return "configured";
    case IntegrationStatus::connected: return "connected";
    case IntegrationStatus::expired: return "expired";
    case IntegrationStatus::reauth_required: return "reauth_required";
    case IntegrationStatus::error: return "error";
  }
  return "unknown";
}

std::shared_ptr<const sdk::OAuthProvider> make_custom_provider(const CustomProviderDefinition& d) {
  sdk::ProviderSpec s;
  s.id = d.id;
  s.grant_type = d.grant_type;
  s.metadata.id = d.id;
  s.metadata.name = d.name;
  s.metadata.description = d.description;
  s.default_scopes = d.default_scopes;
  s.scope_separator = d.scope_separator;
  s.authorization_endpoint = d.authorization_endpoint;
  s.token_endpoint = d.token_endpoint;
  s.revocation_endpoint = d.revocation_endpoint;
  s.issuer = d.issuer;
  s.pkce = d.pkce;
  s.client_auth = d.client_auth;
  if (d.grant_type == sdk::GrantType::authorization_code)
    return std::make_shared<CustomAuthorizationCodeProvider>(std::move(s));
  return std::make_shared<CustomClientCredentialsProvider>(std::move(s));
}

struct IntegrationService::Flight {
  std::promise<AccessToken> promise;
  std::shared_future<AccessToken> result = promise.get_future().share();
};

IntegrationService::IntegrationService(Store& store, const ProviderRegistry& registry, const OAuthEngine& engine,
                                       ServiceOptions options)
    : store_(store), registry_(registry), engine_(engine), options_(options), owner_id_(make_owner_id()) {}

RegisteredProvider IntegrationService::provider(const std::string& workspace, const std::string& provider_id,
                                                sdk::GrantType grant) const {
  if (provider_id.rfind("custom_", 0) == 0) {
    if (auto def = store_.find_custom_provider(workspace, provider_id, grant))
      return RegisteredProvider(make_custom_provider(*def), {"custom provider of workspace " + workspace, "", ""});
  } else if (const auto* p = registry_.find({provider_id, grant})) {
    return *p;
  }
  throw Error(ErrorCode::not_found, "no provider '" + provider_id + "' using the " + grant_name(grant) +
                                        " grant in workspace '" + workspace + "'");
}

void IntegrationService::configure(const IntegrationKey& key, const sdk::ProviderConfig& config,
                                   const std::string& actor) {
  if (!store_.workspace_exists(key.workspace))
    throw Error(ErrorCode::not_found, "no workspace '" + key.workspace + "'");
  RegisteredProvider p = provider(key.workspace, key.provider_id, key.grant_type);
  sdk::ProviderConfig effective = config;
  if (!effective.client_secret)
    if (auto existing = store_.find_integration(key)) effective.client_secret = existing->config.client_secret;
  if (auto problems = p.validate_config(effective); !problems.empty())
    throw problems_error(ErrorCode::configuration, "the configuration of " + describe(key) + " is not usable",
                         problems);
  resolve_endpoints(p.spec(), effective, true);  // placeholders and override syntax; policy applies at use
  store_.save_configuration(key, config, audit_for(key, "configuration_changed", actor));
  log_event(LogLevel::info, "integration.configured",
            {{"workspace", key.workspace}, {"provider", key.provider_id}, {"grant", sdk::to_string(key.grant_type)}});
}

IntegrationStatus IntegrationService::status(const IntegrationKey& key) const {
  auto r = store_.find_integration(key);
  if (!r || (r->config.client_id.empty() && !r->config.client_secret)) return IntegrationStatus::not_configured;
  if (r->reauth_required) return IntegrationStatus::reauth_required;
  const auto now = Clock::now();
  const bool failing = r->failure_count > 0;
  if (!r->access_token) return failing ? IntegrationStatus::error : IntegrationStatus::configured;
  if (r->expires_at && *r->expires_at <= now) return failing ? IntegrationStatus::error : IntegrationStatus::expired;
  return IntegrationStatus::connected;
}

bool IntegrationService::is_fresh(const IntegrationRecord& r, TimePoint now) const {
  return r.access_token && (!r.expires_at || *r.expires_at - now > options_.refresh_window);
}

TokenUpdate IntegrationService::to_update(const TokenResult& result, const RegisteredProvider& p,
                                          const std::string& user_id) const {
  TokenUpdate u{result.tokens.access_token, result.tokens.refresh_token, result.tokens.token_type,
                result.expires_at,          result.granted_scopes,       user_id};
  // Unknown lifetime: client-credentials tokens are re-fetched after a while; authorization
  // code tokens (GitHub's, say) are taken not to expire.
  if (!u.expires_at && p.spec().grant_type == sdk::GrantType::client_credentials)
    u.expires_at = Clock::now() + options_.client_credentials_lifetime;
  return u;
}

ConnectStart IntegrationService::begin_connect(const IntegrationKey& key, const std::string& user_id,
                                               const std::string& redirect_uri) {
  auto record = store_.find_integration(key);
  if (!record) throw Error(ErrorCode::not_found, describe(key) + " is not configured; configure it first");
  RegisteredProvider p = provider(key.workspace, key.provider_id, key.grant_type);
  AuthorizationRequest request = engine_.begin_authorization(p, record->config, redirect_uri);
  PendingAuthorization pending{request.state,
                               key.workspace,
                               user_id,
                               key.provider_id,
                               key.grant_type,
                               redirect_uri,
                               request.code_verifier,
                               Clock::now() + options_.pending_lifetime};
  store_.put_pending(pending);
  return {request.url, request.state, pending.expires_at};
}

IntegrationKey IntegrationService::complete_connect(const AuthorizationResponse& response,
                                                    const std::optional<std::string>& expected_user,
                                                    const std::string& actor) {
  if (response.state.empty())
    throw Error(ErrorCode::protocol, "the redirect carries no state; start the connection again");
  auto pending = store_.take_pending(response.state);
  if (!pending)
    throw Error(ErrorCode::protocol,
                "this authorization is unknown or was already completed (a state works once); "
                "start the connection again");
  if (pending->expires_at < Clock::now())
    throw Error(ErrorCode::protocol, "this authorization expired (they last " +
                                         std::to_string(options_.pending_lifetime.count()) +
                                         " s); start the connection again");
  if (expected_user && *expected_user != pending->user_id)
    throw Error(ErrorCode::protocol, "this authorization was started by another user; start the connection again");
  IntegrationKey key{pending->workspace, pending->provider_id, pending->grant_type};
  auto record = store_.find_integration(key);
  if (!record) throw Error(ErrorCode::not_found, describe(key) + " was deleted while connecting");
  RegisteredProvider p = provider(key.workspace, key.provider_id, key.grant_type);
  AuthorizationRequest request{"", pending->state, pending->code_verifier, pending->redirect_uri,
                               sdk::effective_scopes(p.spec(), record->config)};
  TokenResult result = engine_.complete_authorization(p, record->config, request, response);
  store_.save_tokens(key, to_update(result, p, pending->user_id), "", audit_for(key, "connected", actor));
  log_event(LogLevel::info, "integration.connected",
            {{"workspace", key.workspace}, {"provider", key.provider_id}, {"grant", sdk::to_string(key.grant_type)}});
  return key;
}

AccessToken IntegrationService::connect_client_credentials(const IntegrationKey& key, const std::string& actor) {
  auto record = store_.find_integration(key);
  if (!record) throw Error(ErrorCode::not_found, describe(key) + " is not configured; configure it first");
  RegisteredProvider p = provider(key.workspace, key.provider_id, key.grant_type);
  TokenResult result = engine_.client_credentials(p, record->config);
  TokenUpdate update = to_update(result, p, "");
  store_.save_tokens(key, update, "", audit_for(key, "connected", actor));
  log_event(LogLevel::info, "integration.connected",
            {{"workspace", key.workspace}, {"provider", key.provider_id}, {"grant", sdk::to_string(key.grant_type)}});
  return {update.access_token, update.token_type, update.expires_at};
}

AccessToken IntegrationService::access_token(const IntegrationKey& key) {
  auto record = store_.find_integration(key);
  if (!record) throw Error(ErrorCode::not_found, describe(key) + " is not configured");
  if (record->reauth_required)
    throw Error(ErrorCode::reconnect_needed,
                describe(key) + " must be connected again (the provider refused its grant)");
  if (is_fresh(*record, Clock::now())) return token_of(*record);
  return refresh_single_flight(key);
}

AccessToken IntegrationService::refresh_single_flight(const IntegrationKey& key) {
  const std::string id = key.row_identity();
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(flights_mutex_);
    auto& slot = flights_[id];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (!leader) return flight->result.get();
  try {
    AccessToken token = refresh_with_lease(key);
    flight->promise.set_value(token);
  } catch (...) {
    flight->promise.set_exception(std::current_exception());
  }
  {
    std::lock_guard lock(flights_mutex_);
    flights_.erase(id);
  }
  return flight->result.get();
}

AccessToken IntegrationService::refresh_with_lease(const IntegrationKey& key) {
  const auto give_up = Clock::now() + options_.lease_duration * 2 + std::chrono::seconds(5);
  bool waited = false;
  while (true) {
    auto record = store_.find_integration(key);
    if (!record) throw Error(ErrorCode::not_found, describe(key) + " was deleted");
    if (record->reauth_required)
      throw Error(ErrorCode::reconnect_needed,
                  describe(key) + " must be connected again (the provider refused its grant)");
    const auto now = Clock::now();
    if (is_fresh(*record, now)) return token_of(*record);
    if (record->next_attempt_at && *record->next_attempt_at > now) {
      if (usable(*record, now)) return token_of(*record);
      throw Error(ErrorCode::transient, "refreshing " + describe(key) + " failed recently (" +
                                            record->last_refresh_result + "); the next attempt is due later");
    }

    if (!store_.try_acquire_lease(key, owner_id_, now + options_.lease_duration, now)) {
      if (!waited)
        log_event(LogLevel::debug, "refresh.waiting", {{"workspace", key.workspace}, {"provider", key.provider_id}});
      waited = true;
      if (Clock::now() > give_up)
        throw Error(ErrorCode::transient, "waited too long for another process to refresh " + describe(key));
      std::this_thread::sleep_for(options_.lease_poll);
      continue;
    }

    // We hold the lease: look again (the previous holder may just have committed).
    record = store_.find_integration(key);
    if (!record) throw Error(ErrorCode::not_found, describe(key) + " was deleted");
    if (is_fresh(*record, Clock::now())) {
      store_.release_lease(key, owner_id_);
      return token_of(*record);
    }
    RegisteredProvider p = provider(key.workspace, key.provider_id, key.grant_type);
    const bool client_credentials = key.grant_type == sdk::GrantType::client_credentials;
    if (!client_credentials && !record->refresh_token) {
      store_.release_lease(key, owner_id_);
      if (usable(*record, Clock::now())) return token_of(*record);
      throw Error(ErrorCode::reconnect_needed,
                  describe(key) + " has expired and has no refresh token; connect it again");
    }
    const std::array<LogField, 3> ids{
        {{"workspace", key.workspace}, {"provider", key.provider_id}, {"grant", sdk::to_string(key.grant_type)}}};
    try {
      TokenResult result = client_credentials ? engine_.client_credentials(p, record->config)
                                              : engine_.refresh(p, record->config, *record->refresh_token);
      TokenUpdate update = to_update(result, p, "");
      if (store_.save_tokens(key, update, owner_id_, audit_for(key, "refreshed", "tessera"))) {
        log_event(LogLevel::info, "refresh.ok", {ids[0], ids[1], ids[2]});
        return {update.access_token, update.token_type, update.expires_at};
      }
      continue;  // our lease expired and someone else took over: read what they stored
    } catch (const Error& e) {
      const bool reauth = e.code() == ErrorCode::reconnect_needed;
      std::optional<TimePoint> next;
      if (!reauth) {
        auto delay = options_.backoff_base * (1 << std::min(record->failure_count, 10));
        next = Clock::now() + std::min<std::chrono::milliseconds>(delay, options_.backoff_max);
      }
      const std::string result = std::string(tessera::to_string(e.code())) + ": " + e.what();
      store_.record_refresh_failure(
          key, result, reauth, next, owner_id_,
          audit_for(key, "refresh_failed", "tessera", std::string(tessera::to_string(e.code()))));
      log_event(LogLevel::warn, "refresh.failed",
                {ids[0], ids[1], ids[2], {"class", tessera::to_string(e.code())}, {"error", e.what()}});
      if (!reauth && is_transient(e.code()) && usable(*record, Clock::now())) return token_of(*record);
      throw;
    }
    catch (...) {
      store_.release_lease(key, owner_id_);  // not ours to judge: let another caller try
      throw;
    }
  }
}

std::optional<std::string> IntegrationService::disconnect(const IntegrationKey& key, const std::string& actor) {
  auto record = store_.find_integration(key);
  if (!record) throw Error(ErrorCode::not_found, describe(key) + " is not configured");
  std::optional<std::string> problem;
  RegisteredProvider p = provider(key.workspace, key.provider_id, key.grant_type);
  bool can_revoke = false;
  try {
    can_revoke = !resolve_endpoints(p.spec(), record->config, true).revocation.empty();
  } catch (const Error&) {
  }
  if (can_revoke) {
    try {
      if (record->refresh_token) engine_.revoke(p, record->config, *record->refresh_token, "refresh_token");
      if (record->access_token) engine_.revoke(p, record->config, *record->access_token, "access_token");
    } catch (const Error& e) {
      problem = std::string("revocation at the provider failed: ") + e.what();
    }
  }
  store_.wipe_tokens(key, audit_for(key, "disconnected", actor, problem.value_or(can_revoke ? "revoked" : "")));
  return problem;
}

void IntegrationService::remove(const IntegrationKey& key, const std::string& actor) {
  if (key.provider_id.rfind("custom_", 0) == 0 &&
      store_.delete_custom_provider(key.workspace, key.provider_id, key.grant_type,
                                    audit_for(key, "custom_provider_deleted", actor)))
    return;
  if (!store_.delete_integration(key, audit_for(key, "deleted", actor)))
    throw Error(ErrorCode::not_found, describe(key) + " does not exist");
}

CustomProviderDefinition IntegrationService::create_custom_provider(const std::string& workspace,
                                                                    const CustomProviderRequest& request,
                                                                    const std::string& actor) {
  if (!store_.workspace_exists(workspace)) throw Error(ErrorCode::not_found, "no workspace '" + workspace + "'");
  if (request.name.empty()) throw Error(ErrorCode::invalid_argument, "a custom provider needs a name");
  CustomProviderDefinition d;
  d.workspace = workspace;
  d.grant_type = request.grant_type;
  d.name = request.name;
  d.description = request.description;
  d.authorization_endpoint = request.authorization_endpoint;
  d.token_endpoint = request.token_endpoint;
  d.revocation_endpoint = request.revocation_endpoint;
  d.default_scopes = request.default_scopes;
  d.scope_separator = request.scope_separator;
  d.pkce = request.pkce.value_or(true);
  d.client_auth = request.client_auth.value_or(sdk::ClientAuth::client_secret_basic);
  if (!request.issuer.empty()) {
    ServerMetadata m = engine_.discover(request.issuer);
    d.issuer = m.issuer;
    if (d.authorization_endpoint.empty()) d.authorization_endpoint = m.authorization_endpoint;
    if (d.token_endpoint.empty()) d.token_endpoint = m.token_endpoint;
    if (d.revocation_endpoint.empty()) d.revocation_endpoint = m.revocation_endpoint;
    if (!request.pkce) d.pkce = m.supports_pkce_s256();
    if (!request.client_auth) d.client_auth = m.preferred_client_auth();
  }
  if (d.grant_type == sdk::GrantType::client_credentials) d.authorization_endpoint.clear();

  for (int attempt = 0; attempt < 16; ++attempt) {
    d.id = derive_custom_provider_id(request.requested_id, request.name, [&](const std::string& id) {
      return registry_.contains({id, d.grant_type}) || store_.find_custom_provider(workspace, id, d.grant_type);
    });
    require_valid(d);
    try {
      store_.insert_custom_provider(
          d, AuditEvent{workspace, "custom_provider_created", d.id, grant_name(d.grant_type), actor, d.name, {}});
      d.created_at = Clock::now();
      return d;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::conflict) throw;  // another creator took this id first: derive again
    }
  }
  throw Error(ErrorCode::conflict, "could not find a free id for custom provider '" + request.name + "'");
}

void IntegrationService::update_custom_provider(const CustomProviderDefinition& d, const std::string& actor) {
  require_valid(d);
  store_.update_custom_provider(
      d, AuditEvent{d.workspace, "custom_provider_updated", d.id, grant_name(d.grant_type), actor, d.name, {}});
}

void IntegrationService::delete_custom_provider(const std::string& workspace, const std::string& id,
                                                sdk::GrantType grant, const std::string& actor) {
  if (!store_.delete_custom_provider(
          workspace, id, grant, AuditEvent{workspace, "custom_provider_deleted", id, grant_name(grant), actor, "", {}}))
    throw Error(ErrorCode::not_found, "no custom provider '" + id + "' in workspace '" + workspace + "'");
}

}  // namespace tessera::core
