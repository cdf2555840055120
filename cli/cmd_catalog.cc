// `writ catalog [SECTION] [--format text|json|md] [--policy FILE]...` (DESIGN §8): what a
// runbook can name — actions, event fields, types, channels, roles, regulations and the
// active policy — from the loaded stdlib and policy files. docs/catalog.md is its md output.
#include <iostream>

#include "cli/cli_support.h"
#include "compiler/catalog_view.h"

namespace writ::cli {

namespace {

struct CatalogArgs {
  std::string section;  // empty: every section
  std::string format = "text";
  std::vector<std::string> policies;
};

int run_catalog(const CatalogArgs& args, const CliContext& ctx) {
  Catalog catalog = load_catalog_or_report(ctx, args.policies);
  if (args.format == "json") {
    std::cout << catalog_json(catalog, args.section).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << '\n';
  } else if (args.format == "md") {
    std::cout << catalog_markdown(catalog, args.section);
  } else {
    std::cout << catalog_text(catalog, args.section);
  }
  return 0;
}

}  // namespace

void register_catalog_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<CatalogArgs>();
  auto* cmd = app.add_subcommand("catalog", "list the actions, event fields, types, channels, roles, regulations and policy");
  cmd->add_option("section", args->section, "print only this section")->check(CLI::IsMember(catalog_sections()));
  cmd->add_option("--format", args->format, "text, json or md")->check(CLI::IsMember({"text", "json", "md"}));
  cmd->add_option("--policy", args->policies, "policy file (DSL or YAML) overriding the default policy")
      ->allow_extra_args(false);
  add_catalog_option(cmd, ctx);
  cmd->callback([args, &ctx] { catalog_guarded(ctx, [&] { return run_catalog(*args, ctx); }); });
}

}  // namespace writ::cli
