#include "tessera/core/error.hpp"

namespace tessera {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::conflict: return "conflict";
    case ErrorCode::invalid_spec: return "invalid_spec";
    case ErrorCode::duplicate_provider: return "duplicate_provider";
    case ErrorCode::reserved_id: return "reserved_id";
    case ErrorCode::provider_failed: return "provider_failed";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::internal: return "internal";
    case ErrorCode::blocked_endpoint: return "blocked_endpoint";
    case ErrorCode::network: return "network";
    case ErrorCode::response_too_large: return "response_too_large";
    case ErrorCode::transient: return "transient";
    case ErrorCode::reconnect_needed: return "reconnect_needed";
    case ErrorCode::configuration: return "configuration";
    case ErrorCode::oauth_rejected: return "oauth_rejected";
    case ErrorCode::protocol: return "protocol";
  }
  return "unknown";
}

Error problems_error(ErrorCode code, const std::string& head, const std::vector<std::string>& problems) {
  std::string message = head + ":";
  for (const auto& p : problems) message += "\n  - " + p;
  return Error(code, message);
}

}  // namespace tessera
