// Shared fixtures of the integration tests: the built-in plugins loaded once, and HTTP
// options for talking to the loopback server.
#pragma once

#include <string>

#include "tessera/core/http.hpp"
#include "tessera/core/registry.hpp"

namespace tessera::test {

// The six built-in plugins of the build tree, loaded once per test process.
const core::ProviderRegistry& builtin_registry();

// Development endpoints allowed (http, loopback), no proxy, `ca` trusted when given.
core::HttpOptions loopback_http_options(const std::string& ca = "");

}  // namespace tessera::test
