// Entry of the `tessera` command line. Exit codes: 0 ok, 1 failure, 2 usage error.
#pragma once

namespace tessera::host {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int run(int argc, char** argv);

}  // namespace tessera::host
