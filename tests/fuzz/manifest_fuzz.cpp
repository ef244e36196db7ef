// Fuzzes the ELF manifest reader with arbitrary files: it must reject, never crash, never
// read out of bounds, never accept what is not a manifest.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "tessera/core/plugin_manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = ::memfd_create("tessera-fuzz-plugin", 0);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) return 0;
  auto result = tessera::core::read_plugin_manifest(path);
  if (result.manifest && result.manifest->plugin_name.empty()) __builtin_trap();

  std::string message;
  (void)tessera::core::parse_manifest_text(std::string_view(reinterpret_cast<const char*>(data), size), message);
  return 0;
}
