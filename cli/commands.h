// Each verb group registers its sub-commands on the CLI11 app. A callback stores its exit code
// in CliContext (0 ok, 1 findings / failed run, 2 usage or unreadable input); an exception
// escaping a callback is writ's own bug and main() turns it into exit 3.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace writ::cli {

struct CliContext {
  int exit_code = 0;
  std::string stdlib_dir;  // --stdlib, else the installed or source-tree stdlib
  std::vector<std::string> catalogs;  // --catalog FILE|DIR of the verb (add_catalog_option)
};

// Thrown by a command for a usage error or an unreadable input path: exit 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void register_check_commands(CLI::App& app, CliContext& ctx);     // check compile convert fmt
void register_schema_command(CLI::App& app, CliContext& ctx);     // schema
void register_catalog_command(CLI::App& app, CliContext& ctx);    // catalog
void register_evidence_commands(CLI::App& app, CliContext& ctx);  // evidence preserve|verify|prove
void register_run_commands(CLI::App& app, CliContext& ctx);       // run rollback
void register_report_commands(CLI::App& app, CliContext& ctx);    // report (+ metrics)
void register_metrics_command(CLI::App& app, CliContext& ctx);     // metrics
void register_serve_command(CLI::App& app, CliContext& ctx);       // serve
void register_task_command(CLI::App& app, CliContext& ctx);        // task done
void register_test_command(CLI::App& app, CliContext& ctx);        // test (exercises)

}  // namespace writ::cli
