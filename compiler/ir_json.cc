#include "compiler/ir_json.h"

#include <set>

#include "common/canonical_json.h"

namespace writ::ir {

using nlohmann::json;

namespace {

std::string_view kind_name(expr::Node::Kind kind) {
  switch (kind) {
    case expr::Node::Kind::Literal: return "literal";
    case expr::Node::Kind::Path: return "path";
    case expr::Node::Kind::Unary: return "unary";
    case expr::Node::Kind::Binary: return "binary";
    case expr::Node::Kind::Call: return "call";
    case expr::Node::Kind::List: return "list";
    case expr::Node::Kind::Interpolation: return "interpolation";
    case expr::Node::Kind::Error: return "error";
  }
  return "error";
}

// Floats are kept as their decimal text so the canonical JSON stays integer-only.
json value_json(const expr::Value& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return nullptr;
        else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::string>)
          return v;
        else if constexpr (std::is_same_v<T, double>) return json{{"float", expr::Value{v}.to_display()}};
        else if constexpr (std::is_same_v<T, expr::DurationValue>) return json{{"duration_seconds", v.seconds}};
        else if constexpr (std::is_same_v<T, expr::TimestampValue>) return json{{"timestamp", v.unix_seconds}};
        else {
          json list = json::array();
          for (const auto& item : v) list.push_back(value_json(item));
          return list;
        }
      },
      value.v);
}

json args_json(const std::vector<Argument>& args) {
  json out = json::object();
  for (const auto& arg : args) out[arg.name] = arg.value ? to_json(*arg.value) : json(nullptr);
  return out;
}

json optional_node(const expr::NodePtr& node) { return node ? to_json(*node) : json(nullptr); }

// The ids of the steps whose outputs some expression reads (`steps.ID.outputs.NAME`).
void collect_output_reads(const expr::Node& node, std::set<std::string>& out) {
  if (node.kind == expr::Node::Kind::Path && node.path.size() > 2 && node.path[0] == "steps" && node.path[2] == "outputs")
    out.insert(node.path[1]);
  for (const auto& child : node.children) {
    if (child) collect_output_reads(*child, out);
  }
}

std::set<std::string> output_reads(const Runbook& runbook) {
  std::set<std::string> out;
  auto visit = [&](const expr::NodePtr& node) {
    if (node) collect_output_reads(*node, out);
  };
  for (const auto& step : runbook.steps) {
    for (const auto& arg : step.args) visit(arg.value);
    if (step.rollback) {
      for (const auto& arg : step.rollback->args) visit(arg.value);
    }
    for (const auto& path : step.preserve) visit(path);
    visit(step.when);
    if (step.for_each) visit(step.for_each->list);
  }
  return out;
}

// The issue-18 constructs appear only when used, so the JSON (and digest) of a runbook
// without them is what it was before they existed. A step's `returns` (its action's
// declared outputs) appear when a later step reads them: an output nobody reads changes
// nothing the runbook does, and stdlib actions that gained outputs (open_ticket) leave the
// digests of the runbooks calling them unchanged.
void add_constructs(json& out, const Step& step, bool outputs_read) {
  if (step.for_each) out["for_each"] = {{"list", optional_node(step.for_each->list)}, {"as", step.for_each->variable}};
  if (step.parallel_block > 0) out["parallel"] = step.parallel_block;
  if (step.task) out["task"] = {{"assignee", step.task->assignee}, {"within_seconds", step.task->within_seconds}};
  if (outputs_read && !step.returns.empty()) {
    json returns = json::object();
    for (const auto& output : step.returns) returns[output.name] = to_json(output.type);
    out["returns"] = returns;
  }
}

json step_json(const Step& step, bool outputs_read) {
  json out{{"id", step.id},
           {"action", step.action},
           {"effect", step.effect},
           {"args", args_json(step.args)},
           {"timeout_seconds", step.timeout_seconds},
           {"when", optional_node(step.when)},
           {"retries", step.retries},
           {"on_failure", on_failure_name(step.on_failure)},
           {"satisfies", step.satisfies}};
  out["approval"] = step.approval ? json{{"roles", step.approval->roles}, {"timeout_seconds", step.approval->timeout_seconds}}
                                  : json(nullptr);
  out["rollback"] = step.rollback ? json{{"action", step.rollback->action}, {"args", args_json(step.rollback->args)}}
                                  : json(nullptr);
  json preserve = json::array();
  for (const auto& path : step.preserve) preserve.push_back(optional_node(path));
  out["preserve"] = preserve;
  out["deadline_seconds"] = step.deadline_seconds ? json(*step.deadline_seconds) : json(nullptr);
  add_constructs(out, step, outputs_read);
  return out;
}

}  // namespace

std::string_view on_failure_name(OnFailure value) {
  switch (value) {
    case OnFailure::Halt: return "halt";
    case OnFailure::Rollback: return "rollback";
    case OnFailure::Continue: return "continue";
  }
  return "halt";
}

json to_json(const expr::Type& type) { return type.to_string(); }

json to_json(const expr::Node& node) {
  json out{{"kind", kind_name(node.kind)}, {"type", to_json(node.type)}};
  switch (node.kind) {
    case expr::Node::Kind::Literal: out["value"] = value_json(node.literal); break;
    case expr::Node::Kind::Path: out["path"] = node.path; break;
    case expr::Node::Kind::Unary:
    case expr::Node::Kind::Binary: out["op"] = node.op; break;
    case expr::Node::Kind::Call: out["callee"] = node.callee; break;
    default: break;
  }
  if (!node.children.empty()) {
    json children = json::array();
    for (const auto& child : node.children) children.push_back(child ? to_json(*child) : json(nullptr));
    out["children"] = children;
  }
  return out;
}

json to_json(const Runbook& runbook) {
  json event = json::array();
  for (const auto& field : runbook.event) event.push_back({{"name", field.name}, {"type", to_json(field.type)}});
  json steps = json::array();
  auto reads = output_reads(runbook);
  for (const auto& step : runbook.steps) steps.push_back(step_json(step, reads.contains(step.id)));
  return json{{"ir_version", 1},
              {"id", runbook.id},
              {"title", runbook.title},
              {"severity", runbook.severity},
              {"compliance", runbook.compliance},
              {"event", event},
              {"when", optional_node(runbook.when)},
              {"steps", steps}};
}

std::string digest(const Runbook& runbook) { return canonical_digest(to_json(runbook)); }

}  // namespace writ::ir
