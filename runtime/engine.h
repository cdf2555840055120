// The one engine behind `writ run`, `writ rollback` and `writ serve` (DESIGN §9, §14): it owns
// the loaded, checked runbook set and starts, resumes and rolls back runs. For each it routes
// the event, renders the plan, builds the connectors, the approval gate and the evidence sink,
// refuses an unsafe plan before its first effect, opens the journal and hands everything to
// the interpreter. Callers only parse arguments and print (or answer HTTP).
//
// Errors: RunRefused for a run the user can fix (an invalid event, no route, a changed
// connectors file, a corrupt journal, a run in use: exit 1); RunUsageError for a usage
// problem (a static approvals file without --dry-run, an unreadable or non-regular input,
// an unusable key: exit 2). EventError, PlanError, ConfigError and JournalError escape as the
// components throw them. Thread-safety: start/resume/rollback of *different* runs may run
// concurrently; replace_runbooks may be called at any time (a run keeps the set it began with).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/catalog.h"
#include "compiler/diagnostic.h"
#include "compiler/ir.h"
#include "compiler/pipeline.h"
#include "runtime/approval.h"
#include "runtime/connector.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/execution_log.h"
#include "runtime/options.h"
#include "runtime/run_state.h"
#include "runtime/run_store.h"

namespace writ::runtime {

struct RunRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct RunUsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Why the task `step` of `state` cannot be marked done now, or nothing.
std::optional<std::string> task_refusal(const RunState& state, const std::string& step);

// Throws RunUsageError when `path` does not exist or is not a readable regular file or
// directory (a FIFO or device is refused without blocking, DESIGN §13).
void require_readable_input(const std::string& path);

// Usage checks of an approvals source (`--approvals`) for a run, dry or live, before any work:
// a static decisions file needs a dry run; a URL must be http(s); credentials (its userinfo or
// $WRIT_APPROVAL_TOKEN) never travel over plain http except to loopback. Throws RunUsageError.
void check_approvals_source(const std::string& source, bool dry_run);

// The runbooks of one path (a file or a directory), compiled and checked against a catalog.
// Immutable once built; shared by the runs that use it.
class RunbookSet {
 public:
  // Never throws for what the runbooks say: check errors are in errors().
  static std::shared_ptr<const RunbookSet> compile(const std::string& path, Catalog catalog);

  struct Routed {
    const ir::Runbook* runbook = nullptr;
    std::string file;  // absolute path of the file that declares it (journaled)
  };
  // Routes `event` (typing it against the chosen runbook). Throws RunRefused when no runbook
  // routes it, EventError when the event does not fit the runbook it routes to.
  Routed route(Event& event, const std::string& run_id) const;

  const std::string& path() const { return path_; }
  const Catalog& catalog() const { return catalog_; }
  // Unsuppressed check errors, sorted. A set with errors must never run.
  const std::vector<Diagnostic>& errors() const { return errors_; }
  std::size_t file_count() const { return files_.size(); }
  const std::vector<const ir::Runbook*>& runbooks() const { return runbooks_; }

