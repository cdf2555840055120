// What the verbs that drive runs (run, rollback, serve) share: loading the checked runbook set
// for the engine (printing check errors as `writ check` does), the engine's note/progress
// hooks on stderr, and the mapping of refusals to exit codes.
#pragma once

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "runtime/engine.h"

namespace writ::cli {

// A run refused for a reason the user can fix: "writ: message", exit 1.
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Compiles RUNBOOKS (a file or directory) with the stdlib and `policies`. Check errors are
// printed to stderr and refuse (a runbook that fails `writ check` is never run); an unreadable
// path is a UsageError; catalog errors throw CatalogError.
std::shared_ptr<const runtime::RunbookSet> load_checked_runbooks(const std::string& path, const std::vector<std::string>& policies,
                                                                 const CliContext& ctx);

// Notes as "writ: note: …" and progress lines, on stderr.
runtime::EngineHooks cli_hooks();

std::string absolute_path(const std::string& path);

// Where runs live (`--state` of run/rollback/metrics, `--store` of serve): a directory (the file
// store of DESIGN §9) or `postgresql://…` (the shared store of §15, leasing runs for `lease`,
// "30s", "500ms", "2m"). Sets config.store; with a database store, `new_runs` need an explicit
// --evidence directory (a resumed run keeps the one it journaled). Throws UsageError (bad lease, no --evidence) and Refused (unreachable database,
// a schema newer than this writ).
void use_run_store(runtime::EngineConfig& config, const std::string& lease, bool new_runs);

// "30s" -> 30000 ms ("ms", "s", "m", "h"; a positive whole number). Throws UsageError naming `option`.
std::chrono::milliseconds parse_lease(const std::string& text, const std::string& option);

// Runs `body` and stores its exit code; refusals become "writ: message" and exit 1, engine
// usage errors exit 2.
void run_guarded(CliContext& ctx, const std::function<int()>& body);

}  // namespace writ::cli
