#include "cli/output.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <ostream>

namespace tessera::host {
namespace {

void pretty(std::ostream& out, const boost::json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  const std::string inner(static_cast<std::size_t>(indent + 1) * 2, ' ');
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out << "{}";
      return;
    }
    out << "{\n";
    bool first = true;
    for (const auto& kv : o) {
      if (!first) out << ",\n";
      first = false;
      out << inner << boost::json::serialize(boost::json::value(kv.key())) << ": ";
      pretty(out, kv.value(), indent + 1);
    }
    out << "\n" << pad << "}";
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out << "[]";
      return;
    }
    out << "[\n";
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i) out << ",\n";
      out << inner;
      pretty(out, a[i], indent + 1);
    }
    out << "\n" << pad << "]";
  } else {
    out << boost::json::serialize(v);
  }
}

}  // namespace

void print_table(std::ostream& out, const Row& header, const std::vector<Row>& rows) {
  std::vector<std::size_t> width(header.size(), 0);
  auto measure = [&](const Row& r) {
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  };
  measure(header);
  for (const auto& r : rows) measure(r);
  auto print = [&](const Row& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      out << r[i];
      if (i + 1 < r.size()) out << std::string(width[i] - r[i].size() + 2, ' ');
    }
    out << '\n';
  };
  print(header);
  for (const auto& r : rows) print(r);
}

std::string mask(const std::string& secret, bool show) {
  if (show) return secret;
  return secret.substr(0, std::min<std::size_t>(4, secret.size() / 4)) + "...[masked, " +
         std::to_string(secret.size()) + " characters; --show-secrets prints it]";
}

std::string iso8601(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void print_json(std::ostream& out, const boost::json::value& value) {
  pretty(out, value, 0);
  out << '\n';
}

}  // namespace tessera::host
