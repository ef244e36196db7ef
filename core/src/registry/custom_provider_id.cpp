#include "tessera/core/custom_provider_id.hpp"

#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>
#include <mutex>
#include <vector>

#include "tessera/core/crypto.hpp"
#include "tessera/core/error.hpp"

namespace tessera::core {
namespace {

// Creating a transliterator parses ICU rule data (milliseconds); build it once. ICU does not
// promise that one instance may transliterate on several threads at once, hence the mutex.
class Transliteration {
 public:
  static Transliteration& instance() {
    static Transliteration t;
    return t;
  }

  std::string to_ascii(std::string_view utf8) {
    icu::UnicodeString text =
        icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    {
      std::lock_guard lock(mutex_);
      transliterator_->transliterate(text);
    }
    std::string out;
    text.toUTF8String(out);
    return out;
  }

 private:
  Transliteration() {
    UErrorCode status = U_ZERO_ERROR;
    transliterator_.reset(icu::Transliterator::createInstance("Any-Latin; Latin-ASCII", UTRANS_FORWARD, status));
    if (U_FAILURE(status) || !transliterator_)
      throw Error(ErrorCode::internal, std::string("ICU transliterator unavailable: ") + u_errorName(status));
  }

  std::mutex mutex_;
  std::unique_ptr<icu::Transliterator> transliterator_;
};

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

}  // namespace

std::string slugify(std::string_view utf8_text) {
  const std::string ascii = Transliteration::instance().to_ascii(utf8_text);
  std::string slug;
  bool pending_separator = false;
  for (std::size_t i = 0; i < ascii.size(); ++i) {
    char c = ascii[i];
    if (c == ',' && i > 0 && i + 1 < ascii.size() && is_digit(ascii[i - 1]) && is_digit(ascii[i + 1])) continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || is_digit(c)) {
      if (pending_separator && !slug.empty()) slug += '_';
      pending_separator = false;
      slug += c;
    } else {
      pending_separator = true;
    }
  }
  return slug;
}

std::string random_hex(std::size_t count) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : crypto::random_bytes((count + 1) / 2)) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  out.resize(count);
  return out;
}

std::string derive_custom_provider_id(const std::optional<std::string>& requested_id, std::string_view name,
                                      const IdTaken& taken, const RandomHex& random) {
  const bool from_request = requested_id && !requested_id->empty();
  std::string slug = slugify(from_request ? std::string_view(*requested_id) : name);

  std::string id;
  if (slug.empty())
    id = std::string(kCustomPrefix) + random(32);
  else
    id = slug.rfind(kCustomPrefix, 0) == 0 ? slug : std::string(kCustomPrefix) + slug;

  if (id.rfind(kReservedMcpPrefix, 0) == 0) {
    if (from_request)
      throw Error(ErrorCode::reserved_id, "custom provider id '" + *requested_id + "' would become '" + id +
                                              "', but ids starting with custom_mcp_ are reserved for MCP "
                                              "integrations; choose another id");
    id = "custom_oauth_mcp_" + id.substr(kReservedMcpPrefix.size());
  }

  if (!taken || !taken(id)) return id;
  for (unsigned n = 1;; ++n) {
    std::string candidate = id + "_" + std::to_string(n);
    if (!taken(candidate)) return candidate;
  }
}

}  // namespace tessera::core
