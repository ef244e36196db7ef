// The one exception type core throws. Its message is meant for a person: what failed, with
// which input, and what to do about it. It never contains a secret.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

enum class ErrorCode {
  invalid_argument,    // the caller passed something unusable
  not_found,           // no such provider, plugin, workspace, integration, ...
  conflict,            // it already exists (a unique key is taken)
  invalid_spec,        // a provider's spec breaks the registry's rules
  duplicate_provider,  // (provider_id, grant_type) is already registered
  reserved_id,         // an id in a reserved namespace (custom_mcp_, ...)
  provider_failed,     // plugin code threw from a hook
  io_error,            // a file could not be read or written
  internal,            // a bug in Tessera
  // Talking to authorization servers
  blocked_endpoint,    // the URL breaks the endpoint policy (scheme, user info, private address)
  network,             // no answer: connection, TLS, timeout (transient)
  response_too_large,  // the body exceeded the response size cap
  transient,           // the server asked to come back later: 429, 5xx (see retry_after)
  reconnect_needed,    // invalid_grant: the user must connect again
  configuration,       // invalid_client, unauthorized_client, unusable settings
  oauth_rejected,      // any other OAuth error (invalid_scope, access_denied, ...)
  protocol,            // the server's answer does not follow the protocol
};

// True for failures that may succeed when tried again later.
constexpr bool is_transient(ErrorCode code) noexcept {
  return code == ErrorCode::network || code == ErrorCode::transient;
}

std::string_view to_string(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// One Error for a list of problems: "head:\n  - first\n  - second".
Error problems_error(ErrorCode code, const std::string& head, const std::vector<std::string>& problems);

}  // namespace tessera
