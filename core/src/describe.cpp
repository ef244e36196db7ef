#include "tessera/core/describe.hpp"

#include <boost/json.hpp>

namespace tessera::core {
namespace {

boost::json::array strings(const std::vector<std::string>& values) {
  boost::json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

boost::json::value optional_string(const std::optional<std::string>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

boost::json::object key_json(const ProviderKey& key) {
  return {{"id", key.id}, {"grant_type", sdk::to_string(key.grant_type)}};
}

}  // namespace

boost::json::object describe(const RegisteredProvider& provider) {
  const sdk::ProviderSpec& s = provider.spec();
  const sdk::ProviderMetadata& m = s.metadata;
  boost::json::array fields;
  for (const auto& f : s.config_fields)
    fields.push_back(boost::json::object{{"name", f.name},
                                         {"label", f.label},
                                         {"description", f.description},
                                         {"kind", sdk::to_string(f.kind)},
                                         {"required", f.required},
                                         {"default", optional_string(f.default_value)}});
  return {{"id", s.id},
          {"grant_type", sdk::to_string(s.grant_type)},
          {"name", m.name},
          {"description", m.description},
          {"logo_url", m.logo_url},
          {"setup_instructions", m.setup_instructions},
          {"requires_config", m.requires_config},
          {"enabled", m.enabled},
          {"api_docs_url", m.api_docs_url},
          {"setup_guide_url", m.setup_guide_url},
          {"troubleshooting_url", m.troubleshooting_url},
          {"default_scopes", strings(s.default_scopes)},
          {"scope_separator", s.scope_separator},
          {"endpoints",
           {{"authorization", s.authorization_endpoint},
            {"token", s.token_endpoint},
            {"revocation", s.revocation_endpoint}}},
          {"pkce", s.pkce},
          {"client_auth", sdk::to_string(s.client_auth)},
          {"config_fields", std::move(fields)},
          {"plugin",
           {{"name", provider.origin().plugin_name},
            {"version", provider.origin().plugin_version},
            {"source", provider.origin().source}}}};
}

boost::json::object describe(const PluginReport& report) {
  boost::json::array providers, problems;
  for (const auto& k : report.providers) providers.push_back(key_json(k));
  for (const auto& p : report.problems) problems.push_back({{"reason", p.reason}, {"message", p.message}});
  return {{"path", report.path.string()},      {"status", to_string(report.status)},
          {"plugin", report.plugin_name},      {"plugin_version", report.plugin_version},
          {"sdk_version", report.sdk_version}, {"providers", std::move(providers)},
          {"problems", std::move(problems)}};
}

boost::json::object describe(const LoadReport& report) {
  boost::json::array dirs, plugins;
  for (const auto& d : report.directories) dirs.emplace_back(d.string());
  for (const auto& p : report.plugins) plugins.push_back(describe(p));
  return {{"directories", std::move(dirs)},
          {"warnings", strings(report.warnings)},
          {"plugins", std::move(plugins)},
          {"summary",
           {{"loaded", report.count(PluginStatus::loaded)},
            {"loaded_with_errors", report.count(PluginStatus::loaded_with_errors)},
            {"rejected", report.count(PluginStatus::rejected)}}}};
}

}  // namespace tessera::core
