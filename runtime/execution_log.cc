#include "runtime/execution_log.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"

namespace writ::runtime {

namespace {

nlohmann::json approvers_json(const std::vector<Approver>& approvers) {
  auto out = nlohmann::json::array();
  for (const auto& a : approvers) out.push_back({{"approver", a.approver}, {"role", a.role}});
  return out;
}

nlohmann::json optional_string(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json step_json(const StepEntry& step) {
  nlohmann::json approval = nullptr;
  if (step.approval) {
    approval = {{"required_roles", step.approval->required_roles},
                {"approved", step.approval->approved},
                {"approvers", approvers_json(step.approval->approvers)},
                {"latency_ms", step.approval->latency_ms}};
  }
  nlohmann::json out{{"step", step.step},
                     {"action", step.action},
                     {"status", step.status},
                     {"attempts", step.attempts},
                     {"started_at", step.started_at},
                     {"finished_at", step.finished_at},
                     {"approval", approval},
                     {"error", optional_string(step.error)}};
  if (step.reason) out["reason"] = *step.reason;
  if (step.elements) {
    auto elements = nlohmann::json::array();
    for (const auto& e : *step.elements) {
      elements.push_back({{"target", e.target}, {"status", e.status}, {"attempts", e.attempts}, {"error", optional_string(e.error)}});
    }
    out["elements"] = elements;
  }
  if (step.outputs) out["outputs"] = *step.outputs;
  if (step.task) {
    const auto& t = *step.task;
    out["task"] = {{"assignee", t.assignee}, {"due_at", t.due_at},
                   {"done_by", t.done_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.done_by)},
                   {"done_at", t.done_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.done_at)}, {"note", t.note}};
  }
  return out;
}

void print_step_details(std::ostream& out, const StepEntry& step) {
  if (step.reason) out << fmt::format("{:16}skipped: {}\n", "", *step.reason);
  if (step.elements) {
    for (std::size_t i = 0; i < step.elements->size(); ++i) {
      const auto& e = (*step.elements)[i];
      out << fmt::format("{:16}[{}] {}  {}{}\n", "", i, e.target.is_string() ? e.target.get<std::string>() : e.target.dump(), e.status,
                         e.error ? "  error: " + *e.error : "");
    }
  }
  if (step.outputs) out << fmt::format("{:16}outputs: {}\n", "", step.outputs->dump());
  if (step.task) {
    const auto& t = *step.task;
    out << fmt::format("{:16}task for {} due {}{}\n", "", t.assignee, t.due_at,
                       t.done_by.empty() ? "" : fmt::format(", done by {} at {}{}", t.done_by, t.done_at, t.note.empty() ? "" : ": " + t.note));
  }
}

// "08:00:00.123" from "2026-11-27T08:00:00.123Z".
std::string clock_time(const std::string& rfc3339) { return rfc3339.size() >= 23 ? rfc3339.substr(11, 12) : rfc3339; }

std::string approval_text(const ApprovalEntry& a) {
  std::vector<std::string> who;
  for (const auto& approver : a.approvers) who.push_back(fmt::format("{} ({})", approver.approver, approver.role));
  const auto roles = a.required_roles.empty() ? std::string("any") : join(a.required_roles, " + ");
  if (a.approved) {
    return fmt::format("approval [{}] granted{} after {} ms", roles, who.empty() ? "" : " by " + join(who, ", "), a.latency_ms);
  }
  return fmt::format("approval [{}] refused after {} ms", roles, a.latency_ms);  // the step's error says why
}

// Column widths of the timeline: at least 16 and 32, else the longest step id and action, so
// that long ids do not push their line's columns out of line with the others.
struct Columns {
  std::size_t step = 16;
  std::size_t action = 32;
};

Columns columns(const ExecutionLog& log) {
  Columns widths;
  auto fit = [&](const std::string& step, const std::string& action) {
    widths.step = std::max(widths.step, step.size());
    widths.action = std::max(widths.action, action.size());
  };
  for (const auto& step : log.steps) fit(step.step, step.action);
  for (const auto& r : log.rollbacks) fit(r.step, r.action);
  return widths;
}

}  // namespace

nlohmann::json to_json(const ExecutionLog& log) {
  auto steps = nlohmann::json::array();
  for (const auto& step : log.steps) steps.push_back(step_json(step));
  auto rollbacks = nlohmann::json::array();
  for (const auto& r : log.rollbacks) {
    rollbacks.push_back({{"step", r.step}, {"action", r.action}, {"status", r.status}});
    if (r.element >= 0) rollbacks.back()["element"] = r.element;
  }
  auto evidence = nlohmann::json::array();
  for (const auto& e : log.evidence) evidence.push_back({{"artifact", e.artifact}, {"sha256", e.sha256}, {"size", e.size}});
  return {{"run_id", log.run_id},
          {"runbook", log.runbook},
          {"event_id", log.event_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(log.event_id)},
          {"status", log.status},
          {"steps", steps},
          {"rollbacks", rollbacks},
          {"evidence", evidence},
          {"deadlines", clocks_view(log.deadlines)}};
}

void print_text(std::ostream& out, const ExecutionLog& log) {
  out << fmt::format("run {}  runbook {}  event {}\n", log.run_id, log.runbook, log.event_id.empty() ? "-" : log.event_id);
  const Columns width = columns(log);
  for (const auto& step : log.steps) {
    const auto attempts = step.attempts == 1 ? std::string("1 attempt") : fmt::format("{} attempts", step.attempts);
    out << fmt::format("  {}  {:<{}} {:<{}} {:<11}", clock_time(step.started_at), step.step, width.step, step.action,
                       width.action, step.status);
    if (step.status != "skipped" && step.status != "refused") out << fmt::format(" {}", attempts);
    if (!step.connector.empty()) out << fmt::format(" via {}", step.connector);
    out << '\n';
    if (step.approval) out << fmt::format("{:16}{}\n", "", approval_text(*step.approval));
    if (step.error) out << fmt::format("{:16}error: {}\n", "", *step.error);
    print_step_details(out, step);
  }
  for (const auto& r : log.rollbacks) {
    const auto step = r.element < 0 ? r.step : fmt::format("{}[{}]", r.step, r.element);
    out << fmt::format("  rollback      {:<{}} {:<{}} {}\n", step, width.step, r.action, width.action, r.status);
    if (r.error) out << fmt::format("{:16}error: {}\n", "", *r.error);
  }
  for (const auto& e : log.evidence) out << fmt::format("  evidence      {}  sha256:{}  {} bytes\n", e.artifact, e.sha256, e.size);
  for (const auto& d : log.deadlines) {
    out << fmt::format("  deadline      {} ({})  due {}  {}{}\n", d.obligation, d.citation, d.due_at, d.status,
                       d.met_at.empty() ? "" : " at " + d.met_at);
  }
  for (const auto& note : log.notes) out << fmt::format("  note: {}\n", note);
  for (const auto& [step, what] : log.waiting_tasks) {
    out << fmt::format("  waiting: task {} ({}): mark it done with `writ task done {} {}`, then `writ run --resume {}`\n", step, what,
                       log.run_id, step, log.run_id);
  }
  out << fmt::format("status: {}\n", log.status);
}

}  // namespace writ::runtime
