#include "runtime/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/canonical_json.h"
#include "common/text.h"
#include "compiler/ir_json.h"
#include "runtime/connector.h"
#include "runtime/expr_json.h"
#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

// The expressions of a step: from the IR, or from a deferred step's journaled JSON.
struct StepExprs {
  expr::NodePtr when;
  std::vector<ir::Argument> args;
  std::optional<ir::Rollback> rollback;
  std::vector<expr::NodePtr> preserve;
  std::optional<ir::ForEach> for_each;
};

// Fields an expression reads that `env` does not have, outside `default(...)`.
void missing_fields(const expr::Node& node, const expr::Environment& env, std::vector<std::string>& out) {
  if (node.kind == expr::Node::Kind::Call && node.callee == "default") return;
  if (node.kind == expr::Node::Kind::Path && !env.lookup(node.path)) out.push_back(join(node.path, "."));
  for (const auto& child : node.children) {
    if (child) missing_fields(*child, env, out);
  }
}

// `source`: what holds the values ("the event", or "the run" for a deferred step).
expr::Value evaluate_checked(const expr::Node& node, const expr::Environment& env, const std::string& what,
                             const char* source) {
  std::vector<std::string> missing;
  missing_fields(node, env, missing);
  if (!missing.empty())
    throw PlanError(fmt::format("{} needs `{}`, which {} does not have", what, join(missing, "`, `"), source));
  auto value = expr::evaluate(node, env);
  if (std::holds_alternative<std::monostate>(value.v)) throw PlanError(fmt::format("{} renders to nothing", what));
  return value;
}

nlohmann::json render(const expr::Node& node, const expr::Environment& env, const std::string& what,
                      const char* source) {
  auto json = value_to_json(evaluate_checked(node, env, what, source));
  // A NUL would reach a connector, an argv or a path cut short (DESIGN §13), whatever its
  // source: the event is checked when parsed, this also covers runbook literals and outputs.
  if (auto at = nul_path(json, "")) {
    throw PlanError(fmt::format("{}{} holds a NUL character (U+0000)", what, at->empty() ? "" : " element " + *at));
  }
  return json;
}

nlohmann::json render_args(const std::vector<ir::Argument>& args, const expr::Environment& env,
                           const std::string& where, const char* source) {
  auto out = nlohmann::json::object();
  for (const auto& arg : args) {
    if (!arg.value) throw PlanError(fmt::format("{}: argument `{}` has no value", where, arg.name));
    out[arg.name] = render(*arg.value, env, fmt::format("{}: argument `{}`", where, arg.name), source);
  }
  return out;
}

bool holds(const expr::NodePtr& when, const expr::Environment& env) {
  if (!when) return true;
  auto value = expr::evaluate(*when, env);
  const bool* b = std::get_if<bool>(&value.v);
  return b && *b;
}

expr::Environment with_variable(const expr::Environment& env, const std::string& name, const expr::Value& value) {
  return expr::Environment{[env, name, value](std::span<const std::string> path) -> std::optional<expr::Value> {
    if (path.size() == 1 && path[0] == name) return value;
    return env.lookup(path);
  }};
}

// The arguments, rollback and artifact paths of one call, rendered in `env`.
PlannedElement render_call(const StepExprs& e, const expr::Environment& env, const std::string& where,
                           const char* source) {
  PlannedElement out;
  out.args = render_args(e.args, env, where, source);
  if (e.rollback) {
    out.rollback = PlannedCall{
        e.rollback->action,
        render_args(e.rollback->args, env, fmt::format("{} rollback `{}`", where, e.rollback->action), source)};
  }
  for (std::size_t i = 0; i < e.preserve.size(); ++i) {
    if (!e.preserve[i]) continue;
    auto path = render(*e.preserve[i], env, fmt::format("{}: artifact {}", where, i + 1), source);
    if (!path.is_string()) throw PlanError(fmt::format("{}: artifact {} is not a path", where, i + 1));
    out.preserve.push_back(path.get<std::string>());
  }
  return out;
}

