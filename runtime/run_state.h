// The state of a run as its journal tells it. The interpreter appends a record and applies it
// here; --resume and `writ rollback` apply every record of the journal in order and continue
// from the same state. The execution log is a projection of the same records, so the output
// of a resumed run covers its whole history. Record types and fields: docs/journal.md.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/approval.h"
#include "runtime/execution_log.h"
#include "runtime/journal.h"
#include "runtime/plan.h"

namespace writ::runtime {

// One approver's answer posted to `writ serve` (record approval_vote), kept until decided.
struct ApprovalVote {
  std::string approver;            // the token's name
  std::vector<std::string> roles;  // the token's roles
  bool approved = false;
  bool rollback = false;
  std::string reason;
};

struct StepProgress {
  bool started = false;
  std::string started_at;
  bool approval_pending = false;  // requested, not yet decided (re-asked on resume)
  std::string approval_requested_at;  // the first request's time (RFC 3339)
  std::vector<ApprovalVote> votes;
  bool announced = false;  // approval_announced (writ serve), and its one reminder
  bool reminded = false;
  std::optional<ApprovalDecision> decision;
  std::int64_t approval_latency_ms = 0;
  int sends = 0;           // connector calls sent for the action (attempts)
  int failures = 0;        // of which failed
  bool in_flight = false;  // the last call has no result: re-sent on resume, same key
  bool applied = false;    // a call succeeded: the action took effect
  std::set<std::string> artifacts_done;  // preserved (or skipped by --dry-run)
  std::optional<std::string> status;     // set by step_finished
};

struct RollbackProgress {
  int sends = 0;
  bool in_flight = false;
  std::optional<std::string> status;  // "executed" or "failed" (a failed one may be retried)
};

class RunState {
 public:
  // Applies one record. Throws JournalError — and nothing else — for a record that does not
  // fit the run (no run_started first, an unknown step, a malformed plan or event_text, a
  // field of the wrong type).
  void apply(const JournalRecord& record);

  bool started() const { return started_; }
  const std::string& run_id() const { return run_id_; }
  const Plan& plan() const { return plan_; }
  const nlohmann::json& start() const { return start_; }  // the run_started data but `plan` and `ir`
  const nlohmann::json& event() const { return event_; }  // the event as received (event_text)

  StepProgress& step(const std::string& id) { return steps_[id]; }
  const StepProgress* find_step(const std::string& id) const;
  RollbackProgress& rollback(const std::string& id) { return rollbacks_[id]; }
  // Steps whose action took effect, in the order they did.
  const std::vector<std::string>& applied_order() const { return applied_order_; }

  const std::optional<std::string>& rollback_trigger() const { return rollback_trigger_; }
  const std::optional<std::string>& finished() const { return finished_; }

  const ExecutionLog& log() const { return log_; }

 private:
  void on_run_started(const JournalRecord& record);
  void on_step_record(const JournalRecord& record);
  void on_rollback_record(const JournalRecord& record);
  void on_deadline_record(const JournalRecord& record);
  StepEntry& entry(const std::string& step);

  bool started_ = false;
  std::string run_id_;
  Plan plan_;
  nlohmann::json start_;
  nlohmann::json event_;
  std::map<std::string, StepProgress> steps_;
  std::map<std::string, RollbackProgress> rollbacks_;
  std::map<std::string, std::vector<std::string>> required_roles_;
  std::map<std::string, std::string> connector_of_;
  std::vector<std::string> applied_order_;
  std::optional<std::string> rollback_trigger_;
  std::optional<std::string> finished_;
  ExecutionLog log_;
};

}  // namespace writ::runtime
