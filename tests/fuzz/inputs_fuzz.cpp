// Fuzzes what servers and users hand Tessera: token responses (JSON and form bodies), the
// query of an OAuth redirect, endpoint URLs, and sealed envelopes. Each must be accepted or
// refused with an exception, never crash.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "tessera/core/error.hpp"
#include "tessera/core/http.hpp"
#include "tessera/core/oauth.hpp"
#include "tessera/core/secret_box.hpp"

namespace {

struct Plain final : tessera::sdk::ClientCredentialsOAuthProvider {
  Plain() : ClientCredentialsOAuthProvider([] {
    tessera::sdk::ProviderSpec s;
    s.id = s.metadata.id = "fuzz";
    s.metadata.name = "Fuzz";
    s.token_endpoint = "https://as.example.com/token";
    return s;
  }()) {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tessera::core;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const Plain provider;
  static const KeyRing ring({std::array<unsigned char, 32>{7}});

  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(input, ec);
  if (!ec && v.is_object()) {
    try {
      auto tokens = provider.parse_token_response(v.get_object());
      if (tokens.access_token.empty()) __builtin_trap();  // accepted without a token
    } catch (const tessera::sdk::TokenResponseError&) {
    }
  }
  if (auto form = form_decode(input)) (void)form_encode(*form);
  (void)AuthorizationResponse::from_query(input);
  for (bool insecure : {false, true}) {
    try {
      check_endpoint_url(input, insecure);
    } catch (const tessera::Error&) {
    }
  }
  try {
    (void)ring.open(input, {"integrations", "fuzz", "access_token"});
    __builtin_trap();  // forged an envelope that authenticates
  } catch (const tessera::Error&) {
  }
  return 0;
}
