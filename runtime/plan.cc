#include "runtime/plan.h"

#include <algorithm>
#include <fmt/format.h>

#include "common/canonical_json.h"
#include "common/text.h"
#include "compiler/ir_json.h"
#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

// Event fields an expression reads that the event does not have, outside `default(...)`.
void missing_fields(const expr::Node& node, const expr::Environment& env, std::vector<std::string>& out) {
  if (node.kind == expr::Node::Kind::Call && node.callee == "default") return;
  if (node.kind == expr::Node::Kind::Path && !env.lookup(node.path)) out.push_back(join(node.path, "."));
  for (const auto& child : node.children) {
    if (child) missing_fields(*child, env, out);
  }
}

nlohmann::json render(const expr::Node& node, const expr::Environment& env, const std::string& what) {
  std::vector<std::string> missing;
  missing_fields(node, env, missing);
  if (!missing.empty()) {
    throw PlanError(fmt::format("{} needs `{}`, which the event does not have", what, join(missing, "`, `")));
  }
  auto value = expr::evaluate(node, env);
  if (std::holds_alternative<std::monostate>(value.v)) throw PlanError(fmt::format("{} renders to nothing", what));
  auto json = value_to_json(value);
  // A NUL would reach a connector, an argv or a path cut short (DESIGN §13), whatever its
  // source: the event is checked when parsed, this also covers runbook literals.
  if (auto at = nul_path(json, "")) {
    throw PlanError(fmt::format("{}{} holds a NUL character (U+0000)", what, at->empty() ? "" : " element " + *at));
  }
  return json;
}

nlohmann::json render_args(const std::vector<ir::Argument>& args, const expr::Environment& env, const std::string& where) {
  auto out = nlohmann::json::object();
  for (const auto& arg : args) {
    if (!arg.value) throw PlanError(fmt::format("{}: argument `{}` has no value", where, arg.name));
    out[arg.name] = render(*arg.value, env, fmt::format("{}: argument `{}`", where, arg.name));
  }
  return out;
}

bool holds(const expr::NodePtr& when, const expr::Environment& env) {
  if (!when) return true;
  auto value = expr::evaluate(*when, env);
  const bool* b = std::get_if<bool>(&value.v);
  return b && *b;
}

PlannedStep plan_step(const ir::Step& step, const expr::Environment& env, const RuntimeOptions& options) {
  PlannedStep out;
  out.id = step.id;
  out.action = step.action;
  out.effect = step.effect;
  out.enabled = holds(step.when, env);
  out.approval = step.approval;
  out.deadline_seconds = step.deadline_seconds;
  out.timeout_seconds = std::max<std::int64_t>(step.timeout_seconds, 1);
  out.retries = std::clamp(step.retries, 0, options.max_retries);
  out.on_failure = step.on_failure;
  if (!out.enabled) return out;  // a skipped step renders nothing: its fields may be absent
  const auto where = fmt::format("step `{}`", step.id);
  out.args = render_args(step.args, env, where);
  if (step.rollback) {
    out.rollback = PlannedCall{step.rollback->action,
                               render_args(step.rollback->args, env, fmt::format("{} rollback `{}`", where, step.rollback->action))};
  }
  for (std::size_t i = 0; i < step.preserve.size(); ++i) {
    if (!step.preserve[i]) continue;
    auto path = render(*step.preserve[i], env, fmt::format("{}: artifact {}", where, i + 1));
    if (!path.is_string()) throw PlanError(fmt::format("{}: artifact {} is not a path", where, i + 1));
    out.preserve.push_back(path.get<std::string>());
  }
  return out;
}

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
                     {"rollback", nullptr},
                     {"deadline_seconds", nullptr}};
  if (step.approval) out["approval"] = {{"roles", step.approval->roles}, {"timeout_seconds", step.approval->timeout_seconds}};
  if (step.rollback) out["rollback"] = {{"action", step.rollback->action}, {"args", tag_floats(step.rollback->args)}};
  if (step.deadline_seconds) out["deadline_seconds"] = *step.deadline_seconds;
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
  if (auto r = field<nlohmann::json>(json, "rollback"); !r.is_null()) {
    step.rollback = PlannedCall{field<std::string>(r, "action"), untag_floats(field<nlohmann::json>(r, "args"))};
  }
  if (auto d = field<nlohmann::json>(json, "deadline_seconds"); !d.is_null()) step.deadline_seconds = field<std::int64_t>(json, "deadline_seconds");
  if (!step.args.is_object()) throw PlanError("plan: `args` is not an object");
  return step;
}

}  // namespace

const PlannedStep* Plan::find(const std::string& step_id) const {
  for (const auto& step : steps) {
    if (step.id == step_id) return &step;
  }
  return nullptr;
}

Plan make_plan(const ir::Runbook& runbook, const Event& event, const std::string& run_id, const RuntimeOptions& options) {
  if (runbook.steps.size() > options.max_steps) {
    throw PlanError(fmt::format("runbook `{}` has {} steps, more than the limit of {}", runbook.id, runbook.steps.size(),
                                options.max_steps));
  }
  const auto env = make_environment(event, run_id);
  Plan plan;
  plan.runbook = runbook.id;
  plan.title = runbook.title;
  plan.severity = runbook.severity;
  plan.digest = ir::digest(runbook);
  // Bounded while rendering, step by step, so a huge plan is refused before it is all in
  // memory: the journal keeps the plan in one record, which readers must accept.
  std::size_t bytes = canonical_json(plan_to_json(plan)).size();
  for (const auto& step : runbook.steps) {
    plan.steps.push_back(plan_step(step, env, options));
    bytes += canonical_json(step_to_json(plan.steps.back())).size() + (plan.steps.size() > 1 ? 1 : 0);  // the comma
    if (bytes > options.max_plan_bytes) {
      throw PlanError(fmt::format("runbook `{}`: the plan rendered for this event reaches {} bytes at step `{}`, more than "
                                  "the limit of {} (max_plan_bytes); event values are copied into every argument that uses them",
                                  runbook.id, bytes, step.id, options.max_plan_bytes));
    }
  }
  return plan;
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
