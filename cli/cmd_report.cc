// `writ report`: the compiled regulatory mapping (md, html, json).
#include <ctime>
#include <fstream>
#include <iostream>

#include "cli/cli_support.h"
#include "compiler/emit/emit.h"
#include "compiler/pipeline.h"
#include "report/report.h"

namespace writ::cli {

namespace {

struct ReportArgs {
  std::vector<std::string> paths;
  std::string format = "md";
  std::string output;
  std::vector<std::string> policies;
  bool no_timestamp = false;
};

std::string now_rfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A file that yields no runbook because it does not compile would otherwise be missing from the
// report without a word: its errors go to stderr (as `writ check` prints them) and the report
// exits 1. Files that declare no runbook and have no errors (catalogs, policies) are not runbooks.
bool report_unloadable(const std::vector<CompiledFile>& compiled) {
  std::vector<Diagnostic> errors;
  EmitOptions options;
  for (const auto& file : compiled) {
    if (!file.runbooks.empty() || !file.has_errors()) continue;
    ++options.files;
    for (const auto& d : file.diagnostics) {
      if (d.severity == Severity::Error && !d.suppressed_by) errors.push_back(d);
    }
  }
  if (errors.empty()) return false;
  emit_text(std::cerr, errors, options);
  std::cerr << "writ: report: the files above do not compile; their runbooks are not in the report\n";
  return true;
}

int run_report(const ReportArgs& args, const CliContext& ctx) {
  std::vector<std::string> files = runbook_files(args.paths);
  Catalog catalog = load_catalog_or_report(ctx, args.policies);
  std::vector<CompiledFile> compiled;
  for (const auto& file : files) compiled.push_back(compile_file(file, catalog, CompileOptions{}));
  ReportOptions options{WRIT_VERSION, args.no_timestamp ? std::string() : now_rfc3339()};
  auto model = build_report(compiled, catalog, options);
  // A path need not be UTF-8 (the runbooks' text is checked to be): shown with U+FFFD.
  std::string text = args.format == "json" ? model.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                     : args.format == "html" ? render_report_html(model)
                                             : render_report_markdown(model);
  if (args.output.empty()) {
    std::cout << text;
  } else {
    std::ofstream out(args.output, std::ios::binary);
    if (!(out << text)) throw UsageError(args.output + ": cannot be written");
  }
  // The report documents findings; it does not gate. Unreadable or uncompilable input fails.
  bool unloadable = report_unloadable(compiled);
  for (const auto& file : compiled) {
    if (!file.source) return 1;
  }
  return unloadable ? 1 : 0;
}

}  // namespace

void register_report_commands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "the compiled regulatory mapping for auditors");
  cmd->add_option("paths", args->paths, "runbook files or directories")->required();
  cmd->add_option("--format", args->format, "md, html or json")->check(CLI::IsMember({"md", "html", "json"}));
  cmd->add_option("-o,--output", args->output, "write the report to this file");
  cmd->add_option("--policy", args->policies, "policy file overriding the default policy")->allow_extra_args(false);
  add_catalog_option(cmd, ctx);
  cmd->add_flag("--no-timestamp", args->no_timestamp, "leave out generated_at (reproducible output)");
  cmd->callback([args, &ctx] { catalog_guarded(ctx, [&] { return run_report(*args, ctx); }); });
  register_metrics_command(app, ctx);
}

}  // namespace writ::cli
