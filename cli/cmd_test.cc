// `writ test EXERCISE... [--format text|json|junit] [--report FILE.html]` (DESIGN §16): loads
// each exercise (problems: diagnostics with file:line:col, exit 2), compiles the runbooks it
// drills (check errors: exit 1, as `writ run`), simulates it (exercise/simulation.h) and prints
// each expectation with what was measured. Exit 0 when every expectation of every exercise
// holds, 1 when any fails, 2 for a bad exercise or usage.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "cli/cli_support.h"
#include "cli/run_support.h"
#include "common/regular_file.h"
#include "compiler/emit/emit.h"
#include "exercise/expectations.h"
#include "exercise/loader.h"
#include "exercise/output.h"
#include "exercise/simulation.h"
#include "exercise/validate.h"

namespace writ::cli {

namespace {

namespace ex = writ::exercise;

struct TestArgs {
  std::vector<std::string> files;
  std::vector<std::string> policies;
  std::string format = "text";
  std::string report;
};

std::optional<ex::Exercise> load(const std::string& file, DiagnosticSink& sink) {
  const ex::LoadOptions options;
  auto read = read_regular_file(file, options.limits.max_file_bytes);
  if (!read) throw UsageError(read.error);
  auto source = std::make_shared<const SourceFile>(file, std::move(*read.text));
  auto exercise = ex::load_exercise(source, sink, options);
  if (exercise && !std::filesystem::exists(exercise->runbooks)) {
    sink.report(Rule::Syntax, source, exercise->runbooks_span,
                fmt::format("{}: no such file or directory", exercise->runbooks));
    return std::nullopt;
  }
  return exercise;
}

// Every exercise loaded and its names checked, or the diagnostics printed and a UsageError.
std::vector<ex::Exercise> load_all(const TestArgs& args, const CliContext& ctx,
                                   std::map<std::string, std::shared_ptr<const runtime::RunbookSet>>& sets) {
  DiagnosticSink sink;
  std::vector<ex::Exercise> out;
  for (const auto& file : args.files) {
    require_readable(file);
    auto exercise = load(file, sink);
    if (!exercise) continue;
    auto& set = sets[exercise->runbooks];
    if (!set) set = load_checked_runbooks(exercise->runbooks, args.policies, ctx);
    ex::check_names(*exercise, *set, sink);
    out.push_back(std::move(*exercise));
  }
  if (sink.has_errors()) {
    auto diagnostics = sink.diagnostics();
    sort_diagnostics(diagnostics);
    EmitOptions emit;
    emit.files = args.files.size();
    emit_text(std::cerr, diagnostics, emit);
    throw UsageError(fmt::format("{} exercise file{} with errors; nothing was run", args.files.size(),
                                 args.files.size() == 1 ? "" : "s"));
  }
  return out;
}

void write_report(const std::string& path, const std::vector<ex::ExerciseReport>& reports) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) ex::write_html(out, reports);
  if (!out) throw UsageError(fmt::format("--report {}: cannot write the file", path));
}

int run_tests(const TestArgs& args, const CliContext& ctx) {
  if (args.files.empty()) throw UsageError("test: give one or more EXERCISE.yaml files");
  std::map<std::string, std::shared_ptr<const runtime::RunbookSet>> sets;
  const auto exercises = load_all(args, ctx, sets);
  std::vector<ex::ExerciseReport> reports;
  for (std::size_t i = 0; i < exercises.size(); ++i) {
    const auto& x = exercises[i];
    ex::ExerciseReport report{args.files[i], x.name, ex::simulate(x, sets.at(x.runbooks)), {}};
    report.expectations = ex::evaluate(x.expect, report.result);
    reports.push_back(std::move(report));
  }
  if (args.format == "json") {
    std::cout << ex::to_json(reports).dump(2) << '\n';
  } else if (args.format == "junit") {
    ex::print_junit(std::cout, reports);
  } else {
    ex::print_text(std::cout, reports);
  }
  if (!args.report.empty()) write_report(args.report, reports);
  return std::all_of(reports.begin(), reports.end(), [](const auto& r) { return r.passed(); }) ? 0 : 1;
}

}  // namespace

void register_test_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<TestArgs>();
  auto* cmd = app.add_subcommand(
      "test", "run exercises: tabletop drills on a virtual clock with injected faults and expectations");
  cmd->add_option("exercise", args->files, "exercise files (YAML, DESIGN §16)");
  cmd->add_option("--format", args->format, "output format")
      ->check(CLI::IsMember({"text", "json", "junit"}))
      ->capture_default_str();
  cmd->add_option("--report", args->report, "also write the HTML exercise report (timeline, measured figures) to FILE");
  cmd->add_option("--policy", args->policies, "policy file overriding the default policy");
  add_catalog_option(cmd, ctx);
  cmd->callback([args, &ctx] { run_guarded(ctx, [&] { return run_tests(*args, ctx); }); });
}

}  // namespace writ::cli
