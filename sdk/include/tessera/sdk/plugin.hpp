// How a plugin exports its providers. One line at namespace scope in one source file:
//
//   TESSERA_PLUGIN("acme", "1.0.0", AcmeProvider, AcmeServiceProvider)
//
// It writes the ABI facts into the ELF section `.tessera_manifest` (read by the host before
// the file is ever loaded) and exports one extern "C" entry point, `tessera_plugin_v1`,
// through Boost.DLL's alias machinery. The entry point returns a descriptor listing a
// factory per provider class. Factories never throw: a constructor's exception becomes an
// error message the host reports.
#pragma once

#include <boost/dll/alias.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <type_traits>
#include <typeinfo>

#include "tessera/sdk/provider.hpp"
#include "tessera/sdk/version.hpp"

namespace tessera::sdk {

struct ProviderFactory {
  const char* class_name;  // mangled C++ type name, for reports
  // Returns a new provider, or nullptr after writing a message into error[0..error_size).
  OAuthProvider* (*create)(char* error, std::size_t error_size) noexcept;
  void (*destroy)(const OAuthProvider* provider) noexcept;
};

// What the entry point returns. struct_size comes first so a host can check how much of
// the structure a plugin filled in before reading any further.
struct PluginDescriptor {
  std::uint32_t struct_size;
  std::uint32_t sdk_major;
  std::uint32_t sdk_minor;
  std::uint32_t sdk_patch;
  const char* abi_tag;
  const char* name;
  const char* version;
  std::uint32_t provider_count;
  const ProviderFactory* providers;
};

using PluginEntryPoint = const PluginDescriptor*() noexcept;

namespace detail {

inline void copy_message(char* out, std::size_t size, const char* message) noexcept {
  if (size == 0) return;
  std::strncpy(out, message, size - 1);
  out[size - 1] = '\0';
}

template <class P>
OAuthProvider* create_provider(char* error, std::size_t error_size) noexcept {
  try {
    return new P();
  } catch (const std::exception& e) {
    copy_message(error, error_size, e.what());
  } catch (...) {
    copy_message(error, error_size, "the constructor threw a non-standard exception");
  }
  return nullptr;
}

inline void destroy_provider(const OAuthProvider* provider) noexcept {
  delete provider;
}

template <class... P>
struct Plugin {
  static_assert(sizeof...(P) > 0, "TESSERA_PLUGIN needs at least one provider class");
  static_assert((std::is_base_of_v<OAuthProvider, P> && ...),
                "TESSERA_PLUGIN: every class must derive from AuthorizationCodeOAuthProvider "
                "or ClientCredentialsOAuthProvider");
  static_assert((std::is_default_constructible_v<P> && ...),
                "TESSERA_PLUGIN: every provider class needs a default constructor");

  static const PluginDescriptor* descriptor(const char* name, const char* version) noexcept {
    static const ProviderFactory factories[] = {{typeid(P).name(), &create_provider<P>, &destroy_provider}...};
    static const PluginDescriptor d{sizeof(PluginDescriptor),
                                    TESSERA_SDK_VERSION_MAJOR,
                                    TESSERA_SDK_VERSION_MINOR,
                                    TESSERA_SDK_VERSION_PATCH,
                                    TESSERA_SDK_ABI_TAG,
                                    name,
                                    version,
                                    sizeof...(P),
                                    factories};
    return &d;
  }
};

}  // namespace detail
}  // namespace tessera::sdk

// The manifest is plain text, one key=value per line, so `readelf -p .tessera_manifest`
// shows it and the host can parse it without loading the file.
#define TESSERA_PLUGIN_MANIFEST_TEXT(NAME, VERSION) \
  "tessera-manifest 1\n"                            \
  "sdk_version=" TESSERA_SDK_VERSION_STRING         \
  "\n"                                              \
  "abi_tag=" TESSERA_SDK_ABI_TAG                    \
  "\n"                                              \
  "plugin=" NAME                                    \
  "\n"                                              \
  "plugin_version=" VERSION "\n"

#define TESSERA_PLUGIN(NAME, VERSION, ...)                                         \
  namespace tessera_plugin_entry {                                                 \
  [[gnu::section(".tessera_manifest"), gnu::used]] static const char manifest[] =  \
      TESSERA_PLUGIN_MANIFEST_TEXT(NAME, VERSION);                                 \
  const ::tessera::sdk::PluginDescriptor* descriptor() noexcept {                  \
    return ::tessera::sdk::detail::Plugin<__VA_ARGS__>::descriptor(NAME, VERSION); \
  }                                                                                \
  }                                                                                \
  BOOST_DLL_ALIAS(tessera_plugin_entry::descriptor, tessera_plugin_v1)
