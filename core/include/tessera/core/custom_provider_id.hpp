// Derives the id of a custom provider created at run time. The rules:
//   - start from the requested id when one is given, else from the name;
//   - slug: ICU "Any-Latin; Latin-ASCII" transliteration, lower case, commas between digits
//     dropped ("1,000" -> "1000"), every run of other characters outside [a-z0-9] replaced
//     by one '_', leading and trailing '_' trimmed;
//   - prefix `custom_` unless the slug already starts with it; an empty slug becomes
//     `custom_` followed by 32 random lowercase hex digits;
//   - `custom_mcp_` is reserved: a requested id in it is refused (Error reserved_id); a name
//     that would land in it becomes `custom_oauth_mcp_...` instead;
//   - while the id is taken (for the same grant type, by a built-in or one of the
//     workspace's custom providers), `_1`, `_2`, ... is appended.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::core {

inline constexpr std::string_view kCustomPrefix = "custom_";
inline constexpr std::string_view kReservedMcpPrefix = "custom_mcp_";

// Lower-case ASCII slug of any Unicode text, as described above (no prefix).
std::string slugify(std::string_view utf8_text);

// Answers whether an id is already used for the grant type being created.
using IdTaken = std::function<bool(const std::string& id)>;
// Returns `count` random lowercase hex digits.
using RandomHex = std::function<std::string(std::size_t count)>;

// Hex digits from OpenSSL's CSPRNG.
std::string random_hex(std::size_t count);

std::string derive_custom_provider_id(const std::optional<std::string>& requested_id, std::string_view name,
                                      const IdTaken& taken, const RandomHex& random = random_hex);

}  // namespace tessera::core
