// `writ run` (new run, --resume) and `writ rollback` (DESIGN §8-§9): argument parsing and
// printing over runtime::Engine (runtime/engine.h), which compiles, routes, plans, builds the
// connectors, the approval gate and the evidence sink, and drives the interpreter.
// Exit: 0 only for a `completed` run (or a rollback that `rolled_back`); 1 for any other run
// status, an invalid runbook, event, connectors file, approvals file or journal, and a run in
// use by another writ process; 2 usage, including a journal, journal.head or --journal-key
// file that is not a regular file, and an unusable key file.
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli_support.h"
#include "cli/run_support.h"
#include "compiler/emit/emit.h"
#include "runtime/connectors_config.h"
#include "runtime/engine.h"
#include "runtime/json_input.h"
#include "runtime/router.h"

namespace writ::cli {

namespace {

namespace rt = writ::runtime;

struct RunArgs {
  std::string runbook;
  std::string event;
  std::string resume;
  std::vector<std::string> policies;
  std::string artifact_root;  // a tabletop's staged host image (--dry-run only)
  rt::EngineConfig engine;
  std::string format = "text";
  std::string lease = "30s";
};

int report(const rt::ExecutionLog& log, const std::string& format, const std::string& success) {
  if (format == "json") {
    std::cout << rt::to_json(log).dump(2) << '\n';
  } else {
    rt::print_text(std::cout, log);
  }
  return log.status == success ? 0 : 1;
}

// --artifact-root DIR: a tabletop reads the runbook's artifact paths beneath DIR, as if DIR were
// "/" (main.sh stages synthetic artifacts there instead of writing to the real paths). A live run
// collects from the real host only. Resolved once; the engine journals it for --resume and rollback.
std::string host_root(const RunArgs& args) {
  if (args.artifact_root.empty()) return {};
  if (!args.engine.dry_run) {
    throw UsageError(fmt::format("--artifact-root {}: a staged host image is for tabletop exercises and needs --dry-run",
                                 args.artifact_root));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(args.artifact_root, ec)) {
    throw UsageError(fmt::format("--artifact-root {}: {}", args.artifact_root,
                                 ec ? ec.message() : std::string("not a directory")));
  }
  return std::filesystem::canonical(args.artifact_root).string();
}

int run_new(RunArgs args, const CliContext& ctx) {
  if (args.runbook.empty() || args.event.empty()) throw UsageError("run: give RUNBOOK and --event EVENT.json (or --resume RUN_ID)");
  rt::check_approvals_source(args.engine.approvals, args.engine.dry_run);
  args.engine.artifact_root = host_root(args);
  require_readable(args.event);
  rt::Event event;
  try {
    event = rt::parse_event(rt::read_text_file(args.event, args.engine.options.max_event_bytes), args.event,
                            args.engine.options.max_json_depth);
  } catch (const rt::JsonInputError& e) {
    throw Refused(e.what());
  }
  rt::SystemClock clock;
  const auto run_id = rt::new_run_id(clock.now());
  use_run_store(args.engine, args.lease, true);
  rt::Engine engine(load_checked_runbooks(args.runbook, args.policies, ctx), args.engine, clock, cli_hooks());
  return report(engine.start(std::move(event), absolute_path(args.event), run_id), args.format, "completed");
}

int run_resume(const RunArgs& args) {
  if (!args.runbook.empty() || !args.event.empty()) throw UsageError("run --resume RUN_ID takes no RUNBOOK or --event: the journal has both");
  if (args.engine.dry_run) throw UsageError("run --resume keeps the run's own --dry-run setting");
  if (!args.artifact_root.empty()) throw UsageError("run --resume keeps the run's own --artifact-root");
  rt::SystemClock clock;
  auto config = args.engine;
  use_run_store(config, args.lease, false);
  rt::Engine engine(nullptr, config, clock, cli_hooks());
  bool finished = false;
  const auto log = engine.resume(args.resume, &finished);
  if (finished) std::cerr << "writ: run " << args.resume << " has already finished (" << log.status << "); nothing to resume\n";
  return report(log, args.format, "completed");
}

int run_rollback(const RunArgs& args) {
  rt::SystemClock clock;
  auto config = args.engine;
  use_run_store(config, args.lease, false);
  rt::Engine engine(nullptr, config, clock, cli_hooks());
  bool already = false;
  const auto log = engine.rollback(args.resume, &already);
  if (already) std::cerr << "writ: run " << args.resume << " is already rolled back\n";
  return report(log, args.format, "rolled_back");
}

void add_common(CLI::App* cmd, RunArgs& args) {
  cmd->add_option("--connectors", args.engine.connectors, "connectors file (YAML); default: every action to dry-run");
  cmd->add_option("--approvals", args.engine.approvals, "approval service URL, or a static decisions file (JSON; --dry-run only)");
  cmd->add_option("--evidence", args.engine.evidence, "evidence store directory (default: STATE/evidence)");
  cmd->add_option("--key", args.engine.key,
                  "Ed25519 private key (PEM) signing the evidence store's checkpoints (default: signing_key of the "
                  "connectors file)");
  cmd->add_option("--state", args.engine.state_dir,
                  "where runs live: a directory (runs/RUN_ID/journal.jsonl) or postgresql://… (the shared store)")
      ->capture_default_str();
  cmd->add_option("--lease", args.lease, "with a postgresql:// store: how long a run's lease lasts unless renewed")
      ->capture_default_str();
  cmd->add_option("--format", args.format, "output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->add_option("--journal-key", args.engine.journal_key,
                  "HMAC key file (>= 32 bytes, mode 600) for the run journal; default: journal_key of --connectors");
}

}  // namespace

void register_run_commands(CLI::App& app, CliContext& ctx) {
  auto run = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "execute a runbook for an event (approvals, connectors, journal, evidence)");
  cmd->add_option("runbook", run->runbook, "runbook file, or a directory to route among");
  cmd->add_option("--event", run->event, "the event (JSON object)");
  cmd->add_flag("--dry-run", run->engine.dry_run, "route every action to the dry-run connector (approvals are still asked)");
  cmd->add_option("--resume", run->resume, "continue a crashed run from its journal");
  cmd->add_option("--policy", run->policies, "policy file overriding the default policy")
      ->allow_extra_args(false);
  cmd->add_option("--artifact-root", run->artifact_root,
                  "tabletop (--dry-run): read artifacts beneath DIR as if it were / (a staged host image)");
  add_catalog_option(cmd, ctx);
  add_common(cmd, *run);
  cmd->callback([run, &ctx] { run_guarded(ctx, [&] { return run->resume.empty() ? run_new(*run, ctx) : run_resume(*run); }); });

  auto rollback = std::make_shared<RunArgs>();
  auto* rb = app.add_subcommand("rollback", "compensate a finished or halted run's executed steps, in reverse order");
  rb->add_option("run_id", rollback->resume, "the run id (printed when the run started)")->required();
  add_common(rb, *rollback);
  rb->callback([rollback, &ctx] { run_guarded(ctx, [&] { return run_rollback(*rollback); }); });
}

}  // namespace writ::cli
