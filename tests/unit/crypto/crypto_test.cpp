#include <catch2/catch.hpp>

#include "support/test_ca.hpp"
#include "tessera/core/crypto.hpp"
#include "tessera/core/error.hpp"

using namespace tessera::core::crypto;

TEST_CASE("base64 follows RFC 4648 test vectors") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == std::string(plain));
  }
  CHECK_FALSE(base64_decode("Zm9"));
  CHECK_FALSE(base64_decode("Zm9v YmFy"));
  CHECK_FALSE(base64_decode("Zg=a"));
  CHECK_FALSE(base64_decode("Zm-v"));
}

TEST_CASE("base64url has no padding and the URL alphabet") {
  std::string bytes = "\xfb\xff\xfe";
  CHECK(base64url_encode(bytes) == "-__-");
  CHECK(base64url_decode("-__-") == bytes);
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_decode("Zg") == std::string("f"));
  CHECK_FALSE(base64url_decode("Zg=="));
  CHECK_FALSE(base64url_decode("+/"));
  CHECK_FALSE(base64url_decode("Z"));
}

TEST_CASE("SHA-256 of 'abc'") {
  CHECK(base64_encode(sha256("abc")) == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST_CASE("RS256 signatures verify with the matching public key only") {
  auto key = tessera::test::make_rsa_key();
  auto other = tessera::test::make_rsa_key();
  std::string sig = sign_rs256(key.private_pem, "payload");
  CHECK(sig.size() == 256);
  CHECK(verify_rs256(key.public_pem, "payload", sig));
  CHECK_FALSE(verify_rs256(key.public_pem, "payload!", sig));
  CHECK_FALSE(verify_rs256(other.public_pem, "payload", sig));
  CHECK_THROWS_AS(sign_rs256("not a key", "x"), tessera::Error);
}

TEST_CASE("random bytes differ") {
  CHECK(random_bytes(32) != random_bytes(32));
  CHECK(random_bytes(0).empty());
}
