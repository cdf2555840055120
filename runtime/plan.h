// A plan is a runbook rendered for one event: every `when` decided, every argument, rollback
// argument and artifact path evaluated once from the typed IR. Rendered values are data; the
// runtime never evaluates them again. The plan is journaled in the run_started record, so
// --resume and `writ rollback` replay exactly the values the run started with.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/ir.h"
#include "runtime/event.h"
#include "runtime/options.h"

namespace writ::runtime {

// A runbook that cannot be rendered for this event (an argument needs an event field the
// event lacks, too many steps). The message names the step and the argument.
struct PlanError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct PlannedCall {
  std::string action;
  nlohmann::json args = nlohmann::json::object();  // parameter -> rendered value
};

struct PlannedStep {
  std::string id;
  std::string action;
  std::string effect;
  bool enabled = true;  // false: its `when` did not hold (the step is skipped)
  nlohmann::json args = nlohmann::json::object();
  std::optional<ir::Approval> approval;
  std::optional<PlannedCall> rollback;
  std::vector<std::string> preserve;  // rendered artifact paths
  std::optional<std::int64_t> deadline_seconds;
  std::int64_t timeout_seconds = 1800;
  int retries = 0;  // clamped to RuntimeOptions::max_retries
  ir::OnFailure on_failure = ir::OnFailure::Halt;
};

struct Plan {
  std::string runbook;   // runbook id
  std::string title;
  std::string severity;
  std::string digest;    // ir::digest of the runbook
  std::vector<PlannedStep> steps;

  const PlannedStep* find(const std::string& step_id) const;
};

// Renders `runbook` for `event` (whose fields must already be typed against runbook.event).
// Throws PlanError.
Plan make_plan(const ir::Runbook& runbook, const Event& event, const std::string& run_id, const RuntimeOptions& options);

// Journal form (canonical-JSON safe: floats tagged, see json_input.h) and back. plan_from_json
// throws PlanError naming the offending key.
nlohmann::json plan_to_json(const Plan& plan);
Plan plan_from_json(const nlohmann::json& json);

}  // namespace writ::runtime
