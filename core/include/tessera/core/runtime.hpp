// Process-wide initialisation of the libraries core uses (libcurl). A host creates one
// Runtime at the start of main, before any thread is started, and keeps it until exit.
#pragma once

namespace tessera::core {

class Runtime {
 public:
  Runtime();
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
};

}  // namespace tessera::core
