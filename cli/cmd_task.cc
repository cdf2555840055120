// `writ task done RUN_ID STEP [--note TEXT] [--state DIR] [--journal-key FILE]` (DESIGN §17):
// marks a parked run's human task done by journaling task_done (runtime::Engine::complete_task);
// `writ run --resume RUN_ID` then continues the run. The person is the local user ($USER, else
// the uid): the CLI trusts whoever can write the state directory, as --resume does.
// Exit: 0 recorded; 1 refused (an unknown step, a step that is no task, a task not waiting or
// already done, a finished run, a run in use or a bad journal); 2 usage.
#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/run_support.h"
#include "runtime/engine.h"

namespace writ::cli {

namespace {

namespace rt = writ::runtime;

struct TaskArgs {
  std::string run_id;
  std::string step;
  std::string note;
  rt::EngineConfig engine;
};

std::string local_user() {
  const char* user = std::getenv("USER");
  if (user != nullptr && *user != '\0') return user;
  return fmt::format("uid {}", ::getuid());
}

int task_done(const TaskArgs& args) {
  rt::SystemClock clock;
  rt::Engine engine(nullptr, args.engine, clock, cli_hooks());
  engine.complete_task(args.run_id, args.step, local_user(), args.note, "cli");
  std::cout << fmt::format("task {} of run {} marked done by {}; continue the run with `writ run --resume {} --state {}`\n", args.step,
                           args.run_id, local_user(), args.run_id, args.engine.state_dir);
  return 0;
}

}  // namespace

void register_task_command(CLI::App& app, CliContext& ctx) {
  auto* task = app.add_subcommand("task", "human tasks of runs (mark one done)");
  task->require_subcommand(1);
  auto args = std::make_shared<TaskArgs>();
  auto* done = task->add_subcommand("done", "mark a waiting run's human task done (journaled with who and the note)");
  done->add_option("run_id", args->run_id, "the run id")->required();
  done->add_option("step", args->step, "the task step's id")->required();
  done->add_option("--note", args->note, "what was done (at most 1024 bytes, journaled)");
  done->add_option("--state", args->engine.state_dir, "state directory holding runs/RUN_ID/journal.jsonl")->capture_default_str();
  done->add_option("--journal-key", args->engine.journal_key, "HMAC key file of a keyed run journal");
  done->callback([args, &ctx] { run_guarded(ctx, [&] { return task_done(*args); }); });
}

}  // namespace writ::cli
