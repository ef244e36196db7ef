// JSON descriptions of registry entries and load reports, shared by the CLI's --json output
// and the REST API so that both speak the same shapes.
#pragma once

#include <boost/json/fwd.hpp>

#include "tessera/core/plugin_loader.hpp"
#include "tessera/core/registry.hpp"

namespace tessera::core {

// {"id", "grant_type", "name", "description", ..., "endpoints": {...}, "config_fields": [...],
//  "plugin": {"name", "version", "source"}}
boost::json::object describe(const RegisteredProvider& provider);
// {"path", "status", "plugin", "plugin_version", "sdk_version", "providers": [...],
//  "problems": [{"reason", "message"}]}
boost::json::object describe(const PluginReport& report);
// {"directories": [...], "warnings": [...], "plugins": [...], "summary": {...}}
boost::json::object describe(const LoadReport& report);

}  // namespace tessera::core
