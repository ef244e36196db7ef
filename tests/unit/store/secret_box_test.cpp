// AES-256-GCM envelopes: round trips, tampering, moving, wrong keys, several keys.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "support/temp_dir.hpp"
#include "tessera/core/crypto.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/secret_box.hpp"

using namespace tessera;
using namespace tessera::core;

namespace {
std::array<unsigned char, 32> key_bytes(unsigned char fill) {
  std::array<unsigned char, 32> k{};
  k.fill(fill);
  return k;
}
const SecretSlot kSlot{"integrations", "acme/github/authorization_code", "access_token"};
}  // namespace

TEST_CASE("sealed values open in their slot and nowhere else") {
  KeyRing ring({key_bytes(1)});
  std::string sealed = ring.seal("gho_secret_token", kSlot);
  CHECK(sealed.find("gho_secret_token") == std::string::npos);
  CHECK(ring.open(sealed, kSlot) == "gho_secret_token");
  CHECK(ring.seal("gho_secret_token", kSlot) != sealed);  // a fresh nonce every time
  CHECK(KeyRing::key_id_of(sealed) == ring.newest().id);

  SECTION("another row, column or table") {
    CHECK_THROWS_WITH(ring.open(sealed, {"integrations", "acme/slack/authorization_code", "access_token"}),
                      Catch::Contains("integrity check"));
    CHECK_THROWS_WITH(ring.open(sealed, {"integrations", kSlot.row, "refresh_token"}),
                      Catch::Contains("integrity check"));
    CHECK_THROWS_AS(ring.open(sealed, {"pending_authorizations", kSlot.row, "access_token"}), Error);
  }
  SECTION("every flipped bit is detected") {
    for (std::size_t i = 4 + 8; i < sealed.size(); ++i) {  // nonce, ciphertext and tag
      std::string bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      CAPTURE(i);
      CHECK_THROWS_AS(ring.open(bad, kSlot), Error);
    }
  }
  SECTION("truncated or foreign values") {
    CHECK_THROWS_AS(ring.open(sealed.substr(0, 20), kSlot), Error);
    CHECK_THROWS_AS(ring.open("plaintext", kSlot), Error);
  }
}

TEST_CASE("the wrong key fails cleanly, naming the key it needs") {
  KeyRing a({key_bytes(1)}), b({key_bytes(2)});
  std::string sealed = a.seal("value", kSlot);
  try {
    b.open(sealed, kSlot);
    FAIL("opened with the wrong key");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::configuration);
    CHECK_THAT(e.what(), Catch::Contains(a.newest().id) && !Catch::Contains("value"));
  }
}

TEST_CASE("with several keys the newest seals and any opens") {
  KeyRing old_ring({key_bytes(1)});
  std::string old_value = old_ring.seal("v1", kSlot);
  KeyRing both({key_bytes(2), key_bytes(1)});
  CHECK(both.open(old_value, kSlot) == "v1");
  CHECK(KeyRing::key_id_of(both.seal("v2", kSlot)) == KeyRing({key_bytes(2)}).newest().id);
}

TEST_CASE("keys from TESSERA_ENCRYPTION_KEY or a 0600 key file") {
  tessera::test::TempDir dir;
  ::unsetenv("TESSERA_ENCRYPTION_KEY");
  KeyRing created = KeyRing::load(dir / "tessera.key");
  KeyRing again = KeyRing::load(dir / "tessera.key");
  CHECK(created.newest().id == again.newest().id);
  CHECK((std::filesystem::status(dir / "tessera.key").permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
  KeyRing rotated = KeyRing::add_key_to_file(dir / "tessera.key");
  REQUIRE(rotated.keys().size() == 2);
  CHECK(rotated.keys()[1].id == created.newest().id);

  std::filesystem::permissions(dir / "tessera.key", std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  CHECK_THROWS_WITH(KeyRing::load(dir / "tessera.key"), Catch::Contains("chmod 600"));

  auto k1 = crypto::base64_encode(std::string(32, 'a')), k2 = crypto::base64_encode(std::string(32, 'b'));
  ::setenv("TESSERA_ENCRYPTION_KEY", (k1 + "," + k2).c_str(), 1);
  KeyRing env = KeyRing::load(dir / "unused.key");
  CHECK(env.keys().size() == 2);
  CHECK_FALSE(std::filesystem::exists(dir / "unused.key"));
  ::setenv("TESSERA_ENCRYPTION_KEY", "not-base64-of-32-bytes", 1);
  CHECK_THROWS_WITH(KeyRing::load(dir / "unused.key"), Catch::Contains("32 bytes") && !Catch::Contains("not-base64"));
  ::unsetenv("TESSERA_ENCRYPTION_KEY");
}
