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
// Resume and rollback continue from a RunState rebuilt from the journal: a completed step is
// never repeated, an in-flight call is re-sent with the same idempotency key.
#pragma once

#include <atomic>
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
};

// Problems that must stop a run before its first effect: an action or rollback no route
// covers, a call the routed connector refuses (Connector::refuse: an exec argv element that
// would be read as an option or holds NUL), an artifact path outside the evidence roots (or
// through a symlink), and — when the plan preserves anything and `evidence` is given — a store
// the sink cannot append to (e.g. a signed store and no key). Empty when the plan may run.
// `run_id` is the run's (calls are rendered as they will be).
std::vector<std::string> preflight(const Plan& plan, const ConnectorSet& connectors, const EvidenceRoots& evidence_roots,
                                   const std::string& run_id, const EvidenceSink* evidence = nullptr);

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

  void record(const std::string& type, nlohmann::json data);
  void load_run_settings();
  Millis time_left() const;
  void execute();
  Outcome run_step(const PlannedStep& step);
  Outcome outcome_of(const PlannedStep& step, const StepProgress& progress);
  void ask_approval(const PlannedStep& step);
  std::int64_t latency_ms(const PlannedStep& step, std::chrono::steady_clock::time_point asked) const;
  ConnectorResult send(const PlannedStep& step, const PlannedCall& call, const std::string& phase);
  std::optional<std::string> preserve(const PlannedStep& step);
  Outcome finish_step(const PlannedStep& step, const std::string& status, const std::optional<std::string>& error);
  Outcome on_failure(const PlannedStep& step);
  void compensate(const std::string& trigger);
  void finish(const std::string& status);
  void journal_overdue();

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
