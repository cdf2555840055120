// Helpers shared by the CLI verbs: locating the stdlib, loading the catalog, printing
// diagnostics in the requested format.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "compiler/catalog.h"
#include "compiler/diagnostic.h"

namespace writ::cli {

// --stdlib if given, else $WRIT_STDLIB, else the installed share/writ/stdlib, else the source
// tree's stdlib/. Throws UsageError when none exists.
std::string stdlib_dir(const CliContext& ctx);

// Loads the catalog (stdlib + the context's --catalog paths + policy files). A missing path is
// a UsageError (exit 2); problems in the files are printed to stderr as text diagnostics and
// make this throw CatalogError (exit 1).
Catalog load_catalog_or_report(const CliContext& ctx, const std::vector<std::string>& policy_files);

// Registers `--catalog FILE|DIR` (repeatable, DESIGN §17) on a verb that compiles runbooks;
// the paths land in `ctx.catalogs`.
void add_catalog_option(CLI::App* cmd, CliContext& ctx);

struct CatalogError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs a verb's body and sets ctx.exit_code to its result; a CatalogError (its diagnostics
// already printed) exits 1.
void catalog_guarded(CliContext& ctx, const std::function<int()>& body);

// Throws UsageError when `path` does not exist or cannot be read.
void require_readable(const std::string& path);

// The runbook files the PATH arguments of check/report name: files as given, directories
// expanded (expand_inputs), sorted and unique. Throws UsageError for a missing path and for a
// directory that holds no *.yaml, *.yml or *.writ file (checking nothing must not pass).
std::vector<std::string> runbook_files(const std::vector<std::string>& paths, bool* saw_directory = nullptr);

}  // namespace writ::cli
