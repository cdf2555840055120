#include "report/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/text.h"
#include "compiler/ir_json.h"
#include "compiler/rules/worst_case.h"

namespace writ {

using nlohmann::json;

namespace {

std::string literal_text(const expr::NodePtr& node) { return node ? expr::to_source(*node) : std::string(); }

std::string path_text(const expr::NodePtr& node) {
  if (node && node->kind == expr::Node::Kind::Literal) {
    if (const auto* s = std::get_if<std::string>(&node->literal.v)) return *s;
  }
  return literal_text(node);
}

std::vector<std::string> required_roles(const ir::Runbook& rb, const ir::Step& step, const Catalog& catalog) {
  const auto& levels = catalog.policy().severities;
  auto it = levels.find(rb.severity);
  if (it == levels.end() || !it->second.effects.contains(step.effect)) return {};
  return it->second.roles;
}

std::string rollback_status(const ir::Step& step, const Catalog& catalog) {
  auto action = catalog.actions.find(step.action);
  if (action == catalog.actions.end() || !action->second.inverse) return "n/a";
  if (!step.rollback) return "missing";
  return step.rollback->action == *action->second.inverse ? "covered" : "wrong";
}

// How the step stands against the approval policy: "not_required" (the policy asks no role
// for its effect at this severity), "covered" (its approval names every required role),
// "exempt" (a reversible contain step with its rollback may run unapproved, DESIGN §6), or
// "missing" (required roles are not named: an approval-coverage finding).
std::string approval_status(const ir::Step& step, const std::vector<std::string>& required, const Catalog& catalog) {
  if (required.empty()) return "not_required";
  if (step.approval) {
    const auto& named = step.approval->roles;
    const bool all = std::all_of(required.begin(), required.end(), [&](const std::string& role) {
      return std::find(named.begin(), named.end(), role) != named.end();
    });
    return all ? "covered" : "missing";
  }
  auto action = catalog.actions.find(step.action);
  const bool reversible = action != catalog.actions.end() && action->second.inverse.has_value();
  return step.effect == "contain" && step.rollback && reversible ? "exempt" : "missing";
}

// The issue-18 constructs, as keys present only when used.
void add_constructs(json& out, const ir::Step& step) {
  if (step.for_each) out["for_each"] = {{"variable", step.for_each->variable}, {"list", literal_text(step.for_each->list)}};
  if (step.parallel_block > 0) out["parallel"] = step.parallel_block;
  if (step.task) out["task"] = {{"assignee", step.task->assignee}, {"within_seconds", step.task->within_seconds}};
}

json step_json(const ir::Runbook& rb, const ir::Step& step, const ast::Step* ast_step, const Catalog& catalog) {
  json evidence = json::array();
  for (const auto& path : step.preserve) evidence.push_back(path_text(path));
  json approval = nullptr;
  if (step.approval) {
    approval = {{"roles", step.approval->roles},
                {"timeout_seconds", step.approval->timeout_seconds},
                {"timeout_declared", ast_step && ast_step->approval && ast_step->approval->timeout_seconds.has_value()}};
  }
  const auto required = required_roles(rb, step, catalog);
  json out = {{"id", step.id},
          {"action", step.action},
          {"effect", step.effect},
          {"required_roles", required},
          {"approval", approval},
          {"approval_status", approval_status(step, required, catalog)},
          {"timeout_seconds", step.timeout_seconds},
          {"deadline_seconds", step.deadline_seconds ? json(*step.deadline_seconds) : json(nullptr)},
          {"rollback", step.rollback ? json(step.rollback->action) : json(nullptr)},
          {"rollback_status", rollback_status(step, catalog)},
          {"evidence", evidence},
          {"satisfies", step.satisfies}};
  add_constructs(out, step);
  return out;
}

json obligation_json(const rules::ObligationStatus& status, const ir::Runbook& rb, const Catalog& catalog) {
  const auto& info = catalog.obligations.at(status.obligation);
  json out{{"id", info.id},
           {"regime", info.regime},
           {"title", info.title},
           {"citation", info.citation},
           {"trigger", info.trigger},
           {"notify", info.notify},
           {"deadline", info.deadline_text},
           {"deadline_seconds", status.bound_seconds},
           {"asap", status.asap},
           {"follow_up", status.follow_up},
           {"brought_in_by", status.tag}};
  std::string verdict = status.met() ? "met" : status.follow_up ? "open" : "violated";
  out["status"] = verdict;
  if (status.candidates.empty()) {
    out["step"] = nullptr;
    out["reason"] = status.follow_up ? "follow-up obligation: no step yet; track it after the incident"
                                     : "no step satisfies it";
    return out;
  }
  const auto& best = status.candidates.front();
  const auto& step = rb.steps[best.step];
  out["step"] = step.id;
  out["step_deadline_seconds"] = step.deadline_seconds ? json(*step.deadline_seconds) : json(nullptr);
  out["worst_case_seconds"] = best.arrival.seconds;
  out["margin_seconds"] = status.bound_seconds - std::max(best.arrival.seconds, step.deadline_seconds.value_or(0));
  json path = json::array();
  for (const auto& part : best.arrival.path) {
    path.push_back({{"step", rb.steps[part.step].id}, {"kind", part.approval ? "approval" : "run"}, {"seconds", part.seconds}});
  }
  out["path"] = path;
  if (best.in_time() && best.conditional) {
    out["reason"] = "the step runs only when " + rules::run_condition(step) + ": no step that always runs meets it";
  } else if (!best.deadline_ok) {
    out["reason"] = "the step's deadline is later than the obligation's";
  } else if (!best.arrival_ok) {
    out["reason"] = "the worst-case time to reach the step exceeds the deadline";
  }
  return out;
}

json suppressions_json(const ast::File& file, const std::string& path) {
  json out = json::array();
  for (const auto& s : file.suppressions) {
    out.push_back({{"file", path},
                   {"rule", s.rule.value},
                   {"reason", s.reason ? json(s.reason->value) : json(nullptr)},
                   {"expires", s.expires ? json(s.expires->value) : json(nullptr)},
                   {"line", file.source ? file.source->locate(s.span.begin).line : 0},
                   {"applies_to_line", s.target_line}});
  }
  return out;
}

// Unsuppressed errors and warnings `writ check` reports for runbook `id` of `file`.
std::pair<int, int> findings(const CompiledFile& file, const std::string& id) {
  int errors = 0;
  int warnings = 0;
  for (const auto& d : file.diagnostics) {
    if (d.suppressed_by || d.runbook != id) continue;
    errors += d.severity == Severity::Error;
    warnings += d.severity == Severity::Warning;
  }
  return {errors, warnings};
}

json runbook_json(const CompiledFile& file, std::size_t index, const Catalog& catalog) {
  const auto& rb = file.runbooks[index];
  const auto& ast_rb = file.ast.runbooks[index];
  json steps = json::array();
  int reversible = 0;
  int covered = 0;
  json artifacts = json::array();
  for (std::size_t i = 0; i < rb.steps.size(); ++i) {
    const ast::Step* ast_step = i < ast_rb.steps.size() ? &ast_rb.steps[i] : nullptr;
    json step = step_json(rb, rb.steps[i], ast_step, catalog);
    if (step["rollback_status"] != "n/a") ++reversible;
    if (step["rollback_status"] == "covered") ++covered;
    for (const auto& path : step["evidence"]) artifacts.push_back({{"step", rb.steps[i].id}, {"path", path}});
    steps.push_back(std::move(step));
  }
  json obligations = json::array();
  for (const auto& status : rules::evaluate_obligations(rb, catalog)) obligations.push_back(obligation_json(status, rb, catalog));
  const std::string path = file.source ? file.source->path() : std::string();
  const auto [errors, warnings] = findings(file, rb.id);
  return {{"id", rb.id},
          {"title", rb.title},
          {"file", path},
          {"files", json::array({path})},
          {"digest", ir::digest(rb)},
          {"severity", rb.severity},
          {"compliance", rb.compliance},
          {"errors", errors},
          {"warnings", warnings},
          {"checks", json::array({json{{"file", path}, {"errors", errors}, {"warnings", warnings}}})},
          {"steps", steps},
          {"rollback_coverage", {{"reversible_steps", reversible}, {"covered", covered}}},
          {"evidence_plan", {{"roots", catalog.policy().evidence_roots}, {"artifacts", artifacts}}},
          {"obligations", obligations},
          {"suppressions", suppressions_json(file.ast, path)}};
}

// `twin` compiled to the same IR as `into` (a YAML runbook and its DSL translation): it joins
// `into` as one more file. The regulatory figures are the IR's, hence already `into`'s; what
// belongs to a file (its findings, its suppression comments) is added.
void merge_twin(json& into, const json& twin) {
  const auto& file = twin["file"];
  auto& files = into["files"];
  if (std::find(files.begin(), files.end(), file) != files.end()) return;
  files.push_back(file);
  into["checks"].push_back(twin["checks"][0]);
  into["errors"] = std::max(into["errors"].get<int>(), twin["errors"].get<int>());
  into["warnings"] = std::max(into["warnings"].get<int>(), twin["warnings"].get<int>());
  for (const auto& s : twin["suppressions"]) into["suppressions"].push_back(s);
}

// A cell's status: violated if any obligation is, else open if any is, else met.
std::string worst(const std::map<std::string, int>& counts) {
  if (counts.at("violated") > 0) return "violated";
  return counts.at("open") > 0 ? "open" : "met";
}

json counted(json cell, const std::map<std::string, int>& counts) {
  for (const auto& [status, n] : counts) cell[status] = n;
  cell["status"] = worst(counts);
  return cell;
}

json summary_json(const json& runbooks) {
  const std::map<std::string, int> zero{{"met", 0}, {"violated", 0}, {"open", 0}};
  std::map<std::string, std::map<std::string, int>> by_regime;
  json matrix = json::array();
  auto totals = zero;
  for (const auto& rb : runbooks) {
    std::map<std::string, std::map<std::string, int>> cells;
    for (const auto& ob : rb["obligations"]) {
      const std::string regime = ob["regime"];
      const std::string status = ob["status"];
      for (auto* counts : {&cells.try_emplace(regime, zero).first->second, &by_regime.try_emplace(regime, zero).first->second,
                           &totals}) {
        ++(*counts)[status];
      }
    }
    for (const auto& [regime, counts] : cells) {
      matrix.push_back(counted({{"regime", regime}, {"runbook", rb["id"]}, {"file", rb["file"]}}, counts));
    }
  }
  json regimes = json::array();
  json per_regime = json::array();
  for (const auto& [regime, counts] : by_regime) {
    regimes.push_back(regime);
    per_regime.push_back(counted({{"regime", regime}}, counts));
  }
  return {{"regimes", regimes}, {"by_regime", per_regime}, {"matrix", matrix}, {"totals", totals}};
}

}  // namespace

std::string step_construct_text(const json& step) {
  std::vector<std::string> parts;
  if (step.contains("for_each")) {
    parts.push_back("for each " + step["for_each"].value("variable", "") + " in " + step["for_each"].value("list", ""));
  }
  if (step.contains("task")) {
    const auto& task = step["task"];
    parts.push_back("task for " + task.value("assignee", "") + " within " +
                    format_duration(task.value("within_seconds", std::int64_t{0})));
  }
  return join(parts, "; ");
}

std::string parallel_heading(const json& steps, std::size_t index) {
  const json& step = steps.at(index);
  if (!step.contains("parallel")) return {};
  int block = step["parallel"].get<int>();
  if (index > 0 && steps.at(index - 1).value("parallel", 0) == block) return {};
  std::vector<std::string> members;
  for (std::size_t i = index; i < steps.size() && steps.at(i).value("parallel", 0) == block; ++i) {
    members.push_back(steps.at(i).value("id", ""));
  }
  return fmt::format("parallel block {}: {} start together; the block ends when all have", block, join(members, ", "));
}

json build_report(const std::vector<CompiledFile>& files, const Catalog& catalog, const ReportOptions& options) {
  json runbooks = json::array();
  std::map<std::pair<std::string, std::string>, std::size_t> seen;  // (id, digest) -> index in runbooks
  for (const auto& file : files) {
    for (std::size_t i = 0; i < file.runbooks.size() && i < file.ast.runbooks.size(); ++i) {
      json rb = runbook_json(file, i, catalog);
      auto [at, added] = seen.try_emplace({rb["id"].get<std::string>(), rb["digest"].get<std::string>()}, runbooks.size());
      if (added) runbooks.push_back(std::move(rb));
      else merge_twin(runbooks[at->second], rb);
    }
  }
  json report{{"version", 1},
              {"tool", "writ " + options.tool_version},
              {"policy", catalog.policy().name},
              {"runbooks", runbooks},
              {"summary", summary_json(runbooks)}};
  if (!options.generated_at.empty()) report["generated_at"] = options.generated_at;
  return report;
}

}  // namespace writ
