#include "cli/cli_support.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <filesystem>
#include <iostream>

#include "common/regular_file.h"
#include "compiler/emit/emit.h"
#include "compiler/pipeline.h"

namespace writ::cli {

namespace fs = std::filesystem;

std::string stdlib_dir(const CliContext& ctx) {
  if (!ctx.stdlib_dir.empty()) {
    if (!fs::is_directory(ctx.stdlib_dir)) throw UsageError("--stdlib " + ctx.stdlib_dir + ": not a directory");
    return ctx.stdlib_dir;
  }
  if (const char* env = std::getenv("WRIT_STDLIB"); env != nullptr && *env != '\0') {
    if (!fs::is_directory(env)) throw UsageError(std::string("WRIT_STDLIB=") + env + ": not a directory");
    return env;
  }
  // Relocatable: an installed or unpacked tree (PREFIX/bin/writ, PREFIX/share/writ/stdlib)
  // works wherever it is moved. Only the binary in its own build directory uses the sources'
  // stdlib/, so an installed writ never silently reads a checkout that happens to exist.
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path().parent_path() / "share" / "writ" / "stdlib";
    if (fs::is_directory(beside, ec)) return beside.string();
    if (self.parent_path() == fs::path(WRIT_BUILD_DIR) && fs::is_directory(WRIT_STDLIB_SOURCE_DIR, ec)) {
      return WRIT_STDLIB_SOURCE_DIR;
    }
  }
  throw UsageError("cannot find the standard catalog (looked beside the writ binary, in ../share/writ/stdlib); "
                   "pass --stdlib DIR or set WRIT_STDLIB");
}

void require_readable(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UsageError(path + ": no such file or directory");
  if (fs::is_directory(path, ec)) return;
  // Never blocks: a FIFO, socket or device is refused here, before anything reads it.
  if (auto file = open_regular_file(path); !file) throw UsageError(file.error);
}

std::vector<std::string> runbook_files(const std::vector<std::string>& paths, bool* saw_directory) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    require_readable(path);
    auto expanded = expand_inputs(path);
    if (fs::is_directory(path)) {
      if (saw_directory) *saw_directory = true;
      if (expanded.empty()) throw UsageError(path + ": no runbook files (*.yaml, *.yml, *.writ) below this directory");
    }
    files.insert(files.end(), expanded.begin(), expanded.end());
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

void add_catalog_option(CLI::App* cmd, CliContext& ctx) {
  // One path per `--catalog`: a vector option would otherwise swallow the runbook paths after it.
  cmd->add_option("--catalog", ctx.catalogs,
                  "organisation catalog (*.writ file or directory of them): actions, types, channels, roles; "
                  "repeatable")
      ->allow_extra_args(false);
}

void catalog_guarded(CliContext& ctx, const std::function<int()>& body) {
  try {
    ctx.exit_code = body();
  } catch (const CatalogError&) {
    ctx.exit_code = 1;
  }
}

Catalog load_catalog_or_report(const CliContext& ctx, const std::vector<std::string>& policy_files) {
  for (const auto& catalog : ctx.catalogs) require_readable(catalog);
  for (const auto& policy : policy_files) require_readable(policy);
  DiagnosticSink sink;
  Catalog catalog = load_catalog(CatalogInputs{stdlib_dir(ctx), ctx.catalogs, policy_files}, sink);
  if (sink.has_errors()) {
    sort_diagnostics(sink.diagnostics());
    std::set<std::string> files;  // the catalog and policy files with errors, for the summary
    for (const auto& d : sink.diagnostics()) files.insert(d.source ? d.source->path() : "");
    EmitOptions options;
    options.files = files.size();
    emit_text(std::cerr, sink.diagnostics(), options);
    throw CatalogError("the catalog or policy has errors (see above)");
  }
  return catalog;
}

}  // namespace writ::cli
