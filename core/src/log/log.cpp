#include "tessera/core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace tessera::core {
namespace {

std::atomic<LogLevel> g_level{log_level_from_environment()};
std::mutex g_mutex;
LogSink g_sink;

std::string_view name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  return "?";
}

void append_value(std::string& line, std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) plain = plain && c > ' ' && c != '"' && c != '=' && c != '\\' && c != 0x7f;
  if (plain) {
    line += value;
    return;
  }
  line += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') line += '\\';
    if (c == '\n')
      line += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20)
      line += ' ';
    else
      line += c;
  }
  line += '"';
}

}  // namespace

LogLevel log_level_from_environment() {
  const char* env = std::getenv("TESSERA_LOG_LEVEL");
  std::string_view v = env ? env : "";
  for (auto l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error, LogLevel::off})
    if (v == name(l)) return l;
  return LogLevel::warn;
}

void set_log_level(LogLevel level) {
  g_level = level;
}

void set_log_sink(LogSink sink) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
}

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (level < g_level.load() || level == LogLevel::off) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[24], ts[40];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(ts, sizeof ts, "%s.%03dZ", date, static_cast<int>(ms));
  std::string line = std::string("ts=") + ts + " level=" + std::string(name(level)) + " event=";
  append_value(line, event);
  for (const auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    append_value(line, v);
  }
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(line);
  } else {
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

}  // namespace tessera::core
