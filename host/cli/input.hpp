// Reading what the user gives the CLI: secrets (from a file or standard input, never from
// the command line) and key=value settings.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tessera::host {

// The secret in `file`, or read from standard input (without echo on a terminal) when
// `file` is empty. Trailing newlines are dropped; an empty secret is an error.
std::string read_secret(const std::string& file, const std::string& label);

// {"tenant=contoso", "region=eu"} -> map; throws Error(invalid_argument) for anything else.
std::map<std::string, std::string> parse_settings(const std::vector<std::string>& settings);

}  // namespace tessera::host
