// The ELF manifest reader against real plugin files and hand-made hostile ones.
#include <elf.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "support/temp_dir.hpp"
#include "tessera/core/plugin_manifest.hpp"

using namespace tessera::core;
using tessera::test::TempDir;
using tessera::test::write_file;

namespace {

const std::string kGoodManifest =
    "tessera-manifest 1\nsdk_version=1.2.3\nabi_tag=gcc-12/cxx11abi-1/boost-1_81\nplugin=acme\nplugin_version=0.1\n";

// Builds a minimal ELF64 shared object: header, section contents, section table.
struct ElfImage {
  std::vector<std::pair<std::string, std::string>> sections{{".tessera_manifest", kGoodManifest + '\0'}};

  std::string bytes() const {
    std::string names(1, '\0');
    std::vector<Elf64_Shdr> headers(1);  // index 0: the null section
    std::string body;
    const std::size_t data_start = sizeof(Elf64_Ehdr);
    for (const auto& [name, content] : sections) {
      Elf64_Shdr h{};
      h.sh_name = static_cast<Elf64_Word>(names.size());
      names += name + '\0';
      h.sh_type = SHT_PROGBITS;
      h.sh_flags = SHF_ALLOC;
      h.sh_offset = data_start + body.size();
      h.sh_size = content.size();
      body += content;
      headers.push_back(h);
    }
    Elf64_Shdr strtab{};
    strtab.sh_name = static_cast<Elf64_Word>(names.size());
    names += std::string(".shstrtab") + '\0';
    strtab.sh_type = SHT_STRTAB;
    strtab.sh_offset = data_start + body.size();
    strtab.sh_size = names.size();
    body += names;
    headers.push_back(strtab);

    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shoff = data_start + body.size();
    eh.e_shnum = static_cast<Elf64_Half>(headers.size());
    eh.e_shstrndx = static_cast<Elf64_Half>(headers.size() - 1);

    std::string out(reinterpret_cast<const char*>(&eh), sizeof eh);
    out += body;
    out.append(reinterpret_cast<const char*>(headers.data()), headers.size() * sizeof(Elf64_Shdr));
    return out;
  }
};

Elf64_Ehdr header_of(const std::string& b) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, b.data(), sizeof eh);
  return eh;
}
void set_header(std::string& b, const Elf64_Ehdr& eh) {
  std::memcpy(b.data(), &eh, sizeof eh);
}
Elf64_Shdr section_of(const std::string& b, std::size_t i) {
  Elf64_Shdr s;
  std::memcpy(&s, b.data() + header_of(b).e_shoff + i * sizeof s, sizeof s);
  return s;
}
void set_section(std::string& b, std::size_t i, const Elf64_Shdr& s) {
  std::memcpy(b.data() + header_of(b).e_shoff + i * sizeof s, &s, sizeof s);
}

struct Reader {
  TempDir dir;
  ManifestResult read(const std::string& bytes) {
    auto file = dir / "tessera_provider_x.so";
    write_file(file, bytes);
    return read_plugin_manifest(file);
  }
  ManifestProblem problem(const std::string& bytes) {
    auto r = read(bytes);
    CHECK_FALSE(r.manifest);
    CHECK_FALSE(r.message.empty());
    return r.problem;
  }
};

}  // namespace

TEST_CASE("a real plugin's manifest is read without loading it") {
  auto r = read_plugin_manifest(std::filesystem::path(TESSERA_TEST_PLUGIN_DIR) / "tessera_provider_github.so");
  REQUIRE(r.manifest);
  CHECK(r.manifest->plugin_name == "github");
  CHECK(r.manifest->plugin_version == "1.0.0");
  CHECK(r.manifest->abi_tag == tessera::sdk::kSdkAbiTag);
  CHECK(r.manifest->sdk_version.major == TESSERA_SDK_VERSION_MAJOR);
  CHECK(r.manifest->sdk_version.minor == TESSERA_SDK_VERSION_MINOR);
}

TEST_CASE("a well-formed image parses") {
  Reader reader;
  auto r = reader.read(ElfImage{}.bytes());
  REQUIRE(r.manifest);
  CHECK(r.manifest->sdk_version.major == 1);
  CHECK(r.manifest->sdk_version.minor == 2);
  CHECK(r.manifest->sdk_version.patch == 3);
  CHECK(r.manifest->plugin_name == "acme");
}

TEST_CASE("files that are not ELF, or not ours") {
  Reader reader;
  CHECK(reader.problem("") == ManifestProblem::not_elf);
  CHECK(reader.problem("#!/bin/sh\necho hi\n") == ManifestProblem::not_elf);
  CHECK(reader.problem("\x7f"
                       "EL") == ManifestProblem::not_elf);
  CHECK(reader.problem(std::string("\x7f"
                                   "ELF",
                                   4)) == ManifestProblem::truncated);

  std::string b = ElfImage{}.bytes();
  SECTION("32-bit") {
    b[EI_CLASS] = ELFCLASS32;
    CHECK(reader.problem(b) == ManifestProblem::wrong_architecture);
  }
  SECTION("big-endian") {
    b[EI_DATA] = ELFDATA2MSB;
    CHECK(reader.problem(b) == ManifestProblem::wrong_architecture);
  }
  SECTION("another machine") {
    auto eh = header_of(b);
    eh.e_machine = EM_AARCH64;
    set_header(b, eh);
    auto r = reader.read(b);
    CHECK(r.problem == ManifestProblem::wrong_architecture);
    CHECK_THAT(r.message, Catch::Contains("aarch64") && Catch::Contains("x86_64"));
  }
  SECTION("an executable, not a shared object") {
    auto eh = header_of(b);
    eh.e_type = ET_EXEC;
    set_header(b, eh);
    CHECK(reader.problem(b) == ManifestProblem::malformed_elf);
  }
  SECTION("a directory named like a plugin") {
    std::filesystem::create_directory(reader.dir / "tessera_provider_dir.so");
    CHECK(read_plugin_manifest(reader.dir / "tessera_provider_dir.so").problem == ManifestProblem::unreadable);
  }
  SECTION("a missing file") {
    CHECK(read_plugin_manifest(reader.dir / "nope.so").problem == ManifestProblem::unreadable);
  }
}

