// The interpreter: executes a rendered plan (plan.h) step by step, touching the world only
// through the services handed to it — connectors, the approval gate, the evidence sink and
// the clock — and appending every transition to the journal (fsynced) before the effect it
// describes. Semantics are DESIGN §9:
//   - a skipped step (`when` false) is recorded `skipped`;
//   - a step with an approval runs only when the gate approves; a refusal halts the run
//     (`halted_by_approval`, executed steps stay in force) or, with "rollback": true,
//     compensates the executed steps in reverse order (`rolled_back` / `rollback_incomplete`);
//   - a connector call is retried (`retries`, exponential backoff) within the step timeout;
//     a failure follows `on_failure`: halt (`failed`), continue, or rollback;
//   - artifacts of an executed step go to the evidence sink (skipped, and said so, in a
//     dry run); a preservation failure fails the step;
//   - no step starts after RuntimeOptions::max_run_time.
// The language constructs (DESIGN §17, docs/runtime.md):
//   - a for-each step asks one approval for all its targets, then makes one call per element
//     (idempotency key of "STEP[i]"), each with its own journal records, artifacts and rollback;
//   - the branches of a parallel block run on threads of their own; every append goes through
//     one lock, so the journal stays one chain in the order of the appends; when a branch fails,
//     the others stop before their next call and the failed branch's on_failure applies;
//   - a step declaring `returns` has its reply typed (outputs.h) and its outputs journaled;
//   - a deferred step (plan.h) is rendered when reached, checked like preflight, and journaled;
//   - a task step makes no call: the run waits (Next::Wait, no thread held) until task_done is
//     journaled, and the step fails when its `within` has passed.
// Resume and rollback continue from a RunState rebuilt from the journal: a completed step is
// never repeated, an in-flight call is re-sent with the same idempotency key.
#pragma once

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/approval.h"
#include "runtime/clock.h"
#include "runtime/connector.h"
#include "runtime/evidence_sink.h"
#include "runtime/journal.h"
#include "runtime/options.h"
#include "runtime/plan.h"
#include "runtime/run_state.h"

namespace writ::runtime {

struct Services {
  ConnectorSet& connectors;
  ApprovalGate& approvals;
  Clock& clock;
  EvidenceSink* evidence = nullptr;  // null: preserving fails with "no evidence store"
  // When set and true, no further step starts: the run stays unfinished (journaled up to its
  // last call) and is resumed later (`writ serve` draining on SIGTERM).
  const std::atomic<bool>* stop = nullptr;
  // The evidence roots a deferred step's artifact paths are checked against when it is
  // rendered (null: no roots, every path refused).
  const EvidenceRoots* evidence_roots = nullptr;
};

// Problems that must stop a run before its first effect: an action or rollback no route
// covers, a call the routed connector refuses (Connector::refuse: an exec argv element that
// would be read as an option or holds NUL), an artifact path outside the evidence roots (or
// through a symlink), and — when the plan preserves anything and `evidence` is given — a store
// the sink cannot append to (e.g. a signed store and no key). Empty when the plan may run.
// `run_id` is the run's (calls are rendered as they will be).
std::vector<std::string> preflight(const Plan& plan, const ConnectorSet& connectors, const EvidenceRoots& evidence_roots,
                                   const std::string& run_id, const EvidenceSink* evidence = nullptr);

// preflight() for one step: also asked of a deferred step once it is rendered, before any
// effect of that step.
std::vector<std::string> step_problems(const PlannedStep& step, const ConnectorSet& connectors, const EvidenceRoots& evidence_roots,
                                       const std::string& run_id);

class Interpreter {
 public:
  // `state` must be empty (start) or rebuilt from `journal`'s records (resume, rollback).
  Interpreter(RunState& state, JournalSink& journal, Services services, const RuntimeOptions& options);

  // Records run_started (`data` must hold run_id, event_id, event_text and plan, see
  // docs/journal.md) and runs the plan to its end.
  void start(nlohmann::json data);
  // Only records run_started: the run is then driven by proceed() (`writ serve`, which
  // answers once the run is durable and runs it on a worker).
  void begin(nlohmann::json data);
  // Continues a run begun or left waiting by this process, without a run_resumed record.
  void proceed();
  // Records run_resumed with `data` and continues a run that has not finished: the
  // execution, or the compensation it was in. Throws std::logic_error if it has finished.
  void resume(const nlohmann::json& data);
  // Compensates the run's executed steps in reverse order (`writ rollback`). Steps already
  // compensated are not compensated again; failed rollbacks are retried.
  void rollback();

  const RunState& state() const { return state_; }

 private:
  enum class Next { Continue, Halt, Compensate, Wait };
  struct Outcome {
    Next next = Next::Continue;
    std::string status;   // for Halt
    std::string trigger;  // for Compensate
  };
  struct Finish {  // how a step ends
    std::string status;
    std::optional<std::string> error;
    std::string reason = {};  // a skipped step's, when not its `when`
    bool stopped = false;     // a parallel branch stopped because another failed
  };

  void record(const std::string& type, nlohmann::json data);
  void load_run_settings();
  Millis time_left() const;
  void execute();
  Outcome step_outcome(const PlannedStep& step);
  Outcome run_block(std::size_t first, std::size_t last);
  Outcome run_step(const PlannedStep& step);
  Outcome run_calls(const PlannedStep& step);
  Outcome run_task(const PlannedStep& step);
  std::optional<Outcome> render_now(const PlannedStep& step);
  Outcome outcome_of(const PlannedStep& step, const StepProgress& progress);
  void ask_approval(const PlannedStep& step);
  std::int64_t latency_ms(const PlannedStep& step, std::chrono::steady_clock::time_point asked) const;
  // `until`: a for-each step's calls share its timeout (the checker's worst case counts the
  // step's timeout once); nothing: the call has the step's timeout to itself.
  ConnectorResult send(const PlannedStep& step, int element, const std::string& phase,
                       std::optional<std::chrono::steady_clock::time_point> until = std::nullopt);
  nlohmann::json result_record(const PlannedStep& step, int element, const std::string& phase, int attempt, const ConnectorResult& result,
                               const std::string& connector_kind);
  std::optional<std::string> preserve(const PlannedStep& step, int element);
  Outcome finish_step(const PlannedStep& step, const Finish& how);
  Outcome fail(const PlannedStep& step, const std::string& error);
  Outcome on_failure(const PlannedStep& step);
  void compensate(const std::string& trigger);
  void compensate_unit(const std::string& id, int element, bool& complete);
  void finish(const std::string& status);
  void journal_overdue();

  // One lock for every append and every read of state another branch may change.
  std::recursive_mutex mutex_;
  // Set when a branch of the running parallel block failed: the others start no new call.
  std::atomic<bool> block_failed_{false};
  std::string failed_branch_;  // under mutex_

  RunState& state_;
  JournalSink& journal_;
  Services services_;
  const RuntimeOptions& options_;
  std::chrono::steady_clock::time_point deadline_;
  nlohmann::json event_;  // the event as received, for approvers
  bool dry_run_ = false;
  // A tabletop dry run still preserves evidence when a store was named (--evidence): copying
  // local artifacts has no effect on the systems the runbook acts on.
  bool collect_evidence_ = true;
};

}  // namespace writ::runtime
