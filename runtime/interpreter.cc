#include "runtime/interpreter.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <thread>

#include "runtime/json_input.h"
#include "runtime/outputs.h"

namespace writ::runtime {

using std::chrono::milliseconds;

namespace {

nlohmann::json approvers_json(const std::vector<Approver>& approvers) {
  auto out = nlohmann::json::array();
  for (const auto& a : approvers) out.push_back({{"approver", a.approver}, {"role", a.role}});
  return out;
}

nlohmann::json optional_error(const std::optional<std::string>& error) {
  return error ? nlohmann::json(*error) : nlohmann::json(nullptr);
}

// A route for `call`, and the routed connector's consent to it, as the interpreter will send it.
std::optional<std::string> unsendable(const ConnectorSet& connectors, const std::string& run_id,
                                      const PlannedStep& step, int element, const PlannedCall& call,
                                      const std::string& phase) {
  const auto what = phase == "rollback" ? "rollback action" : "action";
  const auto where = element < 0 ? fmt::format("step `{}`", step.id) : fmt::format("step `{}`[{}]", step.id, element);
  const auto route = connectors.route_of(call.action);
  if (!route) {
    return fmt::format("{}: no connector route for {} `{}`{}", where, what, call.action,
                       phase == "rollback" ? "" : " (add it, or \"*\", to routes)");
  }
  const ConnectorCall planned{run_id, step.id, call.action, call.args, unit_key(run_id, step.id, element, phase)};
  if (auto why = connectors.get(*route).refuse(planned)) {
    return fmt::format("{}: connector `{}` refuses {} `{}`: {}", where, *route, what, call.action, *why);
  }
  return std::nullopt;
}

// -1 for a step, else 0..n-1 for a for-each step's elements.
std::vector<int> units_of(const PlannedStep& step) {
  if (!step.for_each) return {-1};
  std::vector<int> out;
  for (std::size_t i = 0; i < step.elements.size(); ++i) out.push_back(static_cast<int>(i));
  return out;
}

nlohmann::json with_element(nlohmann::json data, int element) {
  if (element >= 0) data["element"] = element;
  return data;
}

}  // namespace

// What preflight refuses, for one rendered step (also asked of a deferred step when reached).
std::vector<std::string> step_problems(const PlannedStep& step, const ConnectorSet& connectors,
                                       const EvidenceRoots& evidence_roots, const std::string& run_id) {
  std::vector<std::string> problems;
  if (!step.enabled || step.task) return problems;
  if (step.is_deferred()) {  // its arguments are not known yet: its route is
    if (!connectors.route_of(step.action)) {
      problems.push_back(fmt::format("step `{}`: no connector route for action `{}` (add it, or \"*\", to routes)",
                                     step.id, step.action));
    }
    return problems;
  }
  for (int element : units_of(step)) {
    if (auto why = unsendable(connectors, run_id, step, element, step.call(element), "execute"))
      problems.push_back(*why);
    if (auto rollback = step.rollback_call(element)) {
      if (auto why = unsendable(connectors, run_id, step, element, *rollback, "rollback")) problems.push_back(*why);
    }
    for (const auto& artifact : step.artifacts(element)) {
      if (auto why = check_artifact_path(artifact, evidence_roots))
        problems.push_back(fmt::format("step `{}`: {}", step.id, *why));
    }
  }
  return problems;
}

std::vector<std::string> preflight(const Plan& plan, const ConnectorSet& connectors,
                                   const EvidenceRoots& evidence_roots, const std::string& run_id,
                                   const EvidenceSink* evidence) {
  std::vector<std::string> problems;
  bool preserves = false;
  for (const auto& step : plan.steps) {
    auto found = step_problems(step, connectors, evidence_roots, run_id);
    problems.insert(problems.end(), found.begin(), found.end());
    if (!step.enabled || step.is_deferred()) continue;
    for (int element : units_of(step)) preserves = preserves || !step.artifacts(element).empty();
  }
  if (preserves && evidence) {
    if (auto why = evidence->check_ready()) problems.push_back(fmt::format("evidence store: {}", *why));
  }
  return problems;
}

Interpreter::Interpreter(RunState& state, JournalSink& journal, Services services, const RuntimeOptions& options)
    : state_(state),
      journal_(journal),
      services_(services),
      options_(options),
      deadline_(services.clock.steady() + options.max_run_time) {}

void Interpreter::record(const std::string& type, nlohmann::json data) {
  std::lock_guard lock(mutex_);
  state_.apply(journal_.append(type, services_.clock.now(), std::move(data)));
}

Millis Interpreter::time_left() const {
  return std::chrono::duration_cast<milliseconds>(deadline_ - services_.clock.steady());
}

void Interpreter::start(nlohmann::json data) {
  begin(std::move(data));
  execute();
}

void Interpreter::begin(nlohmann::json data) {
  if (state_.started()) throw std::logic_error("start() on a run that has started");
  record("run_started", std::move(data));
  load_run_settings();
}

void Interpreter::load_run_settings() {
  event_ = state_.event();
  dry_run_ = state_.start().value("dry_run", false);
  collect_evidence_ = state_.start().value("collect_evidence", !dry_run_);
}

void Interpreter::proceed() {
  if (state_.finished()) throw std::logic_error("proceed() on a finished run");
  load_run_settings();
  if (state_.rollback_trigger()) {
    compensate(*state_.rollback_trigger());
  } else {
    execute();
  }
}

void Interpreter::resume(const nlohmann::json& data) {
  if (state_.finished()) throw std::logic_error("resume() on a finished run");
  load_run_settings();
  record("run_resumed", data);
  if (state_.rollback_trigger()) {
    compensate(*state_.rollback_trigger());
  } else {
    execute();
  }
}

void Interpreter::rollback() {
  event_ = state_.event();
  dry_run_ = state_.start().value("dry_run", false);
  compensate("manual");
}

void Interpreter::execute() {
  const auto& steps = state_.plan().steps;
  // Every step's progress exists before a branch thread starts: the threads then never
  // insert into the state's maps, only change their own step's entry.
  for (const auto& step : steps) state_.step(step.id);
  for (std::size_t i = 0; i < steps.size();) {
    std::size_t end = i + 1;
    while (steps[i].block > 0 && end < steps.size() && steps[end].block == steps[i].block) ++end;
    bool unfinished = false;
    for (std::size_t k = i; k < end; ++k) unfinished = unfinished || !state_.find_step(steps[k].id)->status;
    if (services_.stop && services_.stop->load() && unfinished) return;  // draining: resumed later
    const auto outcome = end - i > 1 ? run_block(i, end) : step_outcome(steps[i]);
    if (outcome.next == Next::Halt) return finish(outcome.status);
    if (outcome.next == Next::Compensate) return compensate(outcome.trigger);
    if (outcome.next == Next::Wait) return journal_overdue();  // an approval or a task pending: continued by proceed()
    i = end;
  }
  finish("completed");
}

// A step finished before a crash is never repeated, but its outcome still decides.
Interpreter::Outcome Interpreter::step_outcome(const PlannedStep& step) {
  const auto* progress = state_.find_step(step.id);
  return progress->status ? outcome_of(step, *progress) : run_step(step);
}

// The branches of a parallel block, each on its own thread; the block's outcome is the first
// failing branch's (in step order), else a wait when a branch waits, else continue.
Interpreter::Outcome Interpreter::run_block(std::size_t first, std::size_t last) {
  const auto& steps = state_.plan().steps;
  std::vector<Outcome> outcomes(last - first);
  std::vector<std::exception_ptr> errors(last - first);
  block_failed_ = false;
  {
    std::vector<std::jthread> branches;
    for (std::size_t k = first; k < last; ++k) {
      branches.emplace_back([this, &steps, &outcomes, &errors, first, k] {
        try {
          outcomes[k - first] = step_outcome(steps[k]);
          const auto next = outcomes[k - first].next;
          if (next == Next::Halt || next == Next::Compensate) block_failed_ = true;
        } catch (...) {
          errors[k - first] = std::current_exception();
          block_failed_ = true;
        }
      });
    }
  }  // joined
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  bool waits = false;
  for (const auto& o : outcomes) {
    if (o.next == Next::Halt || o.next == Next::Compensate) return o;
    waits = waits || o.next == Next::Wait;
  }
  return waits ? Outcome{Next::Wait, "", ""} : Outcome{};
}

Interpreter::Outcome Interpreter::outcome_of(const PlannedStep& step, const StepProgress& progress) {
  if (progress.status == "refused") {
    if (progress.decision && progress.decision->rollback) return Outcome{Next::Compensate, "", "approval_refused"};
    return Outcome{Next::Halt, "halted_by_approval", ""};
  }
  if (progress.status == "failed" && !progress.stopped) return on_failure(step);
  return Outcome{};
}

Interpreter::Outcome Interpreter::run_step(const PlannedStep& step) {
  if (!step.enabled) return finish_step(step, Finish{"skipped", std::nullopt, step.skip_reason});
  if (time_left().count() <= 0) return fail(step, "run time limit reached");
  auto& p = state_.step(step.id);
  if (!p.started) record("step_started", {{"step", step.id}, {"action", step.action}, {"effect", step.effect}});
  // `step` refers into the plan: step_rendered replaces it there with the rendered step.
  if (step.is_deferred()) {
    if (auto outcome = render_now(step)) return *outcome;
    if (!step.enabled) return finish_step(step, Finish{"skipped", std::nullopt, step.skip_reason});
  }
  if (step.task) return run_task(step);
  if (step.approval && !p.decision) ask_approval(step);
  if (step.approval && !p.decision) return Outcome{Next::Wait, "", ""};
  if (step.approval && !p.decision->approved) {
    finish_step(step, Finish{"refused", fmt::format("approval refused: {}", p.decision->reason)});
    if (p.decision->rollback) return Outcome{Next::Compensate, "", "approval_refused"};
    return Outcome{Next::Halt, "halted_by_approval", ""};
  }
  return run_calls(step);
}

// The step's call — or each element's, in order — then its artifacts.
Interpreter::Outcome Interpreter::run_calls(const PlannedStep& step) {
  auto& p = state_.step(step.id);
  std::optional<std::chrono::steady_clock::time_point> until;
  if (step.for_each) until = services_.clock.steady() + std::chrono::seconds(step.timeout_seconds);
  for (int element : units_of(step)) {
    auto& unit = p.unit(element);
    const auto label =
        element < 0 ? std::string()
                    : fmt::format("[{}] {}: ", element, step.elements[static_cast<std::size_t>(element)].target.dump());
    if (!unit.applied && element > 0 && block_failed_) {  // the call a branch started with is made
      return finish_step(
          step,
          Finish{"failed", std::string("stopped before its next call: another branch of its parallel block failed"), "",
                 true});
    }
    if (!unit.applied) {
      const auto result = send(step, element, "execute", until);
      if (!result.ok) return fail(step, label + result.error);
    }
    if (unit.outputs_error) return fail(step, label + *unit.outputs_error);
    if (auto error = preserve(step, element)) return fail(step, label + *error);
  }
  return finish_step(step, Finish{"executed", std::nullopt});
}

// A human task: no call; waits until task_done is journaled, fails once `within` has passed.
Interpreter::Outcome Interpreter::run_task(const PlannedStep& step) {
  auto& p = state_.step(step.id);
  if (p.task_done) return finish_step(step, Finish{"executed", std::nullopt});
  if (!p.task_pending) {
    const auto due = services_.clock.now() + std::chrono::seconds(step.task->within_seconds);
    record("task_requested", {{"step", step.id},
                              {"assignee", step.task->assignee},
                              {"within_seconds", step.task->within_seconds},
                              {"due_at", format_rfc3339(due)}});
  }
  const auto due = parse_rfc3339(p.task_due_at);
  if (!due || services_.clock.now() >= *due) {
    return fail(step, fmt::format("task not done within {} s (due {}; assignee {})", step.task->within_seconds,
                                  p.task_due_at, step.task->assignee));
  }
  return Outcome{Next::Wait, "", ""};
}

// Renders a deferred step from what the journal holds and checks it as preflight would;
// an outcome when the step cannot run.
std::optional<Interpreter::Outcome> Interpreter::render_now(const PlannedStep& step) {
  std::unique_lock lock(mutex_);  // the plan and the other steps' outputs are read whole
  PlannedStep rendered;
  try {
    rendered = render_deferred(step, state_.steps_environment(), options_);
  } catch (const PlanError& e) {
    lock.unlock();
    return fail(step, e.what());
  }
  static const EvidenceRoots no_roots;
  const auto problems = step_problems(rendered, services_.connectors,
                                      services_.evidence_roots ? *services_.evidence_roots : no_roots, state_.run_id());
  if (!problems.empty()) {
    std::string message = "refused before any effect:";
    for (const auto& p : problems) message += " " + p + ";";
    message.pop_back();
    lock.unlock();
    return fail(step, message);
  }
  record("step_rendered", {{"step", step.id}, {"rendered", step_to_json(rendered)}});
  return std::nullopt;
}

Interpreter::Outcome Interpreter::fail(const PlannedStep& step, const std::string& error) {
  finish_step(step, Finish{"failed", error});
  return on_failure(step);
}

Interpreter::Outcome Interpreter::finish_step(const PlannedStep& step, const Finish& how) {
  std::lock_guard lock(mutex_);          // the clocks and the log are shared by the branches
  auto clocks = state_.log().deadlines;  // which clocks this step stops, to journal each
  const auto stopped = how.status == "executed" ? stop_clocks(clocks, step.id, format_rfc3339(services_.clock.now()))
                                                : std::vector<std::string>{};
  const auto* p = state_.find_step(step.id);
  nlohmann::json data{{"step", step.id},
                      {"action", step.action},
                      {"effect", step.effect},
                      {"status", how.status},
                      {"attempts", p ? p->sends : 0},
                      {"started_at", p && p->started ? nlohmann::json(p->started_at) : nlohmann::json(nullptr)},
                      {"error", optional_error(how.error)}};
  if (!how.reason.empty()) data["reason"] = how.reason;
  if (how.stopped) data["stopped"] = true;
  record("step_finished", std::move(data));
  for (const auto& c : state_.log().deadlines) {
    if (std::find(stopped.begin(), stopped.end(), c.obligation) != stopped.end()) {
      record("deadline_met",
             {{"obligation", c.obligation}, {"step", step.id}, {"status", c.status}, {"met_at", c.met_at}});
    }
  }
  if (how.status == "failed") return Outcome{Next::Halt, "failed", ""};
  return Outcome{};
}

Interpreter::Outcome Interpreter::on_failure(const PlannedStep& step) {
  switch (step.on_failure) {
    case ir::OnFailure::Continue:
      return Outcome{};
    case ir::OnFailure::Rollback:
      return Outcome{Next::Compensate, "", "step_failed"};
    case ir::OnFailure::Halt:
      break;
  }
  return Outcome{Next::Halt, "failed", ""};
}

void Interpreter::ask_approval(const PlannedStep& step) {
  const auto& approval = *step.approval;
  const bool asked_before = state_.step(step.id).approval_pending && services_.approvals.defers();
  ApprovalRequest request;
  request.run_id = state_.run_id();
  request.step = step.id;
  request.action = step.action;
  request.effect = step.effect;
  request.required_roles = approval.roles;
  if (step.for_each) {  // one approval covers every element
    request.targets = step.targets();
    request.elements = step.element_args();
  }
  if (!asked_before) {
    nlohmann::json data{{"step", step.id},
                        {"action", step.action},
                        {"required_roles", approval.roles},
                        {"timeout_seconds", approval.timeout_seconds},
                        {"gate", std::string(services_.approvals.kind())}};
    if (step.for_each) data["targets"] = tag_floats(request.targets);
    record("approval_requested", std::move(data));
  }
  // The run's policy, recorded at start so that --resume keeps it.
  const bool identity = state_.start().value("approver_identity", "optional") == "required";
  request.identity = identity ? ApproverIdentity::required : ApproverIdentity::optional;
  request.args = step.args;
  request.event = event_;
  const auto& plan = state_.plan();
  request.runbook = {{"id", plan.runbook}, {"title", plan.title}, {"severity", plan.severity}, {"digest", plan.digest}};
  request.requested_at = services_.clock.now();
  const auto wait =
      std::min<milliseconds>(std::chrono::seconds(approval.timeout_seconds), std::max(time_left(), milliseconds(0)));
  const auto asked = services_.clock.steady();
  auto decision = services_.approvals.decide(request, wait);
  if (decision.pending) return;
  if (wait < std::chrono::seconds(approval.timeout_seconds) && !decision.approved && time_left().count() <= 0) {
    decision.reason += " (run time limit reached)";
  }
  record("approval_decided", {{"step", step.id},
                              {"approved", decision.approved},
                              {"rollback", decision.rollback},
                              {"approvers", approvers_json(decision.approvers)},
                              {"reason", decision.reason},
                              {"latency_ms", latency_ms(step, asked)}});
}

// A deferred gate's decision comes in a later call than the request: its latency counts
// from the request's journaled time.
std::int64_t Interpreter::latency_ms(const PlannedStep& step, std::chrono::steady_clock::time_point asked) const {
  const auto* p = state_.find_step(step.id);
  const auto requested = p ? parse_rfc3339(p->approval_requested_at) : std::nullopt;
  if (!services_.approvals.defers() || !requested) return millis_between(asked, services_.clock.steady());
  return std::max<std::int64_t>(0,
                                std::chrono::duration_cast<milliseconds>(services_.clock.now() - *requested).count());
}

ConnectorResult Interpreter::send(const PlannedStep& step, int element, const std::string& phase,
                                  std::optional<std::chrono::steady_clock::time_point> until) {
  const bool rollback = phase == "rollback";
  const auto call = rollback ? *step.rollback_call(element) : step.call(element);
  const auto route = services_.connectors.route_of(call.action);
  if (!route)
    return ConnectorResult{
        false, false, "no route", fmt::format("no connector route for action `{}`", call.action), {}};
  auto& connector = services_.connectors.get(*route);
  const int failures = rollback ? 0 : state_.step(step.id).unit(element).failures;
  const bool in_flight =
      rollback ? state_.rollback(step.id, element).in_flight : state_.step(step.id).unit(element).in_flight;
  int allowed = std::max(1 + step.retries - failures, in_flight ? 1 : 0);
  const auto step_deadline = std::min(services_.clock.steady() + std::chrono::seconds(step.timeout_seconds),
                                      until.value_or(std::chrono::steady_clock::time_point::max()));
  ConnectorResult result{false, false, "not sent", "no attempts left", {}};
  auto backoff = options_.retry_backoff_initial;
  const auto key = unit_key(state_.run_id(), step.id, element, phase);
  for (int n = 0; n < allowed; ++n) {
    const auto left =
        std::min(std::chrono::duration_cast<milliseconds>(step_deadline - services_.clock.steady()), time_left());
    if (left.count() <= 0) {
      result =
          ConnectorResult{false,
                          false,
                          "timed out",
                          time_left().count() <= 0 ? std::string("run time limit reached")
                                                   : fmt::format("step timeout ({} s) reached", step.timeout_seconds),
                          {}};
      break;
    }
    ConnectorCall c{state_.run_id(), step.id, call.action, call.args, key, 0, left};
    c.attempt = (rollback ? state_.rollback(step.id, element).sends : state_.step(step.id).unit(element).sends) + 1;
    record("connector_call",
           with_element({{"step", step.id},
                         {"action", call.action},
                         {"phase", phase},
                         {"connector", *route},
                         {"kind", std::string(connector.kind())},
                         {"attempt", c.attempt},
                         {"idempotency_key", c.idempotency_key}},  // args: in the plan, journaled once
                        element));
    result = connector.call(c);
    record("connector_result", result_record(step, element, phase, c.attempt, result, std::string(connector.kind())));
    if (result.ok || !result.retryable || n + 1 == allowed) break;
    services_.clock.sleep_for(std::min({backoff, left, std::max(time_left(), milliseconds(0))}));
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
  return result;
}

// connector_result, with the step's outputs read from the reply when it declares any.
nlohmann::json Interpreter::result_record(const PlannedStep& step, int element, const std::string& phase, int attempt,
                                          const ConnectorResult& result, const std::string& connector_kind) {
  const auto call = phase == "rollback" ? *step.rollback_call(element) : step.call(element);
  auto data = with_element({{"step", step.id},
                            {"action", call.action},
                            {"phase", phase},
                            {"attempt", attempt},
                            {"ok", result.ok},
                            {"retryable", result.retryable},
                            {"detail", result.detail},
                            {"error", result.ok ? nlohmann::json(nullptr) : nlohmann::json(result.error)}},
                           element);
  if (!result.ok || phase != "execute" || step.returns.empty()) return data;
  if (placeholder_outputs_for(connector_kind)) {
    data["outputs"] = tag_floats(placeholder_outputs(step));
    data["outputs_placeholder"] = true;
    return data;
  }
  auto read = read_outputs(result.reply, step, options_);
  if (read.error) {
    data["outputs_error"] = *read.error;
  } else if (read.absent) {
    data["outputs_absent"] = true;
  } else {
    data["outputs"] = tag_floats(read.outputs);
  }
  return data;
}

std::optional<std::string> Interpreter::preserve(const PlannedStep& step, int element) {
  auto& p = state_.step(step.id).unit(element);
  for (const auto& artifact : step.artifacts(element)) {
    if (p.artifacts_done.count(artifact)) continue;
    if (!collect_evidence_) {
      record("evidence_skipped", with_element({{"step", step.id},
                                               {"artifact", artifact},
                                               {"reason", "dry run without --evidence: nothing is collected"}},
                                              element));
      continue;
    }
    record("evidence_requested", with_element({{"step", step.id}, {"artifact", artifact}}, element));
    EvidenceOutcome outcome;
    if (services_.evidence) {
      std::lock_guard lock(mutex_);  // the custody log is one chain
      outcome = services_.evidence->preserve(artifact, state_.run_id(), step.id, state_.log().event_id);
    } else {
      outcome.error = fmt::format("{}: no evidence store configured", artifact);
    }
    if (!outcome.preserved) {
      record("evidence_failed",
             with_element({{"step", step.id}, {"artifact", artifact}, {"error", outcome.error}}, element));
      return fmt::format("evidence not preserved: {}", outcome.error);
    }
    record("evidence_preserved", with_element({{"step", step.id},
                                               {"artifact", artifact},
                                               {"sha256", outcome.sha256},
                                               {"size", outcome.size},
                                               {"object", outcome.object},
                                               {"custody_seq", outcome.custody_seq}},
                                              element));
  }
  return std::nullopt;
}

void Interpreter::compensate(const std::string& trigger) {
  if (!state_.rollback_trigger() || state_.finished()) record("rollback_requested", {{"trigger", trigger}});
  bool complete = true;
  auto order = state_.applied_units();
  std::reverse(order.begin(), order.end());
  for (const auto& [id, element] : order) compensate_unit(id, element, complete);
  finish(complete ? "rolled_back" : "rollback_incomplete");
}

// The rollback of one unit that took effect (a step, or one element of a for-each step).
void Interpreter::compensate_unit(const std::string& id, int element, bool& complete) {
  const auto* step = state_.plan().find(id);
  auto& r = state_.rollback(id, element);
  if (r.status == "executed") return;
  const auto rollback = step->rollback_call(element);
  if (!rollback) {
    if (!r.status)
      record("rollback_skipped", with_element({{"step", id}, {"reason", "it declares no rollback"}}, element));
    return;
  }
  if (!r.in_flight) record("rollback_started", with_element({{"step", id}, {"action", rollback->action}}, element));
  const auto result = send(*step, element, "rollback");
  record("rollback_finished",
         with_element({{"step", id},
                       {"action", rollback->action},
                       {"status", result.ok ? "executed" : "failed"},
                       {"error", result.ok ? nlohmann::json(nullptr) : nlohmann::json(result.error)}},
                      element));
  complete = complete && result.ok;
}

void Interpreter::journal_overdue() {
  auto clocks = state_.log().deadlines;
  for (const auto& obligation : overdue_clocks(clocks, services_.clock.now()))
    record("deadline_overdue", {{"obligation", obligation}});
}

void Interpreter::finish(const std::string& status) {
  journal_overdue();
  record("run_finished", {{"status", status}});
}

}  // namespace writ::runtime
