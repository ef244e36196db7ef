// The one exception type core throws. Its message is meant for a person: what failed, with
// which input, and what to do about it. It never contains a secret.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tessera {

enum class ErrorCode {
  invalid_argument,    // the caller passed something unusable
  not_found,           // no such provider, plugin, ...
  invalid_spec,        // a provider's spec breaks the registry's rules
  duplicate_provider,  // (provider_id, grant_type) is already registered
  reserved_id,         // an id in a reserved namespace (custom_mcp_, ...)
  provider_failed,     // plugin code threw from a hook
  io_error,            // a file could not be read or written
  internal,            // a bug in Tessera
};

std::string_view to_string(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace tessera
