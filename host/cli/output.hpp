// Small helpers for what the CLI prints: aligned tables for people, JSON for scripts.
#pragma once

#include <boost/json/fwd.hpp>
#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

namespace tessera::host {

using Row = std::vector<std::string>;

// Columns padded to their widest cell; the last column is not padded.
void print_table(std::ostream& out, const Row& header, const std::vector<Row>& rows);

// One JSON document, pretty enough to read and stable enough to parse, then a newline.
void print_json(std::ostream& out, const boost::json::value& value);

// A secret as printed: in full with `show`, else its first characters and its length.
std::string mask(const std::string& secret, bool show);

// 2026-12-04T20:15:00Z
std::string iso8601(std::chrono::system_clock::time_point t);

}  // namespace tessera::host
