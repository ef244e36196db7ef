// tessera providers list [--grant-type G] [--json]
// tessera providers show ID [--grant-type G] [--json]
#include <boost/json.hpp>
#include <iostream>
#include <memory>

#include "cli/app.hpp"
#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "tessera/core/describe.hpp"

namespace tessera::host {
namespace {

const std::vector<std::string> kGrantNames{"authorization_code", "client_credentials"};

std::optional<sdk::GrantType> grant_filter(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return sdk::parse_grant_type(text);
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

void print_provider(std::ostream& out, const core::RegisteredProvider& p) {
  const auto& s = p.spec();
  const auto& m = s.metadata;
  out << m.name << " (" << s.id << ", " << sdk::to_string(s.grant_type) << ")\n";
  if (!m.description.empty()) out << "  " << m.description << "\n";
  out << "\n";
  std::vector<Row> rows{
      {"plugin", p.origin().plugin_name + " " + p.origin().plugin_version},
      {"source", p.origin().source},
      {"enabled", m.enabled ? "yes" : "no"},
      {"authorization endpoint", or_dash(s.authorization_endpoint)},
      {"token endpoint", or_dash(s.token_endpoint)},
      {"revocation endpoint", or_dash(s.revocation_endpoint)},
      {"default scopes", or_dash(sdk::join_scopes(s.default_scopes, " "))},
      {"scope separator", "'" + s.scope_separator + "'"},
      {"pkce", s.grant_type == sdk::GrantType::authorization_code ? (s.pkce ? "S256" : "off") : "-"},
      {"client authentication", std::string(sdk::to_string(s.client_auth))},
      {"api docs", or_dash(m.api_docs_url)},
      {"setup guide", or_dash(m.setup_guide_url)},
      {"troubleshooting", or_dash(m.troubleshooting_url)},
  };
  for (const auto& r : rows) out << "  " << r[0] << ":" << std::string(24 - r[0].size(), ' ') << r[1] << "\n";
  if (!s.config_fields.empty()) {
    out << "\n  configuration:\n";
    for (const auto& f : s.config_fields) {
      out << "    " << f.name << " (" << sdk::to_string(f.kind) << (f.required ? ", required" : ", optional");
      if (f.default_value) out << ", default " << *f.default_value;
      out << "): " << f.description << "\n";
    }
  }
  if (!m.setup_instructions.empty()) out << "\n  setup: " << m.setup_instructions << "\n";
}

}  // namespace

void add_providers_command(CLI::App& app, const GlobalOptions& options, Action& action) {
  CLI::App* providers = app.add_subcommand("providers", "List and inspect the OAuth providers of the loaded plugins");
  providers->require_subcommand(1);

  struct Args {
    std::string grant;
    bool json = false;
    std::string id;
  };
  auto args = std::make_shared<Args>();

  CLI::App* list = providers->add_subcommand("list", "List every provider, ordered by id and grant type");
  list->add_option("--grant-type", args->grant, "Only providers of this grant type")->check(CLI::IsMember(kGrantNames));
  list->add_flag("--json", args->json, "Print JSON for scripts");
  list->callback([&options, &action, args] {
    action = [&options, args] {
      core::ProviderRegistry registry;
      load_registry(options, registry, true);
      auto entries = registry.list(grant_filter(args->grant));
      if (args->json) {
        boost::json::array out;
        for (const auto* p : entries) out.push_back(core::describe(*p));
        print_json(std::cout, out);
        return kExitOk;
      }
      std::vector<Row> rows;
      for (const auto* p : entries)
        rows.push_back({p->spec().id, std::string(sdk::to_string(p->spec().grant_type)), p->spec().metadata.name,
                        p->origin().plugin_name});
      print_table(std::cout, {"ID", "GRANT TYPE", "NAME", "PLUGIN"}, rows);
      std::cout << entries.size() << " provider" << (entries.size() == 1 ? "" : "s") << "\n";
      return kExitOk;
    };
  });

  CLI::App* show = providers->add_subcommand("show", "Show one provider's metadata, endpoints, scopes and settings");
  show->add_option("id", args->id, "Provider id, e.g. github")->required();
  show->add_option("--grant-type", args->grant, "Only this grant type (an id may exist once per grant type)")
      ->check(CLI::IsMember(kGrantNames));
  show->add_flag("--json", args->json, "Print JSON for scripts");
  show->callback([&options, &action, args] {
    action = [&options, args] {
      core::ProviderRegistry registry;
      load_registry(options, registry, true);
      std::vector<const core::RegisteredProvider*> matches;
      for (const auto* p : registry.find_all(args->id))
        if (!grant_filter(args->grant) || p->spec().grant_type == grant_filter(args->grant)) matches.push_back(p);
      if (matches.empty()) {
        std::cerr << "tessera: no provider '" << args->id << "'"
                  << (args->grant.empty() ? "" : " with grant type " + args->grant)
                  << "; `tessera providers list` shows the available ones\n";
        return kExitFailure;
      }
      if (args->json) {
        boost::json::array out;
        for (const auto* p : matches) out.push_back(core::describe(*p));
        print_json(std::cout, out);
        return kExitOk;
      }
      for (std::size_t i = 0; i < matches.size(); ++i) {
        if (i) std::cout << "\n";
        print_provider(std::cout, *matches[i]);
      }
      return kExitOk;
    };
  });
}

}  // namespace tessera::host
