// A plan is a runbook rendered for one event: every `when` decided, every argument, rollback
// argument and artifact path evaluated once from the typed IR. Rendered values are data; the
// runtime never evaluates them again. The plan is journaled in the run_started record, so
// --resume and `writ rollback` replay exactly the values the run started with.
//
// A step whose expressions read `steps.ID.…` (an earlier step's status or outputs) cannot be
// rendered up front: the plan keeps its expressions *deferred* — as IR JSON, with every event
// field and run.id already substituted by its value — and the interpreter renders them when
// the step is reached (render_deferred), from the statuses and outputs the journal holds, and
// journals the result (step_rendered). A for-each step renders one PlannedElement per element
// of its list.
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

// One element of a for-each step: its own call, rollback and artifacts.
struct PlannedElement {
  nlohmann::json target;  // the loop variable's value
  nlohmann::json args = nlohmann::json::object();
  std::optional<PlannedCall> rollback;
  std::vector<std::string> preserve;
};

struct PlannedTask {
  std::string assignee;  // the role that marks it done
  std::int64_t within_seconds = 0;
};

struct PlannedOutput {
  std::string name;
  std::string type;  // expr::Type::to_string()
};

struct PlannedStep {
  std::string id;
  std::string action;
  std::string effect;
  bool enabled = true;  // false: its `when` did not hold, or its for-each list is empty
  std::string skip_reason;  // why a disabled step is skipped, when not its `when`
  nlohmann::json args = nlohmann::json::object();
  std::optional<ir::Approval> approval;
  std::optional<PlannedCall> rollback;
  std::vector<std::string> preserve;  // rendered artifact paths
  std::optional<std::int64_t> deadline_seconds;
  std::int64_t timeout_seconds = 1800;
  int retries = 0;  // clamped to RuntimeOptions::max_retries
  ir::OnFailure on_failure = ir::OnFailure::Halt;
  std::optional<std::string> for_each;  // the loop variable: the step runs once per element
  std::vector<PlannedElement> elements;
  int block = 0;  // k > 0: a branch of the k-th parallel block (members are consecutive)
  std::optional<PlannedTask> task;
  std::vector<PlannedOutput> returns;
  // Null, or the step's expressions still to render (render_deferred): {"when", "args",
  // "rollback", "preserve", "for_each"} as IR JSON.
  nlohmann::json deferred;

  bool is_deferred() const { return !deferred.is_null(); }
  // Calls the step makes: one per element for a for-each step, else one.
  std::size_t units() const { return for_each ? elements.size() : 1; }
  // The call of unit `element` (-1: the step itself), its rollback and its artifacts.
  PlannedCall call(int element) const;
  std::optional<PlannedCall> rollback_call(int element) const;
  const std::vector<std::string>& artifacts(int element) const;
  // What approvers of a for-each step are shown: every element's value, and its arguments
  // (arrays in element order).
  nlohmann::json targets() const;
  nlohmann::json element_args() const;
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

// Renders a deferred step now. `env` resolves what the journal knows (steps.ID.status,
// steps.ID.outputs.NAME); event fields were bound when the plan was made. The result is no
// longer deferred. Throws PlanError naming the step and what it needs.
PlannedStep render_deferred(const PlannedStep& step, const expr::Environment& env, const RuntimeOptions& options);

// The key of unit `element` of `step` (-1: the step itself; i: "STEP[i]") in a phase.
std::string unit_key(std::string_view run_id, const std::string& step, int element, std::string_view phase);

// Journal form (canonical-JSON safe: floats tagged, see json_input.h) and back. plan_from_json
// throws PlanError naming the offending key.
nlohmann::json plan_to_json(const Plan& plan);
Plan plan_from_json(const nlohmann::json& json);
nlohmann::json step_to_json(const PlannedStep& step);
PlannedStep step_from_json(const nlohmann::json& json);

}  // namespace writ::runtime
