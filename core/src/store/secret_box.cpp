#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "tessera/core/crypto.hpp"
#include "tessera/core/error.hpp"
#include "tessera/core/secret_box.hpp"

namespace tessera::core {
namespace {

constexpr std::string_view kMagic = "tsr1";
constexpr std::size_t kIdBytes = 8, kNonceBytes = 12, kTagBytes = 16;
constexpr std::size_t kHeader = 4 + kIdBytes + kNonceBytes;

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

std::string aad(const SecretSlot& slot) {
  std::string out(slot.table);
  out += '\0';
  out += slot.row;
  out += '\0';
  out += slot.column;
  return out;
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::array<unsigned char, 32> decode_key(std::string_view text, const std::string& where) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  auto bytes = crypto::base64_decode(text);
  if (!bytes || bytes->size() != 32)
    throw Error(ErrorCode::configuration, where +
                                              " holds a key that is not base64 of exactly 32 bytes; generate one "
                                              "with `openssl rand -base64 32`");
  std::array<unsigned char, 32> key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

std::vector<std::array<unsigned char, 32>> read_key_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(ErrorCode::io_error, "cannot read the key file " + file.string());
  std::vector<std::array<unsigned char, 32>> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    keys.push_back(decode_key(line, "the key file " + file.string()));
  }
  if (keys.empty()) throw Error(ErrorCode::configuration, "the key file " + file.string() + " holds no key");
  return keys;
}

// Writes the file through a temporary one. With `exclusive`, an existing file wins (two
// processes starting at once must not each make a key): the caller then reads that one.
void write_key_file(const std::filesystem::path& file, const std::vector<std::array<unsigned char, 32>>& keys,
                    bool exclusive = false) {
  std::string text = "# Tessera encryption keys, newest first. Losing this file loses every stored secret.\n";
  for (const auto& k : keys)
    text += crypto::base64_encode(std::string_view(reinterpret_cast<const char*>(k.data()), 32)) + "\n";
  const auto tmp = file.string() + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorCode::io_error, "cannot write the key file " + tmp);
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (ok && exclusive) {
    ok = ::link(tmp.c_str(), file.c_str()) == 0 || errno == EEXIST;
    ::unlink(tmp.c_str());
  } else if (ok) {
    ok = ::rename(tmp.c_str(), file.c_str()) == 0;
  }
  if (!ok) throw Error(ErrorCode::io_error, "cannot write the key file " + file.string());
}

std::array<unsigned char, 32> random_key() {
  std::string bytes = crypto::random_bytes(32);
  std::array<unsigned char, 32> key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

}  // namespace

KeyRing::KeyRing(std::vector<std::array<unsigned char, 32>> keys) {
  if (keys.empty()) throw Error(ErrorCode::configuration, "no encryption key configured");
  for (const auto& k : keys) {
    std::string digest = crypto::sha256(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
    keys_.push_back(Key{k, hex(digest.substr(0, kIdBytes))});
  }
}

bool KeyRing::from_environment() {
  const char* env = std::getenv("TESSERA_ENCRYPTION_KEY");
  return env && *env;
}

KeyRing KeyRing::load(const std::filesystem::path& key_file) {
  if (from_environment()) {
    std::vector<std::array<unsigned char, 32>> keys;
    std::string_view rest = std::getenv("TESSERA_ENCRYPTION_KEY");
    while (!rest.empty()) {
      auto comma = rest.find(',');
      keys.push_back(decode_key(rest.substr(0, comma), "TESSERA_ENCRYPTION_KEY"));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return KeyRing(std::move(keys));
  }
  std::error_code ec;
  if (!std::filesystem::exists(key_file, ec)) write_key_file(key_file, {random_key()}, true);
  struct stat st {};
  if (::stat(key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    throw Error(ErrorCode::configuration, "the key file " + key_file.string() +
                                              " is readable by other users; run `chmod 600 " + key_file.string() + "`");
  return KeyRing(read_key_file(key_file));
}

KeyRing KeyRing::add_key_to_file(const std::filesystem::path& key_file) {
  std::vector<std::array<unsigned char, 32>> keys{random_key()};
  for (const auto& k : read_key_file(key_file)) keys.push_back(k);
  write_key_file(key_file, keys);
  return KeyRing(std::move(keys));
}

std::optional<std::string> KeyRing::key_id_of(std::string_view envelope) {
  if (envelope.size() < kHeader + kTagBytes || envelope.substr(0, 4) != kMagic) return std::nullopt;
  return hex(envelope.substr(4, kIdBytes));
}

std::string KeyRing::seal(std::string_view plaintext, const SecretSlot& slot) const {
  const Key& key = newest();
  const std::string nonce = crypto::random_bytes(kNonceBytes);
  const std::string associated = aad(slot);
  Cipher ctx(EVP_CIPHER_CTX_new());
  std::string out(kMagic);
  std::string digest = crypto::sha256(std::string_view(reinterpret_cast<const char*>(key.bytes.data()), 32));
  out += digest.substr(0, kIdBytes);
  out += nonce;
  const std::size_t body = out.size();
  out.resize(body + plaintext.size() + kTagBytes);
  int len = 0, total = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + body);
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes.data(),
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                              static_cast<int>(associated.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), dst + total, &len) == 1;
  total += len;
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, dst + total) == 1;
  if (!ok) throw Error(ErrorCode::internal, "AES-256-GCM encryption failed");
  return out;
}

std::string KeyRing::open(std::string_view envelope, const SecretSlot& slot) const {
  const std::string where = std::string(slot.table) + "." + std::string(slot.column) + " of " + slot.row;
  auto id = key_id_of(envelope);
  if (!id) throw Error(ErrorCode::internal, "the stored " + where + " is not an encrypted envelope");
  const Key* key = nullptr;
  for (const auto& k : keys_)
    if (k.id == *id) key = &k;
  if (!key)
    throw Error(ErrorCode::configuration, "the stored " + where + " was encrypted with key " + *id +
                                              ", which is not configured: restore that key (TESSERA_ENCRYPTION_KEY or "
                                              "the key file) before using this database");
  const std::string associated = aad(slot);
  const auto* nonce = reinterpret_cast<const unsigned char*>(envelope.data() + 4 + kIdBytes);
  const auto* body = reinterpret_cast<const unsigned char*>(envelope.data() + kHeader);
  const std::size_t body_len = envelope.size() - kHeader - kTagBytes;
  std::string tag(envelope.substr(envelope.size() - kTagBytes));
  std::string out(body_len, '\0');
  Cipher ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key->bytes.data(), nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                              static_cast<int>(associated.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, body,
                              static_cast<int>(body_len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &len) == 1;
  if (!ok)
    throw Error(ErrorCode::internal, "the stored " + where +
                                         " failed its integrity check: it was altered or moved from another row or "
                                         "column; reconfigure or reconnect this integration");
  return out;
}

}  // namespace tessera::core
