#include "tessera/sdk/spec.hpp"

#include <algorithm>
#include <array>

namespace tessera::sdk {
namespace {

constexpr std::array<std::pair<GrantType, std::string_view>, 2> kGrantNames{{
    {GrantType::authorization_code, "authorization_code"},
    {GrantType::client_credentials, "client_credentials"},
}};

constexpr std::array<std::pair<ClientAuth, std::string_view>, 5> kClientAuthNames{{
    {ClientAuth::client_secret_basic, "client_secret_basic"},
    {ClientAuth::client_secret_post, "client_secret_post"},
    {ClientAuth::none, "none"},
    {ClientAuth::private_key_jwt, "private_key_jwt"},
    {ClientAuth::jwt_bearer, "jwt_bearer"},
}};

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& names, E value) noexcept {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& names, std::string_view text) noexcept {
  for (const auto& [v, name] : names)
    if (name == text) return v;
  return std::nullopt;
}

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_host_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_dns_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    if (!is_host_label(name.substr(start, dot == std::string_view::npos ? dot : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_email(std::string_view text) noexcept {
  std::size_t at = text.find('@');
  if (at == 0 || at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) return false;
  std::string_view local = text.substr(0, at);
  bool local_ok = std::all_of(local.begin(), local.end(), [](char c) {
    return is_alnum(c) || std::string_view(".!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
  });
  return local_ok && is_dns_name(text.substr(at + 1));
}

}  // namespace

std::string_view to_string(GrantType grant) noexcept {
  return name_of(kGrantNames, grant);
}
std::string_view to_string(ClientAuth auth) noexcept {
  return name_of(kClientAuthNames, auth);
}
std::optional<GrantType> parse_grant_type(std::string_view text) noexcept {
  return value_of(kGrantNames, text);
}
std::optional<ClientAuth> parse_client_auth(std::string_view text) noexcept {
  return value_of(kClientAuthNames, text);
}

std::string_view to_string(FieldKind kind) noexcept {
  switch (kind) {
    case FieldKind::text: return "text";
    case FieldKind::host_label: return "host_label";
    case FieldKind::dns_name: return "dns_name";
    case FieldKind::email: return "email";
  }
  return "unknown";
}

std::optional<std::string> check_field_value(const ConfigField& field, std::string_view value) {
  const std::string label = field.label.empty() ? field.name : field.label;
  switch (field.kind) {
    case FieldKind::text: return std::nullopt;
    case FieldKind::host_label:
      if (is_host_label(value)) return std::nullopt;
      return label + " must be a single host name label (letters, digits and '-', at most 63 characters)";
    case FieldKind::dns_name:
      if (is_dns_name(value)) return std::nullopt;
      return label + " must be a domain name or identifier made of letters, digits, '-' and '.'";
    case FieldKind::email:
      if (is_email(value)) return std::nullopt;
      return label + " must be an email address such as user@example.com";
  }
  return std::nullopt;
}

std::vector<std::string> effective_scopes(const ProviderSpec& spec, const ProviderConfig& config) {
  return config.scopes ? *config.scopes : spec.default_scopes;
}

std::string join_scopes(const std::vector<std::string>& scopes, std::string_view separator) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += separator;
    out += s;
  }
  return out;
}

std::vector<std::string> split_scopes(std::string_view text, std::string_view separator) {
  std::vector<std::string> out;
  if (separator.empty()) separator = " ";
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + separator.size();
  }
  return out;
}

const std::string* find_param(const Params& params, std::string_view name) noexcept {
  for (const auto& [k, v] : params)
    if (k == name) return &v;
  return nullptr;
}

}  // namespace tessera::sdk
