// Version of the provider SDK, and the ABI facts a plugin is checked against before it is
// loaded. A plugin is compatible when its SDK major equals the host's and its minor is not
// newer; its ABI tag must equal the host's exactly.
#pragma once

#include <boost/version.hpp>
#include <cstddef>  // defines _GLIBCXX_USE_CXX11_ABI

#define TESSERA_SDK_VERSION_MAJOR 1
#define TESSERA_SDK_VERSION_MINOR 0
#define TESSERA_SDK_VERSION_PATCH 0

#define TESSERA_SDK_STRINGIFY_(x) #x
#define TESSERA_SDK_STRINGIFY(x) TESSERA_SDK_STRINGIFY_(x)

#define TESSERA_SDK_VERSION_STRING                 \
  TESSERA_SDK_STRINGIFY(TESSERA_SDK_VERSION_MAJOR) \
  "." TESSERA_SDK_STRINGIFY(TESSERA_SDK_VERSION_MINOR) "." TESSERA_SDK_STRINGIFY(TESSERA_SDK_VERSION_PATCH)

// Compiler family and major version: C++ objects cross the plugin boundary, so both sides
// must agree on layout and name mangling.
#if defined(__clang__)
#define TESSERA_SDK_COMPILER_TAG "clang-" TESSERA_SDK_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define TESSERA_SDK_COMPILER_TAG "gcc-" TESSERA_SDK_STRINGIFY(__GNUC__)
#else
#error "Tessera plugins are built with GCC or Clang"
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define TESSERA_SDK_STDLIB_TAG "cxx11abi-" TESSERA_SDK_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#else
#define TESSERA_SDK_STDLIB_TAG "libcxx"
#endif

// Boost.JSON objects are passed to parse_token_response, so the Boost release is part of it.
#define TESSERA_SDK_ABI_TAG TESSERA_SDK_COMPILER_TAG "/" TESSERA_SDK_STDLIB_TAG "/boost-" BOOST_LIB_VERSION

namespace tessera::sdk {

struct SdkVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
};

inline constexpr SdkVersion kSdkVersion{TESSERA_SDK_VERSION_MAJOR, TESSERA_SDK_VERSION_MINOR,
                                        TESSERA_SDK_VERSION_PATCH};
inline constexpr const char* kSdkAbiTag = TESSERA_SDK_ABI_TAG;

// The exported entry point of a plugin and the ELF section holding its manifest.
inline constexpr const char* kPluginEntryPointName = "tessera_plugin_v1";
inline constexpr const char* kManifestSectionName = ".tessera_manifest";

// True when a plugin built against `plugin` may be loaded by a host providing `host`.
constexpr bool is_compatible(SdkVersion plugin, SdkVersion host) noexcept {
  return plugin.major == host.major && plugin.minor <= host.minor;
}

}  // namespace tessera::sdk
