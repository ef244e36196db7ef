#include "tessera/core/plugin_manifest.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

namespace tessera::core {
namespace {

#if defined(__x86_64__)
constexpr Elf64_Half kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr Elf64_Half kHostMachine = EM_AARCH64;
#else
#error "add the ELF machine of this architecture"
#endif
static_assert(sizeof(void*) == 8, "the manifest reader expects a 64-bit host");

// Real plugins have a few dozen sections and a section-name table of a few hundred bytes.
constexpr std::uint64_t kMaxSections = 1u << 16;
constexpr std::uint64_t kMaxNameTable = 1u << 20;

std::string machine_name(Elf64_Half machine) {
  switch (machine) {
    case EM_X86_64: return "x86_64";
    case EM_AARCH64: return "aarch64";
    case EM_386: return "i386";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC64: return "ppc64";
    case EM_S390: return "s390";
    default: return "machine " + std::to_string(machine);
  }
}

class FileReader {
 public:
  explicit FileReader(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  ~FileReader() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Empty when the file is usable, else what is wrong with it.
  std::string open_error() {
    if (fd_ < 0) return std::strerror(errno);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return std::strerror(errno);
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    size_ = static_cast<std::uint64_t>(st.st_size);
    return {};
  }

  std::uint64_t size() const noexcept { return size_; }

  bool contains(std::uint64_t offset, std::uint64_t length) const noexcept {
    return offset <= size_ && length <= size_ - offset;
  }

  // Reads exactly `length` bytes at `offset`; false if that range is not all in the file.
  bool read(std::uint64_t offset, void* out, std::uint64_t length) const {
    if (!contains(offset, length)) return false;
    auto* p = static_cast<char*>(out);
    while (length > 0) {
      ssize_t n = ::pread(fd_, p, length, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      p += n;
      offset += static_cast<std::uint64_t>(n);
      length -= static_cast<std::uint64_t>(n);
    }
    return true;
  }

 private:
  int fd_;
  std::uint64_t size_ = 0;
};

ManifestResult fail(ManifestProblem problem, std::string message) {
  return ManifestResult{std::nullopt, problem, std::move(message)};
}

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::string_view to_string(ManifestProblem problem) noexcept {
  switch (problem) {
    case ManifestProblem::unreadable: return "unreadable";
    case ManifestProblem::not_elf: return "not_elf";
    case ManifestProblem::truncated: return "truncated";
    case ManifestProblem::malformed_elf: return "malformed_elf";
    case ManifestProblem::wrong_architecture: return "wrong_architecture";
    case ManifestProblem::no_manifest: return "no_manifest";
    case ManifestProblem::malformed_manifest: return "malformed_manifest";
  }
  return "unknown";
}

std::optional<PluginManifest> parse_manifest_text(std::string_view text, std::string& message) {
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  if (std::any_of(text.begin(), text.end(), [](char c) { return c != '\n' && (c < 0x20 || c > 0x7e); })) {
    message = "the manifest contains bytes that are not printable ASCII";
    return std::nullopt;
  }
  PluginManifest m;
  bool header = false, has_sdk = false, has_abi = false, has_name = false;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (!header) {
      if (line != "tessera-manifest 1") {
        message = "the manifest does not start with 'tessera-manifest 1'";
        return std::nullopt;
      }
      header = true;
      continue;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;  // tolerate lines added by later SDKs
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "sdk_version") {
      std::size_t d1 = value.find('.'), d2 = value.find('.', d1 == value.npos ? d1 : d1 + 1);
      std::optional<int> ma, mi, pa;
      if (d1 != value.npos && d2 != value.npos) {
        ma = parse_int(value.substr(0, d1));
        mi = parse_int(value.substr(d1 + 1, d2 - d1 - 1));
        pa = parse_int(value.substr(d2 + 1));
      }
      if (!ma || !mi || !pa) {
        message = "the manifest's sdk_version '" + std::string(value) + "' is not MAJOR.MINOR.PATCH";
        return std::nullopt;
      }
      m.sdk_version = {*ma, *mi, *pa};
      has_sdk = true;
    } else if (key == "abi_tag") {
      m.abi_tag = value;
      has_abi = !value.empty();
    } else if (key == "plugin") {
      m.plugin_name = value;
      has_name = !value.empty();
    } else if (key == "plugin_version") {
      m.plugin_version = value;
    }
  }
  if (!header) {
    message = "the manifest is empty";
    return std::nullopt;
  }
  if (!has_sdk || !has_abi || !has_name) {
    message = std::string("the manifest lacks ") + (!has_sdk ? "sdk_version" : !has_abi ? "abi_tag" : "plugin");
    return std::nullopt;
  }
  return m;
}

ManifestResult read_plugin_manifest(const std::filesystem::path& file) {
  FileReader in(file);
  if (std::string err = in.open_error(); !err.empty())
    return fail(ManifestProblem::unreadable, "cannot read the file: " + err);

  unsigned char ident[EI_NIDENT] = {};
  const auto ident_len = std::min<std::uint64_t>(in.size(), EI_NIDENT);
  if (!in.read(0, ident, ident_len)) return fail(ManifestProblem::unreadable, "cannot read the file header");
  if (ident_len < SELFMAG || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    return fail(ManifestProblem::not_elf, "not an ELF file (no \\x7fELF magic): it is not a compiled plugin");
  if (in.size() < sizeof(Elf64_Ehdr))
    return fail(ManifestProblem::truncated, "the file ends inside its ELF header (" + std::to_string(in.size()) +
                                                " bytes): it was cut short; rebuild or recopy it");
  if (ident[EI_CLASS] != ELFCLASS64)
    return fail(ManifestProblem::wrong_architecture, "a 32-bit ELF file; the host is 64-bit");
  if (ident[EI_DATA] != ELFDATA2LSB)
    return fail(ManifestProblem::wrong_architecture, "a big-endian ELF file; the host is little-endian");
  if (ident[EI_VERSION] != EV_CURRENT) return fail(ManifestProblem::malformed_elf, "unknown ELF version");

  Elf64_Ehdr eh{};
  in.read(0, &eh, sizeof eh);
  if (eh.e_machine != kHostMachine)
    return fail(ManifestProblem::wrong_architecture,
                "built for " + machine_name(eh.e_machine) + ", the host is " + machine_name(kHostMachine));
  if (eh.e_type != ET_DYN)
    return fail(ManifestProblem::malformed_elf, "not a shared object (ELF type " + std::to_string(eh.e_type) +
                                                    "): build the plugin as a MODULE library");
  if (eh.e_shoff == 0)
    return fail(ManifestProblem::no_manifest, "the file has no section table, so no .tessera_manifest section");
  if (eh.e_shentsize != sizeof(Elf64_Shdr))
    return fail(ManifestProblem::malformed_elf, "section header size is " + std::to_string(eh.e_shentsize) +
                                                    ", expected " + std::to_string(sizeof(Elf64_Shdr)));

  // Extended numbering: counts that do not fit the header live in section 0.
  std::uint64_t count = eh.e_shnum;
  std::uint64_t names_index = eh.e_shstrndx;
  if (count == 0 || names_index == SHN_XINDEX) {
    Elf64_Shdr first{};
    if (!in.read(eh.e_shoff, &first, sizeof first))
      return fail(ManifestProblem::truncated, "the section table starts past the end of the file");
    if (count == 0) count = first.sh_size;
    if (names_index == SHN_XINDEX) names_index = first.sh_link;
  }
  if (count == 0) return fail(ManifestProblem::no_manifest, "the file has no sections, so no .tessera_manifest");
  if (count > kMaxSections)
    return fail(ManifestProblem::malformed_elf, "the file claims " + std::to_string(count) + " sections");
  if (!in.contains(eh.e_shoff, count * sizeof(Elf64_Shdr)))
    return fail(ManifestProblem::truncated, "the section table (" + std::to_string(count) + " entries at offset " +
                                                std::to_string(eh.e_shoff) + ") extends past the end of the file (" +
                                                std::to_string(in.size()) + " bytes): it was cut short");
  std::vector<Elf64_Shdr> sections(count);
  in.read(eh.e_shoff, sections.data(), count * sizeof(Elf64_Shdr));

  if (names_index >= count)
    return fail(ManifestProblem::malformed_elf, "the section-name table index " + std::to_string(names_index) +
                                                    " is out of range (" + std::to_string(count) + " sections)");
  const Elf64_Shdr& names_hdr = sections[names_index];
  if (names_hdr.sh_type == SHT_NOBITS || names_hdr.sh_size > kMaxNameTable)
    return fail(ManifestProblem::malformed_elf, "the section-name table is invalid");
  if (!in.contains(names_hdr.sh_offset, names_hdr.sh_size))
    return fail(ManifestProblem::truncated,
                "the section-name table extends past the end of the file: it was cut short");
  std::string names(names_hdr.sh_size, '\0');
  in.read(names_hdr.sh_offset, names.data(), names.size());

  const std::string_view wanted = sdk::kManifestSectionName;
  const Elf64_Shdr* manifest = nullptr;
  for (const auto& s : sections) {
    if (s.sh_name >= names.size())
      return fail(ManifestProblem::malformed_elf, "a section name lies outside the section-name table");
    std::size_t end = names.find('\0', s.sh_name);
    if (end == std::string::npos) return fail(ManifestProblem::malformed_elf, "a section name is not terminated");
    if (std::string_view(names).substr(s.sh_name, end - s.sh_name) != wanted) continue;
    if (manifest) return fail(ManifestProblem::malformed_manifest, "the file has two .tessera_manifest sections");
    manifest = &s;
  }
  if (!manifest)
    return fail(ManifestProblem::no_manifest,
                "no .tessera_manifest section: the file was not built with TESSERA_PLUGIN from the Tessera SDK");
  if (manifest->sh_type == SHT_NOBITS || manifest->sh_size == 0)
    return fail(ManifestProblem::malformed_manifest, "the .tessera_manifest section is empty");
  if (manifest->sh_size > kMaxManifestSize)
    return fail(ManifestProblem::malformed_manifest, "the .tessera_manifest section is " +
                                                         std::to_string(manifest->sh_size) + " bytes (limit " +
                                                         std::to_string(kMaxManifestSize) + ")");
  if (!in.contains(manifest->sh_offset, manifest->sh_size))
    return fail(ManifestProblem::truncated,
                "the .tessera_manifest section extends past the end of the file: it was cut short");
  std::string text(manifest->sh_size, '\0');
  in.read(manifest->sh_offset, text.data(), text.size());

  std::string message;
  auto parsed = parse_manifest_text(text, message);
  if (!parsed) return fail(ManifestProblem::malformed_manifest, message);
  return ManifestResult{std::move(parsed), ManifestProblem::unreadable, {}};
}

}  // namespace tessera::core
