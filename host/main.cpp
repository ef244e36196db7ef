#include "cli/app.hpp"

int main(int argc, char** argv) {
  return tessera::host::run(argc, argv);
}
