// Compact JWS (RS256) for RFC 7523 assertions, and reading the claims of a JWT without
// verifying it (to learn an access token's `exp` when the server gave no expires_in).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

namespace tessera::core::jwt {

// header.payload.signature; `kid` is added to the header when not empty.
std::string sign_rs256(const boost::json::object& claims, std::string_view pem_private_key, std::string_view kid = {});

// The payload of a three-part JWT as a JSON object, or nullopt when `token` is not one.
std::optional<boost::json::object> unverified_claims(std::string_view token);

}  // namespace tessera::core::jwt
