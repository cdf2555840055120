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

// The calls of one unit: a step, or one element of a for-each step.
struct CallProgress {
  int sends = 0;           // connector calls sent for the action (attempts)
  int failures = 0;        // of which failed
  bool in_flight = false;  // the last call has no result: re-sent on resume, same key
  bool applied = false;    // a call succeeded: the action took effect
  std::optional<std::string> last_error;
  std::set<std::string> artifacts_done;  // preserved (or skipped by --dry-run)
  nlohmann::json outputs;                // the typed outputs the reply gave (null: none)
  std::optional<std::string> outputs_error;  // the reply's outputs were refused
};

// A human task (record task_done).
struct TaskDone {
  std::string by;
  std::string note;
  std::string at;
};

struct StepProgress : CallProgress {
  bool started = false;
  std::string started_at;
  bool approval_pending = false;  // requested, not yet decided (re-asked on resume)
  std::string approval_requested_at;  // the first request's time (RFC 3339)
  std::vector<ApprovalVote> votes;
  bool announced = false;  // approval_announced (writ serve), and its one reminder
  bool reminded = false;
  std::optional<ApprovalDecision> decision;
  std::int64_t approval_latency_ms = 0;
  std::map<int, CallProgress> elements;  // a for-each step's, by index (the step's own: the base)
  bool task_pending = false;             // task_requested, not yet done
  std::string task_due_at;
  std::optional<TaskDone> task_done;
  std::optional<std::string> status;     // set by step_finished
  bool stopped = false;  // failed only because another branch of its parallel block failed

  CallProgress& unit(int element) { return element < 0 ? static_cast<CallProgress&>(*this) : elements[element]; }
  const CallProgress* find_unit(int element) const;
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
  RollbackProgress& rollback(const std::string& id, int element = -1) { return rollbacks_[{id, element}]; }
  // Steps whose action took effect, in the order they did (a for-each step once per element).
  const std::vector<std::string>& applied_order() const { return applied_order_; }
  // The units (step, element; -1 for the step itself) that took effect, in that order.
  const std::vector<std::pair<std::string, int>>& applied_units() const { return applied_units_; }

  // What a deferred step may read when it is rendered: steps.ID.status of finished steps and
  // steps.ID.outputs.NAME (a for-each step's: the list of its elements' outputs, in order).
  // Reads only steps other than those running concurrently (the checker makes a step read
  // only strictly earlier ones).
  expr::Environment steps_environment() const;
  // A step's outputs as the log shows them: its reply's object, or for a for-each step
  // {NAME: [value per element]}; null when it has none.
  nlohmann::json outputs_of(const std::string& id) const;

  const std::optional<std::string>& rollback_trigger() const { return rollback_trigger_; }
  const std::optional<std::string>& finished() const { return finished_; }

  const ExecutionLog& log() const { return log_; }

 private:
  void on_run_started(const JournalRecord& record);
  void on_step_record(const JournalRecord& record);
  void on_rollback_record(const JournalRecord& record);
  void on_deadline_record(const JournalRecord& record);
  void on_call_record(const JournalRecord& record, const std::string& id, StepProgress& p);
  void on_task_record(const JournalRecord& record, const std::string& id, StepProgress& p);
  void on_step_finished(const JournalRecord& record, const std::string& id, StepProgress& p);
  void on_step_rendered(const JournalRecord& record, const std::string& id);
  StepEntry& entry(const std::string& step);

  bool started_ = false;
  std::string run_id_;
  Plan plan_;
  nlohmann::json start_;
  nlohmann::json event_;
  std::map<std::string, StepProgress> steps_;
  std::map<std::pair<std::string, int>, RollbackProgress> rollbacks_;
  std::vector<std::pair<std::string, int>> applied_units_;
  std::map<std::string, std::vector<std::string>> required_roles_;
  std::map<std::string, std::string> connector_of_;
  std::vector<std::string> applied_order_;
  std::optional<std::string> rollback_trigger_;
  std::optional<std::string> finished_;
  ExecutionLog log_;
};

}  // namespace writ::runtime
