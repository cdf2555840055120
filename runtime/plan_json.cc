// The journal form of a plan (run_started's `plan`, step_rendered's `step`). Keys a step of the
// first language does not use (for_each, elements, block, task, returns, deferred,
// skip_reason) are written only when set, so such a step's JSON is unchanged.
#include <fmt/format.h>

#include "runtime/json_input.h"
#include "runtime/plan.h"

namespace writ::runtime {

namespace {

std::optional<ir::OnFailure> on_failure_from(const std::string& name) {
  for (auto value : {ir::OnFailure::Halt, ir::OnFailure::Rollback, ir::OnFailure::Continue}) {
    if (ir::on_failure_name(value) == name) return value;
  }
  return std::nullopt;
}

// Reads json[key] as T, or throws PlanError naming the key.
template <typename T>
T field(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end()) throw PlanError(fmt::format("plan: missing `{}`", key));
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw PlanError(fmt::format("plan: `{}` has the wrong type ({})", key, json_kind(*it)));
  }
}

// json[key] as T when present and not null.
template <typename T>
std::optional<T> optional_field(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return std::nullopt;
  return field<T>(json, key);
}

nlohmann::json call_json(const std::optional<PlannedCall>& call) {
  if (!call) return nullptr;
  return {{"action", call->action}, {"args", tag_floats(call->args)}};
}

std::optional<PlannedCall> call_from(const nlohmann::json& json) {
  if (json.is_null()) return std::nullopt;
  PlannedCall call{field<std::string>(json, "action"), untag_floats(field<nlohmann::json>(json, "args"))};
  if (!call.args.is_object()) throw PlanError("plan: rollback `args` is not an object");
  return call;
}

nlohmann::json elements_json(const std::vector<PlannedElement>& elements) {
  auto out = nlohmann::json::array();
  for (const auto& e : elements) {
    out.push_back({{"target", tag_floats(e.target)}, {"args", tag_floats(e.args)}, {"rollback", call_json(e.rollback)},
                   {"preserve", e.preserve}});
  }
  return out;
}

std::vector<PlannedElement> elements_from(const nlohmann::json& json) {
  if (!json.is_array()) throw PlanError("plan: `elements` is not a list");
  std::vector<PlannedElement> out;
  for (const auto& e : json) {
    if (!e.is_object()) throw PlanError("plan: an element is not an object");
    PlannedElement element{untag_floats(field<nlohmann::json>(e, "target")), untag_floats(field<nlohmann::json>(e, "args")),
                           call_from(field<nlohmann::json>(e, "rollback")), field<std::vector<std::string>>(e, "preserve")};
    if (!element.args.is_object()) throw PlanError("plan: an element's `args` is not an object");
    out.push_back(std::move(element));
  }
  return out;
}

void language_to_json(const PlannedStep& step, nlohmann::json& out) {
  if (step.for_each) {
    out["for_each"] = *step.for_each;
    out["elements"] = elements_json(step.elements);
  }
  if (!step.skip_reason.empty()) out["skip_reason"] = step.skip_reason;
  if (step.block > 0) out["block"] = step.block;
  if (step.task) out["task"] = {{"assignee", step.task->assignee}, {"within_seconds", step.task->within_seconds}};
  if (!step.returns.empty()) {
    auto returns = nlohmann::json::array();
    for (const auto& r : step.returns) returns.push_back({{"name", r.name}, {"type", r.type}});
    out["returns"] = returns;
  }
  if (step.is_deferred()) out["deferred"] = step.deferred;
}

void language_from_json(const nlohmann::json& json, PlannedStep& step) {
  step.for_each = optional_field<std::string>(json, "for_each");
  if (step.for_each) step.elements = elements_from(field<nlohmann::json>(json, "elements"));
  step.skip_reason = optional_field<std::string>(json, "skip_reason").value_or("");
  step.block = optional_field<int>(json, "block").value_or(0);
  if (auto t = optional_field<nlohmann::json>(json, "task")) {
    step.task = PlannedTask{field<std::string>(*t, "assignee"), field<std::int64_t>(*t, "within_seconds")};
  }
  for (const auto& r : optional_field<nlohmann::json>(json, "returns").value_or(nlohmann::json::array())) {
    step.returns.push_back(PlannedOutput{field<std::string>(r, "name"), field<std::string>(r, "type")});
  }
  step.deferred = json.value("deferred", nlohmann::json());
  if (step.is_deferred() && !step.deferred.is_object()) throw PlanError("plan: `deferred` is not an object");
}

}  // namespace

nlohmann::json step_to_json(const PlannedStep& step) {
  nlohmann::json out{{"id", step.id},
                     {"action", step.action},
                     {"effect", step.effect},
                     {"enabled", step.enabled},
                     {"args", tag_floats(step.args)},
                     {"preserve", step.preserve},
                     {"timeout_seconds", step.timeout_seconds},
                     {"retries", step.retries},
                     {"on_failure", std::string(ir::on_failure_name(step.on_failure))},
                     {"approval", nullptr},
                     {"rollback", call_json(step.rollback)},
                     {"deadline_seconds", nullptr}};
  if (step.approval) out["approval"] = {{"roles", step.approval->roles}, {"timeout_seconds", step.approval->timeout_seconds}};
  if (step.deadline_seconds) out["deadline_seconds"] = *step.deadline_seconds;
  language_to_json(step, out);
  return out;
}

PlannedStep step_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw PlanError("plan: a step is not an object");
  PlannedStep step;
  step.id = field<std::string>(json, "id");
  step.action = field<std::string>(json, "action");
  step.effect = field<std::string>(json, "effect");
  step.enabled = field<bool>(json, "enabled");
  step.args = untag_floats(field<nlohmann::json>(json, "args"));
  step.preserve = field<std::vector<std::string>>(json, "preserve");
  step.timeout_seconds = field<std::int64_t>(json, "timeout_seconds");
  step.retries = field<int>(json, "retries");
  auto on_failure = on_failure_from(field<std::string>(json, "on_failure"));
  if (!on_failure) throw PlanError("plan: unknown `on_failure`");
  step.on_failure = *on_failure;
  if (auto a = field<nlohmann::json>(json, "approval"); !a.is_null()) {
    step.approval = ir::Approval{field<std::vector<std::string>>(a, "roles"), field<std::int64_t>(a, "timeout_seconds")};
  }
  step.rollback = call_from(field<nlohmann::json>(json, "rollback"));
  if (auto d = field<nlohmann::json>(json, "deadline_seconds"); !d.is_null()) step.deadline_seconds = field<std::int64_t>(json, "deadline_seconds");
  if (!step.args.is_object()) throw PlanError("plan: `args` is not an object");
  language_from_json(json, step);
  return step;
}

nlohmann::json plan_to_json(const Plan& plan) {
  auto steps = nlohmann::json::array();
  for (const auto& step : plan.steps) steps.push_back(step_to_json(step));
  return {{"runbook", plan.runbook}, {"title", plan.title}, {"severity", plan.severity}, {"digest", plan.digest}, {"steps", steps}};
}

Plan plan_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw PlanError("plan: not an object");
  Plan plan;
  plan.runbook = field<std::string>(json, "runbook");
  plan.title = field<std::string>(json, "title");
  plan.severity = field<std::string>(json, "severity");
  plan.digest = field<std::string>(json, "digest");
  const auto steps = field<nlohmann::json>(json, "steps");
  if (!steps.is_array()) throw PlanError("plan: `steps` is not an array");
  for (const auto& step : steps) plan.steps.push_back(step_from_json(step));
  return plan;
}

}  // namespace writ::runtime
