// The drill's simulated connectors and approver (simulation.h).
#include <fmt/format.h>

#include <algorithm>

#include "exercise/simulation.h"

namespace writ::exercise {

namespace {

// The faults on `action`, combined: latencies add up, failing attempts take the largest count.
Fault combined(const std::vector<Fault>& faults, const std::string& action) {
  Fault out;
  for (const auto& f : faults) {
    if (f.action != action) continue;
    out.action = action;
    out.fail = std::max(out.fail, f.fail);
    out.permanent = out.permanent || f.permanent;
    out.malformed = out.malformed || f.malformed;
    out.latency += f.latency;
  }
  return out;
}

}  // namespace

void FaultLog::add(FaultEvent event) {
  std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
}

std::vector<FaultEvent> FaultLog::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

SimulatedConnector::SimulatedConnector(std::vector<Fault> faults, runtime::Clock& clock, FaultLog& log)
    : faults_(std::move(faults)), clock_(clock), log_(log) {}

runtime::ConnectorResult SimulatedConnector::call(const runtime::ConnectorCall& call) {
  const Fault f = combined(faults_, call.action);
  const int attempt = ++attempts_[call.run_id + '\n' + call.step + '\n' + call.action];
  auto note = [&](std::string what) { log_.add({clock_.now(), call.run_id, call.step, call.action, std::move(what)}); };
  if (f.latency.count() > 0) {
    const auto waited = std::min(f.latency, call.timeout);
    note(fmt::format("attempt {}: latency {}", attempt, show_duration(f.latency)));
    clock_.sleep_for(waited);
    if (f.latency > call.timeout) {
      note(fmt::format("attempt {}: no answer within the {} left of the step's time", attempt,
                       show_duration(call.timeout)));
      return {false, true, "timed out",
              fmt::format("no answer within {} (simulated latency {})", show_duration(call.timeout),
                          show_duration(f.latency))};
    }
  }
  if (f.permanent) {
    note(fmt::format("attempt {}: permanent failure (HTTP 403)", attempt));
    return {false, false, "HTTP 403", "HTTP 403: simulated permanent failure"};
  }
  if (f.malformed) {
    note(fmt::format("attempt {}: malformed reply", attempt));
    return {false, true, "no answer", "malformed reply: not an HTTP response (simulated)"};
  }
  if (attempt <= f.fail) {
    note(fmt::format("attempt {}: failed (HTTP 503; the first {} fail)", attempt, f.fail));
    return {false, true, "HTTP 503",
            fmt::format("HTTP 503: simulated failure (attempt {} of the first {})", attempt, f.fail)};
  }
  return {true, false, "simulated", ""};
}

SimulatedApprovalGate::SimulatedApprovalGate(const std::map<std::string, ApprovalScript>& scripts,
                                             runtime::Clock& clock)
    : scripts_(scripts), clock_(clock) {}

runtime::ApprovalDecision SimulatedApprovalGate::decide(const runtime::ApprovalRequest& request,
                                                        std::chrono::milliseconds time_left) {
  auto it = scripts_.find(request.step);
  if (it == scripts_.end()) it = scripts_.find("*");
  const ApprovalScript* script = it == scripts_.end() ? nullptr : &it->second;
  if (!script || !script->after || *script->after > time_left) {
    clock_.sleep_for(std::max(time_left, Millis(0)));
    runtime::ApprovalDecision timeout;
    timeout.reason = fmt::format(
        "no answer within {} (approval timed out{})", show_duration(time_left),
        script && script->after ? fmt::format("; the approver answers after {}", show_duration(*script->after)) : "");
    return timeout;
  }
  clock_.sleep_for(*script->after);
  nlohmann::json body = {{"approved", script->approved}};
  if (script->malformed) body = {{"approved", "yes"}};  // the wrong type: refused, fail closed
  if (script->rollback) body["rollback"] = true;
  if (!script->reason.empty()) body["reason"] = script->reason;
  if (!script->approvers.empty()) {
    body["approvers"] = nlohmann::json::array();
    for (const auto& a : script->approvers) body["approvers"].push_back({{"approver", a.approver}, {"role", a.role}});
  }
  auto decision = runtime::read_decision(body, request.required_roles, request.identity, "approvers");
  if (!decision.approved && decision.reason.empty()) decision.reason = "refused";
  return decision;
}

}  // namespace writ::exercise
