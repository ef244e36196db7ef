// Small helpers for what the CLI prints: aligned tables for people, JSON for scripts.
#pragma once

#include <boost/json/fwd.hpp>
#include <iosfwd>
#include <string>
#include <vector>

namespace tessera::host {

using Row = std::vector<std::string>;

// Columns padded to their widest cell; the last column is not padded.
void print_table(std::ostream& out, const Row& header, const std::vector<Row>& rows);

// One JSON document, pretty enough to read and stable enough to parse, then a newline.
void print_json(std::ostream& out, const boost::json::value& value);

}  // namespace tessera::host
