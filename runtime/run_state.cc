#include "runtime/run_state.h"

#include <algorithm>
#include <fmt/format.h>

#include "runtime/json_input.h"
#include "runtime/outputs.h"

namespace writ::runtime {

namespace {

// The journaled event was read with RuntimeOptions::max_json_depth; this only bounds a
// hand-made journal's.
constexpr std::size_t kMaxEventDepth = 128;

template <typename T>
T get(const JournalRecord& record, const char* key) {
  auto it = record.data.find(key);
  if (it == record.data.end()) throw JournalError(fmt::format("record {} ({}): missing `{}`", record.seq, record.type, key));
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw JournalError(fmt::format("record {} ({}): `{}` has the wrong type", record.seq, record.type, key));
  }
}

std::optional<std::string> get_error(const JournalRecord& record) {
  auto it = record.data.find("error");
  if (it == record.data.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::vector<Approver> get_approvers(const JournalRecord& record) {
  const auto list = get<nlohmann::json>(record, "approvers");
  if (!list.is_array()) throw JournalError(fmt::format("record {} ({}): `approvers` is not a list", record.seq, record.type));
  std::vector<Approver> out;
  for (const auto& a : list) {
    if (!a.is_object() || !a.contains("approver") || !a["approver"].is_string() || !a.contains("role") || !a["role"].is_string()) {
      throw JournalError(fmt::format("record {} ({}): malformed `approvers`", record.seq, record.type));
    }
    out.push_back({a["approver"].get<std::string>(), a["role"].get<std::string>()});
  }
  return out;
}

}  // namespace

const StepProgress* RunState::find_step(const std::string& id) const {
  auto it = steps_.find(id);
  return it == steps_.end() ? nullptr : &it->second;
}

StepEntry& RunState::entry(const std::string& step) {
  for (auto& e : log_.steps) {
    if (e.step == step) return e;
  }
  log_.steps.push_back(StepEntry{});
  log_.steps.back().step = step;
  return log_.steps.back();
}

void RunState::apply(const JournalRecord& record) {
  if (!started_) {
    if (record.type != "run_started") throw JournalError(fmt::format("record {}: the journal does not begin with run_started", record.seq));
    on_run_started(record);
    return;
  }
  const auto& t = record.type;
  if (t == "run_started") throw JournalError(fmt::format("record {}: a second run_started", record.seq));
  if (t == "run_finished") {
    finished_ = get<std::string>(record, "status");
    log_.status = *finished_;
  } else if (t == "run_resumed") {
    finished_.reset();
  } else if (t == "rollback_requested") {
    rollback_trigger_ = get<std::string>(record, "trigger");
    finished_.reset();
  } else if (t == "deadline_met" || t == "deadline_overdue") {
    on_deadline_record(record);
  } else if (t.rfind("rollback_", 0) == 0 || (t.rfind("connector_", 0) == 0 && record.data.value("phase", "") == "rollback")) {
    on_rollback_record(record);
  } else {
    on_step_record(record);
  }
}

void RunState::on_run_started(const JournalRecord& record) {
  started_ = true;
  // The plan and the IR are the bulk of the record (the plan alone up to max_plan_bytes): the
  // plan is kept once, parsed, and neither is copied into start_.
  start_ = nlohmann::json::object();
  for (const auto& [key, value] : record.data.items()) {
    if (key != "plan" && key != "ir") start_[key] = value;
  }
  run_id_ = get<std::string>(record, "run_id");
  // --resume and `writ rollback` re-read the event from here: a journal whose chain holds
  // but whose event is not a JSON object is as corrupt as a broken chain.
  try {
    event_ = parse_json(get<std::string>(record, "event_text"), "event_text", kMaxEventDepth);
  } catch (const JsonInputError& e) {
    throw JournalError(fmt::format("record {} (run_started): {}", record.seq, e.what()));
  }
  if (!event_.is_object()) throw JournalError(fmt::format("record {} (run_started): `event_text` is not a JSON object", record.seq));
  try {
    const auto plan = record.data.find("plan");
    if (plan == record.data.end()) throw PlanError("plan: missing");
    plan_ = plan_from_json(*plan);
  } catch (const PlanError& e) {
    throw JournalError(fmt::format("record {} (run_started): {}", record.seq, e.what()));
  }
  if (auto clocks = record.data.find("deadlines"); clocks != record.data.end()) {
    try {
      log_.deadlines = clocks_from_json(*clocks);
    } catch (const std::invalid_argument& e) {
      throw JournalError(fmt::format("record {} (run_started): {}", record.seq, e.what()));
    }
  }
  log_.run_id = run_id_;
  log_.runbook = plan_.runbook;
  log_.event_id = get<std::string>(record, "event_id");
  log_.status = "running";
}

namespace {

int element_of(const JournalRecord& record, const PlannedStep& step) {
  auto it = record.data.find("element");
  if (it == record.data.end()) return -1;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || static_cast<std::size_t>(it->get<std::int64_t>()) >= step.units() ||
      !step.for_each) {
    throw JournalError(fmt::format("record {} ({}): `element` is not an element of step `{}`", record.seq, record.type, step.id));
  }
  return static_cast<int>(it->get<std::int64_t>());
}

}  // namespace

const CallProgress* StepProgress::find_unit(int element) const {
  if (element < 0) return this;
  auto it = elements.find(element);
  return it == elements.end() ? nullptr : &it->second;
}

void RunState::on_step_record(const JournalRecord& record) {
  const auto id = get<std::string>(record, "step");
  if (!plan_.find(id)) throw JournalError(fmt::format("record {} ({}): unknown step `{}`", record.seq, record.type, id));
  auto& p = steps_[id];
  const auto& t = record.type;
  if (t == "step_started") {
    p.started = true;
    p.started_at = record.at;
  } else if (t == "step_rendered") {
    on_step_rendered(record, id);
  } else if (t == "approval_requested") {
    if (!p.approval_pending) p.approval_requested_at = record.at;
    p.approval_pending = true;
    required_roles_[id] = get<std::vector<std::string>>(record, "required_roles");
  } else if (t == "approval_announced") {
    (get<bool>(record, "reminder") ? p.reminded : p.announced) = true;
  } else if (t == "approval_vote") {
    if (!p.approval_pending) throw JournalError(fmt::format("record {} (approval_vote): step `{}` is not awaiting approval", record.seq, id));
    p.votes.push_back(ApprovalVote{get<std::string>(record, "approver"), get<std::vector<std::string>>(record, "roles"),
                                   get<bool>(record, "approved"), get<bool>(record, "rollback"), get<std::string>(record, "reason")});
  } else if (t == "approval_decided") {
    p.approval_pending = false;
    p.decision = ApprovalDecision{get<bool>(record, "approved"), get<bool>(record, "rollback"), get_approvers(record),
                                  get<std::string>(record, "reason")};
    p.approval_latency_ms = get<std::int64_t>(record, "latency_ms");
  } else if (t == "task_requested" || t == "task_done") {
    on_task_record(record, id, p);
  } else if (t == "step_finished") {
    on_step_finished(record, id, p);
  } else {
    on_call_record(record, id, p);
  }
}

// The records of one unit's calls and artifacts (with `element` for a for-each step's).
void RunState::on_call_record(const JournalRecord& record, const std::string& id, StepProgress& p) {
  const auto& t = record.type;
  const int element = element_of(record, *plan_.find(id));
  auto& u = p.unit(element);
  if (t == "connector_call") {
    ++u.sends;
    u.in_flight = true;
    connector_of_[id] = get<std::string>(record, "connector");
  } else if (t == "connector_result") {
    u.in_flight = false;
    if (get<bool>(record, "ok")) {
      u.applied = true;
      applied_order_.push_back(id);
      applied_units_.emplace_back(id, element);
      if (auto o = record.data.find("outputs"); o != record.data.end() && o->is_object()) u.outputs = *o;
      if (auto e = record.data.find("outputs_error"); e != record.data.end() && e->is_string()) u.outputs_error = e->get<std::string>();
      if (record.data.value("outputs_placeholder", false)) log_.notes.push_back(fmt::format("{}: outputs are dry-run placeholders", id));
      if (record.data.value("outputs_absent", false) && element <= 0) {
        log_.notes.push_back(fmt::format("{}: the connector's reply carried no outputs", id));
      }
    } else {
      ++u.failures;
      u.last_error = get_error(record);
    }
  } else if (t == "evidence_preserved") {
    const auto artifact = get<std::string>(record, "artifact");
    u.artifacts_done.insert(artifact);
    log_.evidence.push_back({artifact, get<std::string>(record, "sha256"), get<std::uint64_t>(record, "size")});
  } else if (t == "evidence_skipped") {
    const auto artifact = get<std::string>(record, "artifact");
    u.artifacts_done.insert(artifact);
    log_.notes.push_back(fmt::format("{}: artifact {} not preserved ({})", id, artifact, get<std::string>(record, "reason")));
  } else if (t == "evidence_requested" || t == "evidence_failed") {
    // evidence_failed is reported through the step's error; nothing else to track.
  } else {
    throw JournalError(fmt::format("record {}: unknown record type `{}`", record.seq, t));
  }
}

// task_requested opens a human task; task_done closes it, once, for a task step that waits.
void RunState::on_task_record(const JournalRecord& record, const std::string& id, StepProgress& p) {
  const auto* step = plan_.find(id);
  if (!step->task) throw JournalError(fmt::format("record {} ({}): step `{}` is not a task", record.seq, record.type, id));
  if (record.type == "task_requested") {
    p.task_pending = !p.task_done;
    p.task_due_at = get<std::string>(record, "due_at");
    if (p.task_pending) log_.waiting_tasks[id] = fmt::format("for {}, due {}", step->task->assignee, p.task_due_at);
    return;
  }
  if (p.task_done) throw JournalError(fmt::format("record {} (task_done): task `{}` was already marked done", record.seq, id));
  if (!p.task_pending || p.status) {
    throw JournalError(fmt::format("record {} (task_done): step `{}` is not waiting for its task to be done", record.seq, id));
  }
  p.task_pending = false;
  log_.waiting_tasks.erase(id);
  p.task_done = TaskDone{get<std::string>(record, "by"), get<std::string>(record, "note"), record.at};
}

void RunState::on_step_rendered(const JournalRecord& record, const std::string& id) {
  try {
    auto rendered = step_from_json(get<nlohmann::json>(record, "rendered"));
    if (rendered.id != id || rendered.is_deferred()) throw PlanError("the rendered step does not match");
    for (auto& s : plan_.steps) {
      if (s.id != id) continue;
      if (!s.is_deferred()) throw PlanError("the step was rendered already");
      s = std::move(rendered);
    }
  } catch (const PlanError& e) {
    throw JournalError(fmt::format("record {} (step_rendered): step `{}`: {}", record.seq, id, e.what()));
  }
}

namespace {

std::vector<ElementEntry> element_entries(const PlannedStep& step, const StepProgress& p) {
  std::vector<ElementEntry> out;
  for (std::size_t i = 0; i < step.elements.size(); ++i) {
    const auto* u = p.find_unit(static_cast<int>(i));
    ElementEntry e{step.elements[i].target, "pending", u ? u->sends : 0, std::nullopt};
    if (u && u->applied) e.status = "executed";
    else if (u && u->failures > 0) e.status = "failed", e.error = u->last_error;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

void RunState::on_step_finished(const JournalRecord& record, const std::string& id, StepProgress& p) {
  const auto& step = *plan_.find(id);
  p.status = get<std::string>(record, "status");
  p.stopped = record.data.value("stopped", false);
  p.task_pending = false;
  log_.waiting_tasks.erase(id);
  auto& e = entry(id);
  e.action = step.action;
  e.status = *p.status;
  e.attempts = p.sends;
  e.started_at = p.started ? p.started_at : record.at;
  e.finished_at = record.at;
  e.error = get_error(record);
  e.connector = connector_of_.count(id) ? connector_of_[id] : "";
  if (auto reason = record.data.find("reason"); reason != record.data.end() && reason->is_string()) e.reason = reason->get<std::string>();
  if (step.for_each && !step.is_deferred()) {
    e.elements = element_entries(step, p);
    e.attempts = 0;
    for (const auto& element : *e.elements) e.attempts += element.attempts;
  }
  if (!step.returns.empty()) e.outputs = outputs_of(id);
  if (step.task) {
    e.task = TaskEntry{step.task->assignee, p.task_due_at, p.task_done ? p.task_done->by : "", p.task_done ? p.task_done->at : "",
                       p.task_done ? p.task_done->note : ""};
  }
  if (*p.status == "executed") stop_clocks(log_.deadlines, id, record.at);
  if (p.decision) {
    e.approval = ApprovalEntry{required_roles_[id], p.decision->approved, p.decision->approvers, p.approval_latency_ms,
                               p.decision->reason};
  }
}

// deadline_met repeats what step_finished already stopped (for readers of the journal alone);
// deadline_overdue marks a clock that ran out while the run went on or waited.
void RunState::on_deadline_record(const JournalRecord& record) {
  const auto obligation = get<std::string>(record, "obligation");
  auto it = std::find_if(log_.deadlines.begin(), log_.deadlines.end(), [&](const DeadlineClock& c) { return c.obligation == obligation; });
  if (it == log_.deadlines.end()) throw JournalError(fmt::format("record {} ({}): no clock for `{}`", record.seq, record.type, obligation));
  if (record.type == "deadline_overdue" && it->status == "pending") it->status = "overdue";
}

nlohmann::json RunState::outputs_of(const std::string& id) const {
  const auto* step = plan_.find(id);
  const auto* p = find_step(id);
  if (!step || !p) return nullptr;
  if (!step->for_each) return p->outputs;
  auto out = nlohmann::json::object();  // NAME -> [value per element, in order]
  for (const auto& r : step->returns) out[r.name] = nlohmann::json::array();
  for (std::size_t i = 0; i < step->elements.size(); ++i) {
    const auto* u = p->find_unit(static_cast<int>(i));
    if (!u || !u->outputs.is_object()) continue;
    for (const auto& r : step->returns) {
      if (u->outputs.contains(r.name)) out[r.name].push_back(u->outputs[r.name]);
    }
  }
  return out;
}

expr::Environment RunState::steps_environment() const {
  return expr::Environment{[this](std::span<const std::string> path) -> std::optional<expr::Value> {
    if (path.size() < 3 || path[0] != "steps") return std::nullopt;
    const auto* step = plan_.find(path[1]);
    const auto* p = find_step(path[1]);
    if (!step || !p || !p->status) return std::nullopt;
    if (path.size() == 3 && path[2] == "status") return expr::Value{*p->status};
    if (path.size() != 4 || path[2] != "outputs") return std::nullopt;
    for (const auto& r : step->returns) {
      if (r.name != path[3]) continue;
      auto declared = r;
      if (step->for_each) declared.type = "list<" + r.type + ">";
      const auto outputs = outputs_of(step->id);
      if (outputs.is_object()) return output_value(outputs, declared);
    }
    return std::nullopt;
  }};
}

void RunState::on_rollback_record(const JournalRecord& record) {
  const auto id = get<std::string>(record, "step");
  const auto* step = plan_.find(id);
  if (!step) throw JournalError(fmt::format("record {} ({}): unknown step `{}`", record.seq, record.type, id));
  const int element = element_of(record, *step);
  auto& r = rollbacks_[{id, element}];
  const auto& t = record.type;
  if (t == "rollback_started") {
    r.status.reset();
  } else if (t == "connector_call") {
    ++r.sends;
    r.in_flight = true;
  } else if (t == "connector_result") {
    r.in_flight = false;
  } else if (t == "rollback_skipped") {
    r.status = "none";
    if (element <= 0) log_.notes.push_back(fmt::format("{} ({}) stays in force: {}", id, step->action, get<std::string>(record, "reason")));
  } else if (t == "rollback_finished") {
    r.status = get<std::string>(record, "status");
    const auto action = get<std::string>(record, "action");
    auto it = std::find_if(log_.rollbacks.begin(), log_.rollbacks.end(),
                           [&](const RollbackEntry& e) { return e.step == id && e.element == element; });
    if (it == log_.rollbacks.end()) it = log_.rollbacks.insert(log_.rollbacks.end(), RollbackEntry{id, action, "", std::nullopt, element});
    it->status = *r.status;
    it->error = get_error(record);
    if (*r.status != "executed") return;
    auto& e = entry(id);
    e.status = "compensated";
    if (e.elements && element >= 0) (*e.elements)[static_cast<std::size_t>(element)].status = "compensated";
  } else {
    throw JournalError(fmt::format("record {}: unknown record type `{}`", record.seq, t));
  }
}

}  // namespace writ::runtime
