// The approval gate of `writ serve` (DESIGN §14): approvers answer by POSTing to the service
// with a role-bound token, each answer is journaled as an approval_vote, and the gate decides
// from the votes of the step being asked:
//   - a refusal (`approved: false`) from an approver holding a required role refuses (with
//     its `rollback` and `reason`);
//   - approvals from distinct approvers covering every required role approve;
//   - the approval timeout, counted from the first request, passing without either refuses;
//   - anything else is pending: the run waits and holds no worker (defers() is true).
#pragma once

#include "runtime/approval.h"
#include "runtime/clock.h"
#include "runtime/run_state.h"

namespace writ::runtime {

class CallbackApprovalGate final : public ApprovalGate {
 public:
  // `state` is the run's state as the interpreter keeps it (the votes); both outlive the gate.
  CallbackApprovalGate(const RunState& state, const Clock& clock) : state_(state), clock_(clock) {}
  std::string_view kind() const override { return "callback"; }
  bool defers() const override { return true; }
  ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) override;

 private:
  const RunState& state_;
  const Clock& clock_;
};

// The decision `votes` make for `required_roles`, or pending (quorum not met, no refusal).
ApprovalDecision decide_votes(const std::vector<ApprovalVote>& votes, const std::vector<std::string>& required_roles);

}  // namespace writ::runtime
