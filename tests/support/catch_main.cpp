// The one Catch2 main of the test suite, compiled once and linked into every test binary.
// It sets up the process the way a host does (core::Runtime) before any test runs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "tessera/core/runtime.hpp"

int main(int argc, char* argv[]) {
  tessera::core::Runtime runtime;
  return Catch::Session().run(argc, argv);
}
