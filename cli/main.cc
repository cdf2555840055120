// writ: a thin command-line layer over the writ libraries. Exit codes (DESIGN §7): 0 ok,
// 1 findings or a failed run, 2 usage error or unreadable input, 3 internal failure.
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "compiler/diagnostic.h"

namespace {

void print_rules() {
  for (const auto& info : writ::all_rules()) {
    std::cout << info.id << '\t' << writ::severity_name(info.severity) << '\t' << info.summary << '\n';
  }
}

int run(int argc, char** argv) {
  CLI::App app{"writ: incident-response runbooks as checked, executable, auditable code"};
  app.set_version_flag("--version", std::string("writ ") + WRIT_VERSION);
  app.require_subcommand(0, 1);
  writ::cli::CliContext ctx;
  app.add_option("--stdlib", ctx.stdlib_dir, "directory of the standard catalog (*.writ)");
  bool list_rules = false;
  app.add_flag("--list-rules", list_rules, "print every rule id, severity and summary");
  auto* help = app.add_subcommand("help", "show help for a command");
  std::string help_topic;
  help->add_option("command", help_topic);

  writ::cli::register_check_commands(app, ctx);
  writ::cli::register_run_commands(app, ctx);
  writ::cli::register_serve_command(app, ctx);
  writ::cli::register_task_command(app, ctx);
  writ::cli::register_test_command(app, ctx);
  writ::cli::register_evidence_commands(app, ctx);
  writ::cli::register_schema_command(app, ctx);
  writ::cli::register_catalog_command(app, ctx);
  writ::cli::register_report_commands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (list_rules) {
    print_rules();
    return 0;
  }
  if (help->parsed()) {
    if (help_topic.empty()) {
      std::cout << app.help();
      return 0;
    }
    try {
      std::cout << app.get_subcommand(help_topic)->help();
      return 0;
    } catch (const CLI::OptionNotFound&) {
      std::cerr << "writ: no command '" << help_topic << "'\n";
      return 2;
    }
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 2;
  }
  return ctx.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const writ::cli::UsageError& e) {
    std::cerr << "writ: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "writ: internal error: " << e.what() << "\nThis is a bug in writ; please report it.\n";
    return 3;
  } catch (...) {
    std::cerr << "writ: internal error: unknown exception\nThis is a bug in writ; please report it.\n";
    return 3;
  }
}
