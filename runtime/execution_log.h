// The execution log: what `writ run --format json` prints (DESIGN §9, contract) and the text
// timeline. It is a projection of the journal (run_state.h builds it), so a resumed or rolled
// back run reports its whole history, not only the last invocation.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "runtime/approval.h"
#include "runtime/deadlines.h"

namespace writ::runtime {

struct ApprovalEntry {
  std::vector<std::string> required_roles;
  bool approved = false;
  std::vector<Approver> approvers;
  std::int64_t latency_ms = 0;
  std::string reason;  // text output only
};

// One element of a for-each step (its own call and rollback).
struct ElementEntry {
  nlohmann::json target;  // the loop variable's value
  std::string status;     // executed failed compensated pending
  int attempts = 0;
  std::optional<std::string> error;
};

// A human task's completion (`writ task done`, or serve's complete route).
struct TaskEntry {
  std::string assignee;
  std::string due_at;
  std::string done_by;  // empty: not done
  std::string done_at;
  std::string note;
};

struct StepEntry {
  std::string step;
  std::string action;
  std::string status;  // executed skipped refused failed compensated
  int attempts = 0;
  std::string started_at;
  std::string finished_at;
  std::optional<ApprovalEntry> approval;
  std::optional<std::string> error;
  std::string connector;  // text output only
  // Keys added by the language constructs, each printed only for the steps that have them:
  std::optional<std::string> reason = std::nullopt;  // "reason": why a step was skipped (an empty for-each list)
  std::optional<std::vector<ElementEntry>> elements = std::nullopt;  // "elements": a for-each step's calls, in order
  std::optional<nlohmann::json> outputs = std::nullopt;  // "outputs": a step that declares returns
  std::optional<TaskEntry> task = std::nullopt;           // "task": a human task
};

struct RollbackEntry {
  std::string step;
  std::string action;
  std::string status;  // executed failed
  std::optional<std::string> error;  // text output only
  int element = -1;  // a for-each step's element ("element" in the JSON), else -1 (no key)
};

struct EvidenceEntry {
  std::string artifact;
  std::string sha256;
  std::uint64_t size = 0;
};

struct ExecutionLog {
  std::string run_id;
  std::string runbook;
  std::string event_id;
  std::string status;  // completed halted_by_approval failed rolled_back rollback_incomplete
  std::vector<StepEntry> steps;
  std::vector<RollbackEntry> rollbacks;
  std::vector<EvidenceEntry> evidence;
  std::vector<DeadlineClock> deadlines;  // DESIGN §14: one clock per obligation of the runbook
  std::vector<std::string> notes;  // text output only: skipped evidence, uncompensated steps
  std::map<std::string, std::string> waiting_tasks;  // text output only: a parked run's task -> what it waits for
};

// Exactly the object of DESIGN §9.
nlohmann::json to_json(const ExecutionLog& log);

// A readable timeline for a terminal.
void print_text(std::ostream& out, const ExecutionLog& log);

}  // namespace writ::runtime
