#include "oauth/jwt.hpp"

#include <boost/json.hpp>

#include "tessera/core/crypto.hpp"

namespace tessera::core::jwt {

std::string sign_rs256(const boost::json::object& claims, std::string_view pem_private_key, std::string_view kid) {
  boost::json::object header{{"alg", "RS256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  std::string input = crypto::base64url_encode(boost::json::serialize(header)) + "." +
                      crypto::base64url_encode(boost::json::serialize(claims));
  return input + "." + crypto::base64url_encode(crypto::sign_rs256(pem_private_key, input));
}

std::optional<boost::json::object> unverified_claims(std::string_view token) {
  auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  auto payload = crypto::base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  boost::system::error_code ec;
  auto value = boost::json::parse(*payload, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return value.get_object();
}

}  // namespace tessera::core::jwt
