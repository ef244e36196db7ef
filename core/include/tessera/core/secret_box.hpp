// Encryption of secrets at rest: AES-256-GCM (OpenSSL EVP) with a fresh 96-bit nonce per
// value, a versioned envelope that names the key that sealed it, and associated data that
// binds the value to where it is stored (table, row identity, column). A ciphertext copied
// to another row or column, a flipped bit, or the wrong key fails to open.
//
// Envelope: "tsr1" | key id (8 bytes) | nonce (12) | ciphertext | tag (16).
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::core {

// Where a sealed value lives; becomes the associated data.
struct SecretSlot {
  std::string_view table;
  std::string row;  // a stable identity of the row, e.g. "workspace/provider/grant"
  std::string_view column;
};

class KeyRing {
 public:
  struct Key {
    std::array<unsigned char, 32> bytes;
    std::string id;  // first 8 bytes of SHA-256(key), hex
  };

  // Keys newest first; at least one.
  explicit KeyRing(std::vector<std::array<unsigned char, 32>> keys_newest_first);

  // TESSERA_ENCRYPTION_KEY (comma-separated base64 keys, newest first) when set; else the
  // key file, created with one random key and mode 0600 when it does not exist. Throws
  // Error(configuration) naming what is wrong with a key (never the key).
  static KeyRing load(const std::filesystem::path& key_file);
  // Puts a new random key first in the key file (kept 0600), returning the new ring.
  static KeyRing add_key_to_file(const std::filesystem::path& key_file);
  static bool from_environment();

  const Key& newest() const noexcept { return keys_.front(); }
  const std::vector<Key>& keys() const noexcept { return keys_; }

  std::string seal(std::string_view plaintext, const SecretSlot& slot) const;
  // Throws Error(configuration) for an unknown key id, Error(io_error)... never returns
  // garbage: a failed authentication throws Error(internal) "integrity check failed".
  std::string open(std::string_view envelope, const SecretSlot& slot) const;
  // The key id an envelope was sealed with, or nullopt when it is not an envelope.
  static std::optional<std::string> key_id_of(std::string_view envelope);

 private:
  std::vector<Key> keys_;
};

}  // namespace tessera::core