void render_elements(PlannedStep& out, const StepExprs& e, const expr::Environment& env, const RuntimeOptions& options,
                     const char* source) {
  const auto where = fmt::format("step `{}`", out.id);
  const auto list = evaluate_checked(*e.for_each->list, env, where + ": the for-each list", source);
  const auto* items = std::get_if<expr::ValueList>(&list.v);
  if (!items) throw PlanError(fmt::format("{}: the for-each list is not a list", where));
  if (items->size() > options.max_for_each_elements) {
    throw PlanError(
        fmt::format("{}: the for-each list has {} elements, more than the limit of {} (max_for_each_elements)", where,
                    items->size(), options.max_for_each_elements));
  }
  out.for_each = e.for_each->variable;
  if (items->empty()) {
    out.enabled = false;
    out.skip_reason = fmt::format("its for-each list `{}` is empty", expr::to_source(*e.for_each->list));
    return;
  }
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto element =
        render_call(e, with_variable(env, e.for_each->variable, (*items)[i]), fmt::format("{}[{}]", where, i), source);
    element.target = value_to_json((*items)[i]);
    out.elements.push_back(std::move(element));
  }
}

// Renders `e` into `out` (whose other fields are set).
PlannedStep render_step(PlannedStep out, const StepExprs& e, const expr::Environment& env,
                        const RuntimeOptions& options, const char* source) {
  out.enabled = holds(e.when, env);
  if (!out.enabled) return out;  // a skipped step renders nothing: its fields may be absent
  if (e.for_each) {
    out.for_each = e.for_each->variable;
    render_elements(out, e, env, options, source);
    return out;
  }
  auto call = render_call(e, env, fmt::format("step `{}`", out.id), source);
  out.args = std::move(call.args);
  out.rollback = std::move(call.rollback);
  out.preserve = std::move(call.preserve);
  return out;
}

StepExprs exprs_of(const ir::Step& step) {
  return StepExprs{step.when, step.args, step.rollback, step.preserve, step.for_each};
}

bool reads_steps(const StepExprs& e) {
  auto reads = [](const expr::NodePtr& n) { return n && reads_root(*n, "steps"); };
  auto args_read = [&](const std::vector<ir::Argument>& args) {
    return std::any_of(args.begin(), args.end(), [&](const ir::Argument& a) { return reads(a.value); });
  };
  return reads(e.when) || args_read(e.args) || (e.rollback && args_read(e.rollback->args)) ||
         std::any_of(e.preserve.begin(), e.preserve.end(), reads) || (e.for_each && reads(e.for_each->list));
}

nlohmann::json bound(const expr::NodePtr& node, const expr::Environment& env, const std::set<std::string>& keep) {
  return node ? ir::to_json(*bind_paths(*node, env, keep)) : nlohmann::json(nullptr);
}

nlohmann::json bound_args(const std::vector<ir::Argument>& args, const expr::Environment& env,
                          const std::set<std::string>& keep) {
  auto out = nlohmann::json::object();
  for (const auto& arg : args) out[arg.name] = bound(arg.value, env, keep);
  return out;
}

// The deferred form: every event field and run.id bound to its value, `steps.…` and the loop
// variable kept for when the step is reached.
nlohmann::json deferred_json(const StepExprs& e, const expr::Environment& env) {
  std::set<std::string> keep{"steps"};
  if (e.for_each) keep.insert(e.for_each->variable);
  auto preserve = nlohmann::json::array();
  for (const auto& p : e.preserve) preserve.push_back(bound(p, env, keep));
  nlohmann::json out{{"when", bound(e.when, env, keep)},
                     {"args", bound_args(e.args, env, keep)},
                     {"preserve", preserve},
                     {"rollback", nullptr},
                     {"for_each", nullptr}};
  if (e.rollback) out["rollback"] = {{"action", e.rollback->action}, {"args", bound_args(e.rollback->args, env, keep)}};
  if (e.for_each) out["for_each"] = {{"list", bound(e.for_each->list, env, keep)}, {"variable", e.for_each->variable}};
  return out;
}

std::vector<ir::Argument> args_from(const nlohmann::json& json) {
  if (!json.is_object()) throw ExprJsonError("`args` is not an object");
  std::vector<ir::Argument> out;
  for (const auto& [name, node] : json.items()) out.push_back(ir::Argument{name, node_from_json(node)});
  return out;
}

expr::NodePtr optional_node(const nlohmann::json& json) { return json.is_null() ? nullptr : node_from_json(json); }

