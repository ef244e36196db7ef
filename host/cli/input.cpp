#include "cli/input.hpp"

#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "tessera/core/error.hpp"

namespace tessera::host {

std::string read_secret(const std::string& file, const std::string& label) {
  std::string secret;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(ErrorCode::io_error, "cannot read " + file);
    std::ostringstream s;
    s << in.rdbuf();
    secret = s.str();
  } else if (::isatty(STDIN_FILENO)) {
    std::cerr << "Client secret for " << label << ": " << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, secret);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  } else {
    std::ostringstream s;
    s << std::cin.rdbuf();
    secret = s.str();
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty())
    throw Error(ErrorCode::invalid_argument,
                "no client secret given: pass --client-secret-file, pipe it on standard "
                "input, or use --no-client-secret for a public client");
  return secret;
}

std::map<std::string, std::string> parse_settings(const std::vector<std::string>& settings) {
  std::map<std::string, std::string> out;
  for (const auto& kv : settings) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(ErrorCode::invalid_argument, "--config '" + kv + "' is not key=value");
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

}  // namespace tessera::host
