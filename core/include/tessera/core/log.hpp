// Structured logs: one line per event, key=value pairs, levels honoured. Callers pass
// identifiers and outcomes, never secret values; the store and the engine keep secrets out
// of their messages, so error texts may be logged as they are.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::core {

enum class LogLevel { debug, info, warn, error, off };

using LogField = std::pair<std::string_view, std::string_view>;
using LogSink = std::function<void(std::string_view line)>;

// TESSERA_LOG_LEVEL (debug, info, warn, error, off); warn when unset.
LogLevel log_level_from_environment();
void set_log_level(LogLevel level);
// Where lines go (stderr by default). Pass nullptr to restore the default.
void set_log_sink(LogSink sink);

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

}  // namespace tessera::core
