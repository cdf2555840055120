#include "runtime/interpreter.h"

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

#include "runtime/json_input.h"

namespace writ::runtime {

using std::chrono::milliseconds;

namespace {

nlohmann::json approvers_json(const std::vector<Approver>& approvers) {
  auto out = nlohmann::json::array();
  for (const auto& a : approvers) out.push_back({{"approver", a.approver}, {"role", a.role}});
  return out;
}

nlohmann::json optional_error(const std::optional<std::string>& error) { return error ? nlohmann::json(*error) : nlohmann::json(nullptr); }

// A route for `call`, and the routed connector's consent to it, as the interpreter will send it.
std::optional<std::string> unsendable(const ConnectorSet& connectors, const std::string& run_id, const PlannedStep& step,
                                      const PlannedCall& call, const std::string& phase) {
  const auto what = phase == "rollback" ? "rollback action" : "action";
  const auto route = connectors.route_of(call.action);
  if (!route) {
    return fmt::format("step `{}`: no connector route for {} `{}`{}", step.id, what, call.action,
                       phase == "rollback" ? "" : " (add it, or \"*\", to routes)");
  }
  const ConnectorCall planned{run_id, step.id, call.action, call.args, idempotency_key(run_id, step.id, phase)};
  if (auto why = connectors.get(*route).refuse(planned)) {
    return fmt::format("step `{}`: connector `{}` refuses {} `{}`: {}", step.id, *route, what, call.action, *why);
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> preflight(const Plan& plan, const ConnectorSet& connectors, const EvidenceRoots& evidence_roots,
                                   const std::string& run_id, const EvidenceSink* evidence) {
  std::vector<std::string> problems;
  bool preserves = false;
  for (const auto& step : plan.steps) {
    if (!step.enabled) continue;
    if (auto why = unsendable(connectors, run_id, step, PlannedCall{step.action, step.args}, "execute")) problems.push_back(*why);
    if (step.rollback) {
      if (auto why = unsendable(connectors, run_id, step, *step.rollback, "rollback")) problems.push_back(*why);
    }
    for (const auto& artifact : step.preserve) {
      preserves = true;
      if (auto why = check_artifact_path(artifact, evidence_roots)) problems.push_back(fmt::format("step `{}`: {}", step.id, *why));
    }
  }
  if (preserves && evidence) {
    if (auto why = evidence->check_ready()) problems.push_back(fmt::format("evidence store: {}", *why));
  }
  return problems;
}

Interpreter::Interpreter(RunState& state, JournalSink& journal, Services services, const RuntimeOptions& options)
    : state_(state), journal_(journal), services_(services), options_(options),
      deadline_(services.clock.steady() + options.max_run_time) {}

void Interpreter::record(const std::string& type, nlohmann::json data) {
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
  for (const auto& step : state_.plan().steps) {
    const auto* progress = state_.find_step(step.id);
    if (services_.stop && services_.stop->load() && !(progress && progress->status)) return;  // draining: resumed later
    // A step finished before a crash is never repeated, but its outcome still decides.
    const auto outcome = progress && progress->status ? outcome_of(step, *progress) : run_step(step);
    if (outcome.next == Next::Halt) return finish(outcome.status);
    if (outcome.next == Next::Compensate) return compensate(outcome.trigger);
    if (outcome.next == Next::Wait) return journal_overdue();  // an approval pending: continued by proceed()
  }
  finish("completed");
}

Interpreter::Outcome Interpreter::outcome_of(const PlannedStep& step, const StepProgress& progress) {
  if (progress.status == "refused") {
    if (progress.decision && progress.decision->rollback) return Outcome{Next::Compensate, "", "approval_refused"};
    return Outcome{Next::Halt, "halted_by_approval", ""};
  }
  if (progress.status == "failed") return on_failure(step);
  return Outcome{};
}

Interpreter::Outcome Interpreter::run_step(const PlannedStep& step) {
  if (!step.enabled) return finish_step(step, "skipped", std::nullopt);
  if (time_left().count() <= 0) return finish_step(step, "failed", "run time limit reached");
  auto& p = state_.step(step.id);
  if (!p.started) record("step_started", {{"step", step.id}, {"action", step.action}, {"effect", step.effect}});
  if (step.approval && !p.decision) ask_approval(step);
  if (step.approval && !p.decision) return Outcome{Next::Wait, "", ""};
  if (step.approval && !p.decision->approved) {
    finish_step(step, "refused", fmt::format("approval refused: {}", p.decision->reason));
    if (p.decision->rollback) return Outcome{Next::Compensate, "", "approval_refused"};
    return Outcome{Next::Halt, "halted_by_approval", ""};
  }
  if (!p.applied) {
    const auto result = send(step, PlannedCall{step.action, step.args}, "execute");
    if (!result.ok) {
      finish_step(step, "failed", result.error);
      return on_failure(step);
    }
  }
  if (auto error = preserve(step)) {
    finish_step(step, "failed", *error);
    return on_failure(step);
  }
  return finish_step(step, "executed", std::nullopt);
}

Interpreter::Outcome Interpreter::finish_step(const PlannedStep& step, const std::string& status, const std::optional<std::string>& error) {
  auto clocks = state_.log().deadlines;  // which clocks this step stops, to journal each
  const auto stopped = status == "executed" ? stop_clocks(clocks, step.id, format_rfc3339(services_.clock.now())) : std::vector<std::string>{};
  const auto* p = state_.find_step(step.id);
  record("step_finished", {{"step", step.id},
                           {"action", step.action},
                           {"effect", step.effect},
                           {"status", status},
                           {"attempts", p ? p->sends : 0},
                           {"started_at", p && p->started ? nlohmann::json(p->started_at) : nlohmann::json(nullptr)},
                           {"error", optional_error(error)}});
  for (const auto& c : state_.log().deadlines) {
    if (std::find(stopped.begin(), stopped.end(), c.obligation) != stopped.end()) {
      record("deadline_met", {{"obligation", c.obligation}, {"step", step.id}, {"status", c.status}, {"met_at", c.met_at}});
    }
  }
  if (status == "failed") return Outcome{Next::Halt, "failed", ""};
  return Outcome{};
}

Interpreter::Outcome Interpreter::on_failure(const PlannedStep& step) {
  switch (step.on_failure) {
    case ir::OnFailure::Continue: return Outcome{};
    case ir::OnFailure::Rollback: return Outcome{Next::Compensate, "", "step_failed"};
    case ir::OnFailure::Halt: break;
  }
  return Outcome{Next::Halt, "failed", ""};
}

void Interpreter::ask_approval(const PlannedStep& step) {
  const auto& approval = *step.approval;
  const bool asked_before = state_.step(step.id).approval_pending && services_.approvals.defers();
  if (!asked_before) record("approval_requested", {{"step", step.id},
                                {"action", step.action},
                                {"required_roles", approval.roles},
                                {"timeout_seconds", approval.timeout_seconds},
                                {"gate", std::string(services_.approvals.kind())}});
  ApprovalRequest request;
  request.run_id = state_.run_id();
  request.step = step.id;
  request.action = step.action;
  request.effect = step.effect;
  request.required_roles = approval.roles;
  // The run's policy, recorded at start so that --resume keeps it.
  const bool identity = state_.start().value("approver_identity", "optional") == "required";
  request.identity = identity ? ApproverIdentity::required : ApproverIdentity::optional;
  request.args = step.args;
  request.event = event_;
  const auto& plan = state_.plan();
  request.runbook = {{"id", plan.runbook}, {"title", plan.title}, {"severity", plan.severity}, {"digest", plan.digest}};
  request.requested_at = services_.clock.now();
  const auto wait = std::min<milliseconds>(std::chrono::seconds(approval.timeout_seconds), std::max(time_left(), milliseconds(0)));
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
  return std::max<std::int64_t>(0, std::chrono::duration_cast<milliseconds>(services_.clock.now() - *requested).count());
}

ConnectorResult Interpreter::send(const PlannedStep& step, const PlannedCall& call, const std::string& phase) {
  const auto route = services_.connectors.route_of(call.action);
  if (!route) return ConnectorResult{false, false, "no route", fmt::format("no connector route for action `{}`", call.action)};
  auto& connector = services_.connectors.get(*route);
  const bool rollback = phase == "rollback";
  const int failures = rollback ? 0 : state_.step(step.id).failures;
  const bool in_flight = rollback ? state_.rollback(step.id).in_flight : state_.step(step.id).in_flight;
  int allowed = std::max(1 + step.retries - failures, in_flight ? 1 : 0);
  const auto step_deadline = services_.clock.steady() + std::chrono::seconds(step.timeout_seconds);
  ConnectorResult result{false, false, "not sent", "no attempts left"};
  auto backoff = options_.retry_backoff_initial;
  for (int n = 0; n < allowed; ++n) {
    const auto left = std::min(std::chrono::duration_cast<milliseconds>(step_deadline - services_.clock.steady()), time_left());
    if (left.count() <= 0) {
      result = ConnectorResult{false, false, "timed out",
                               time_left().count() <= 0 ? std::string("run time limit reached")
                                                        : fmt::format("step timeout ({} s) reached", step.timeout_seconds)};
      break;
    }
    ConnectorCall c{state_.run_id(), step.id, call.action, call.args, idempotency_key(state_.run_id(), step.id, phase), 0, left};
    c.attempt = (rollback ? state_.rollback(step.id).sends : state_.step(step.id).sends) + 1;
    record("connector_call", {{"step", step.id}, {"action", call.action}, {"phase", phase}, {"connector", *route},
                              {"kind", std::string(connector.kind())}, {"attempt", c.attempt},
                              {"idempotency_key", c.idempotency_key}});  // args: in the plan, journaled once
    result = connector.call(c);
    record("connector_result", {{"step", step.id}, {"action", call.action}, {"phase", phase}, {"attempt", c.attempt},
                                {"ok", result.ok}, {"retryable", result.retryable}, {"detail", result.detail},
                                {"error", result.ok ? nlohmann::json(nullptr) : nlohmann::json(result.error)}});
    if (result.ok || !result.retryable || n + 1 == allowed) break;
    services_.clock.sleep_for(std::min({backoff, left, std::max(time_left(), milliseconds(0))}));
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
  return result;
}

std::optional<std::string> Interpreter::preserve(const PlannedStep& step) {
  auto& p = state_.step(step.id);
  for (const auto& artifact : step.preserve) {
    if (p.artifacts_done.count(artifact)) continue;
    if (!collect_evidence_) {
      record("evidence_skipped",
             {{"step", step.id}, {"artifact", artifact}, {"reason", "dry run without --evidence: nothing is collected"}});
      continue;
    }
    record("evidence_requested", {{"step", step.id}, {"artifact", artifact}});
    EvidenceOutcome outcome;
    if (services_.evidence) {
      outcome = services_.evidence->preserve(artifact, state_.run_id(), step.id, state_.log().event_id);
    } else {
      outcome.error = fmt::format("{}: no evidence store configured", artifact);
    }
    if (!outcome.preserved) {
      record("evidence_failed", {{"step", step.id}, {"artifact", artifact}, {"error", outcome.error}});
      return fmt::format("evidence not preserved: {}", outcome.error);
    }
    record("evidence_preserved", {{"step", step.id}, {"artifact", artifact}, {"sha256", outcome.sha256}, {"size", outcome.size},
                                  {"object", outcome.object}, {"custody_seq", outcome.custody_seq}});
  }
  return std::nullopt;
}

void Interpreter::compensate(const std::string& trigger) {
  if (!state_.rollback_trigger() || state_.finished()) record("rollback_requested", {{"trigger", trigger}});
  bool complete = true;
  auto order = state_.applied_order();
  std::reverse(order.begin(), order.end());
  for (const auto& id : order) {
    const auto* step = state_.plan().find(id);
    auto& r = state_.rollback(id);
    if (r.status == "executed") continue;
    if (!step->rollback) {
      if (!r.status) record("rollback_skipped", {{"step", id}, {"reason", "it declares no rollback"}});
      continue;
    }
    if (!r.in_flight) record("rollback_started", {{"step", id}, {"action", step->rollback->action}});
    const auto result = send(*step, *step->rollback, "rollback");
    record("rollback_finished", {{"step", id},
                                 {"action", step->rollback->action},
                                 {"status", result.ok ? "executed" : "failed"},
                                 {"error", result.ok ? nlohmann::json(nullptr) : nlohmann::json(result.error)}});
    complete = complete && result.ok;
  }
  finish(complete ? "rolled_back" : "rollback_incomplete");
}

void Interpreter::journal_overdue() {
  auto clocks = state_.log().deadlines;
  for (const auto& obligation : overdue_clocks(clocks, services_.clock.now())) record("deadline_overdue", {{"obligation", obligation}});
}

void Interpreter::finish(const std::string& status) {
  journal_overdue();
  record("run_finished", {{"status", status}});
}

}  // namespace writ::runtime