StepExprs exprs_from_json(const nlohmann::json& json) {
  if (!json.is_object()) throw ExprJsonError("not an object");
  StepExprs e;
  e.when = optional_node(json.value("when", nlohmann::json()));
  e.args = args_from(json.value("args", nlohmann::json::object()));
  if (const auto r = json.value("rollback", nlohmann::json()); r.is_object()) {
    e.rollback = ir::Rollback{r.value("action", ""), args_from(r.value("args", nlohmann::json::object()))};
  }
  for (const auto& p : json.value("preserve", nlohmann::json::array())) e.preserve.push_back(optional_node(p));
  if (const auto f = json.value("for_each", nlohmann::json()); f.is_object()) {
    if (!f.contains("variable") || !f["variable"].is_string())
      throw ExprJsonError("for_each: `variable` is not a string");
    e.for_each = ir::ForEach{node_from_json(f.value("list", nlohmann::json())), f["variable"].get<std::string>()};
  }
  return e;
}

PlannedStep step_frame(const ir::Step& step, const RuntimeOptions& options) {
  PlannedStep out;
  out.id = step.id;
  out.action = step.action;
  out.effect = step.effect;
  out.approval = step.approval;
  out.deadline_seconds = step.deadline_seconds;
  out.timeout_seconds = std::max<std::int64_t>(step.timeout_seconds, 1);
  out.retries = std::clamp(step.retries, 0, options.max_retries);
  out.on_failure = step.on_failure;
  out.block = step.parallel_block;
  if (step.task) out.task = PlannedTask{step.task->assignee, step.task->within_seconds};
  for (const auto& o : step.returns) out.returns.push_back(PlannedOutput{o.name, o.type.to_string()});
  return out;
}

PlannedStep plan_step(const ir::Step& step, const expr::Environment& env, const RuntimeOptions& options) {
  auto frame = step_frame(step, options);
  const auto exprs = exprs_of(step);
  if (!reads_steps(exprs)) return render_step(std::move(frame), exprs, env, options, "the event");
  frame.deferred = deferred_json(exprs, env);
  if (step.for_each) frame.for_each = step.for_each->variable;
  return frame;
}

}  // namespace

PlannedCall PlannedStep::call(int element) const {
  return element < 0 ? PlannedCall{action, args}
                     : PlannedCall{action, elements.at(static_cast<std::size_t>(element)).args};
}

std::optional<PlannedCall> PlannedStep::rollback_call(int element) const {
  return element < 0 ? rollback : elements.at(static_cast<std::size_t>(element)).rollback;
}

const std::vector<std::string>& PlannedStep::artifacts(int element) const {
  return element < 0 ? preserve : elements.at(static_cast<std::size_t>(element)).preserve;
}

nlohmann::json PlannedStep::targets() const {
  auto out = nlohmann::json::array();
  for (const auto& e : elements) out.push_back(e.target);
  return out;
}

nlohmann::json PlannedStep::element_args() const {
  auto out = nlohmann::json::array();
  for (const auto& e : elements) out.push_back(e.args);
  return out;
}

std::string unit_key(std::string_view run_id, const std::string& step, int element, std::string_view phase) {
  return idempotency_key(run_id, element < 0 ? step : fmt::format("{}[{}]", step, element), phase);
}

const PlannedStep* Plan::find(const std::string& step_id) const {
  for (const auto& step : steps) {
    if (step.id == step_id) return &step;
  }
  return nullptr;
}

PlannedStep render_deferred(const PlannedStep& step, const expr::Environment& env, const RuntimeOptions& options) {
  StepExprs exprs;
  try {
    exprs = exprs_from_json(step.deferred);
  } catch (const ExprJsonError& e) {
    throw PlanError(fmt::format("step `{}`: deferred expressions: {}", step.id, e.what()));
  }
  auto frame = step;
  frame.deferred = nullptr;
  return render_step(std::move(frame), exprs, env, options, "the run");
}

Plan make_plan(const ir::Runbook& runbook, const Event& event, const std::string& run_id,
               const RuntimeOptions& options) {
  if (runbook.steps.size() > options.max_steps) {
    throw PlanError(fmt::format("runbook `{}` has {} steps, more than the limit of {}", runbook.id,
                                runbook.steps.size(), options.max_steps));
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
      throw PlanError(
          fmt::format("runbook `{}`: the plan rendered for this event reaches {} bytes at step `{}`, more than "
                      "the limit of {} (max_plan_bytes); event values are copied into every argument that uses them",
                      runbook.id, bytes, step.id, options.max_plan_bytes));
    }
  }
  return plan;
}

}  // namespace writ::runtime