 private:
  std::string path_;
  Catalog catalog_;
  std::vector<CompiledFile> files_;
  std::vector<Diagnostic> errors_;
  std::vector<const ir::Runbook*> runbooks_;
  std::map<const ir::Runbook*, std::string> file_of_;
};

struct EngineConfig {
  std::string state_dir = ".writ-state";  // STATE/runs/RUN_ID/journal.jsonl
  std::string connectors;                 // connectors file; empty: everything to dry-run
  std::string approvals;                  // approval service URL or static file; empty: none
  std::string evidence;                   // evidence store; empty: STATE/evidence (or as journaled)
  std::string key;                        // Ed25519 key signing checkpoints; empty: signing_key
  std::string journal_key;                // HMAC key file; empty: journal_key of --connectors
  bool dry_run = false;                   // new runs only; a resumed run keeps its own
  // A tabletop's staged host image (absolute; empty: the real host): artifact paths are read
  // beneath it as if it were "/" (EvidenceRoots::host_root). New dry runs only; journaled.
  std::string artifact_root;
  RuntimeOptions options;
  // Where the runs live; null: a FileRunStore over state_dir.
  std::shared_ptr<RunStore> store;
  // New runs claim their event's id in the store (JournalOptions::claim_event): `writ serve`.
  bool claim_events = false;
};

struct EngineHooks {
  // A remark for the user ("no --connectors file: …"); the CLI prints "writ: note: …".
  std::function<void(const std::string&)> note;
  // A progress line ("run ID started").
  std::function<void(const std::string&)> progress;
  // When set, the approval gate of every run is made here instead of from
  // EngineConfig::approvals (serve's role-bound callback approvals); `kind` is journaled.
  std::function<std::unique_ptr<ApprovalGate>(const RunState&)> approvals;
  std::string approvals_kind;
  // Set true to stop every run of this engine before its next step (drain); may be null.
  const std::atomic<bool>* stop = nullptr;
  // When set, the connectors of every run are made here instead of from
  // EngineConfig::connectors (a drill's simulated connectors, exercise/simulation.h); `kind`
  // is journaled. EngineConfig::dry_run still routes everything to dry-run.
  std::function<ConnectorSet()> connectors;
  std::string connectors_kind;
  // When set, called with (artifact, bytes done, total) while the evidence store copies an
  // artifact (a drill changes a staged artifact mid-copy to prove the store refuses it).
  std::function<void(const std::string&, std::uint64_t, std::uint64_t)> evidence_progress;
};

class Engine {
 public:
  // `runbooks` may be null for an engine that only resumes and rolls back (its runs carry
  // their plans). A set with check errors is refused (std::invalid_argument).
  Engine(std::shared_ptr<const RunbookSet> runbooks, EngineConfig config, Clock& clock, EngineHooks hooks = {});

  void replace_runbooks(std::shared_ptr<const RunbookSet> runbooks);
  std::shared_ptr<const RunbookSet> runbooks() const;
  const EngineConfig& config() const { return config_; }


  // A new run `run_id` for `event` (`origin`: where it came from, journaled). Routes, plans,
  // refuses an unsafe plan, journals run_started, then runs it to its end — or, with
  // `run_now` false, stops there (serve runs it on a worker with proceed()).
  ExecutionLog start(Event event, const std::string& origin, const std::string& run_id, bool run_now = true);
  // Continues an unfinished run (after a crash or a restart: journals run_resumed). A finished
  // run is left alone and its log returned (`*finished` set when given).
  ExecutionLog resume(const std::string& run_id, bool* finished = nullptr);
  // Continues a run this process is driving (after begin or an approval), without a
  // run_resumed record.
  ExecutionLog proceed(const std::string& run_id);
  // Compensates a finished or halted run (`writ rollback`). `*already` set when it was
  // already rolled back (nothing done).
  ExecutionLog rollback(const std::string& run_id, bool* already = nullptr);
  // The run's state as its journal tells it (read-only; takes no lock).
  RunState read(const std::string& run_id) const;
  // Appends one record to a run that is not executing (an approval vote) and returns the
  // state after it. Throws RunRefused when the run is in use or its journal is bad.
  RunState append(const std::string& run_id, const std::string& type, nlohmann::json data);
  // Marks the human task `step` of a parked run done (`writ task done`, serve's complete
  // route): journals task_done {step, by, note, via}; the run is continued by resume or
  // proceed. RunRefused naming run and step for a finished run, an unknown step, a step that
  // is no task, a task not waiting yet, or one already done; RunUsageError for a note over
  // 1024 bytes. Returns the state after it.
  RunState complete_task(const std::string& run_id, const std::string& step, const std::string& by, const std::string& note,
                         const std::string& via);

  // Sends the approval request of `step` (waiting for approval) through the connector routed
  // for the pseudo-action `approval_request` — only an explicit route, never "*" — and
  // journals approval_announced: {"type": "approval_request", run_id, step, required_roles,
  // context, url, expires_at} (+ "reminder": true). False when nothing is routed for it, the
  // step no longer waits, or it was already sent.
  bool announce(const std::string& run_id, const std::string& step, bool reminder, const std::string& url);

  RunStore& store() const { return *store_; }

 private:
  enum class Mode { resume, proceed, rollback };
  ExecutionLog continue_run(const std::string& run_id, Mode mode, bool* flag);
  void note(const std::string& message) const;
  void progress(const std::string& message) const;

  mutable std::mutex mutex_;  // guards runbooks_
  std::shared_ptr<const RunbookSet> runbooks_;
  EngineConfig config_;
  Clock& clock_;
  EngineHooks hooks_;
  std::shared_ptr<RunStore> store_;
};

}  // namespace writ::runtime