TEST_CASE("every truncation of a valid image is rejected, never read past the end") {
  Reader reader;
  const std::string b = ElfImage{}.bytes();
  for (std::size_t len = 0; len < b.size(); ++len) {
    CAPTURE(len);
    auto r = reader.read(b.substr(0, len));
    CHECK_FALSE(r.manifest);
  }
}

TEST_CASE("hostile section tables") {
  Reader reader;
  std::string b = ElfImage{}.bytes();
  auto eh = header_of(b);

  SECTION("section table offset past the end") {
    eh.e_shoff = b.size() + 1000;
    set_header(b, eh);
    CHECK(reader.problem(b) == ManifestProblem::truncated);
  }
  SECTION("section table offset that overflows when added to") {
    eh.e_shoff = ~0ull - 8;
    set_header(b, eh);
    CHECK(reader.problem(b) == ManifestProblem::truncated);
  }
  SECTION("a huge section count") {
    eh.e_shnum = 0xffff;
    set_header(b, eh);
    CHECK(reader.problem(b) == ManifestProblem::truncated);
  }
  SECTION("an extended section count far beyond any real file") {
    auto s0 = section_of(b, 0);
    s0.sh_size = 1ull << 40;
    set_section(b, 0, s0);
    eh.e_shnum = 0;
    set_header(b, eh);
    CHECK(reader.problem(b) == ManifestProblem::malformed_elf);
  }
  SECTION("a wrong section header size") {
    eh.e_shentsize = 12;
    set_header(b, eh);
    CHECK(reader.problem(b) == ManifestProblem::malformed_elf);
  }
  SECTION("no section table at all") {
    eh.e_shoff = 0;
    set_header(b, eh);
    CHECK(reader.problem(b) == ManifestProblem::no_manifest);
  }
  SECTION("section-name table index out of range") {
    eh.e_shstrndx = 40;
    set_header(b, eh);
    CHECK(reader.problem(b) == ManifestProblem::malformed_elf);
  }
  SECTION("section-name table past the end") {
    auto s = section_of(b, eh.e_shstrndx);
    s.sh_offset = b.size() - 2;
    set_section(b, eh.e_shstrndx, s);
    CHECK(reader.problem(b) == ManifestProblem::truncated);
  }
  SECTION("a section name offset outside the name table") {
    auto s = section_of(b, 1);
    s.sh_name = 100000;
    set_section(b, 1, s);
    CHECK(reader.problem(b) == ManifestProblem::malformed_elf);
  }
  SECTION("manifest section past the end of the file") {
    auto s = section_of(b, 1);
    s.sh_offset = b.size();
    set_section(b, 1, s);
    CHECK(reader.problem(b) == ManifestProblem::truncated);
  }
  SECTION("manifest section with a size that overflows") {
    auto s = section_of(b, 1);
    s.sh_size = ~0ull;
    set_section(b, 1, s);
    CHECK(reader.problem(b) == ManifestProblem::malformed_manifest);
  }
  SECTION("manifest section of type NOBITS") {
    auto s = section_of(b, 1);
    s.sh_type = SHT_NOBITS;
    set_section(b, 1, s);
    CHECK(reader.problem(b) == ManifestProblem::malformed_manifest);
  }
}

TEST_CASE("manifest sections that are missing, doubled, oversized or garbled") {
  Reader reader;
  ElfImage img;
  SECTION("missing") {
    img.sections = {{".text", std::string(32, '\x90')}};
    CHECK(reader.problem(img.bytes()) == ManifestProblem::no_manifest);
  }
  SECTION("doubled") {
    img.sections.push_back(img.sections.front());
    CHECK(reader.problem(img.bytes()) == ManifestProblem::malformed_manifest);
  }
  SECTION("oversized") {
    img.sections = {{".tessera_manifest", kGoodManifest + std::string(kMaxManifestSize, '\0')}};
    CHECK(reader.problem(img.bytes()) == ManifestProblem::malformed_manifest);
  }
  SECTION("garbled") {
    for (std::string text :
         {std::string(""), std::string("hello"), std::string("tessera-manifest 2\nsdk_version=1.0.0\n"),
          std::string("tessera-manifest 1\nabi_tag=x\nplugin=p\n"),
          std::string("tessera-manifest 1\nsdk_version=1.x.0\nabi_tag=x\nplugin=p\n"),
          std::string("tessera-manifest 1\nsdk_version=1.0\nabi_tag=x\nplugin=p\n"),
          std::string("tessera-manifest 1\nsdk_version=1.0.0\nplugin=p\n"),
          std::string("tessera-manifest 1\nsdk_version=1.0.0\nabi_tag=x\n"),
          std::string("tessera-manifest 1\nsdk_version=1.0.0\nabi_tag=\x01\nplugin=p\n")}) {
      CAPTURE(text);
      img.sections = {{".tessera_manifest", text + '\0'}};
      CHECK(reader.problem(img.bytes()) == ManifestProblem::malformed_manifest);
    }
  }
  SECTION("unknown keys from a later SDK are tolerated") {
    img.sections = {{".tessera_manifest", kGoodManifest + "future_key=1\n"}};
    CHECK(reader.read(img.bytes()).manifest);
  }
}
