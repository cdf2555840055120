#include "runtime/callback_approval.h"

#include <algorithm>

#include <fmt/format.h>

namespace writ::runtime {

namespace {

bool holds_any(const std::vector<std::string>& roles, const std::vector<std::string>& required) {
  return std::any_of(roles.begin(), roles.end(),
                     [&](const std::string& r) { return std::find(required.begin(), required.end(), r) != required.end(); });
}

}  // namespace

ApprovalDecision decide_votes(const std::vector<ApprovalVote>& votes, const std::vector<std::string>& required_roles) {
  std::vector<Approver> approvers;
  for (const auto& vote : votes) {
    if (!holds_any(vote.roles, required_roles)) continue;
    if (!vote.approved) {
      ApprovalDecision refused;
      refused.rollback = vote.rollback;
      refused.approvers = {Approver{vote.approver, vote.roles.front()}};
      refused.reason = vote.reason.empty() ? fmt::format("refused by {}", vote.approver)
                                           : fmt::format("refused by {}: {}", vote.approver, vote.reason);
      return refused;
    }
    for (const auto& role : vote.roles) {
      if (std::find(required_roles.begin(), required_roles.end(), role) != required_roles.end()) {
        approvers.push_back(Approver{vote.approver, role});
      }
    }
  }
  ApprovalDecision decision;
  decision.approvers = approvers;
  if (uncovered_roles(approvers, required_roles).empty() && !approvers.empty()) {
    decision.approved = true;
    decision.reason = "approved by quorum";
  } else {
    decision.pending = true;
  }
  return decision;
}

ApprovalDecision CallbackApprovalGate::decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) {
  const auto* progress = state_.find_step(request.step);
  auto decision = decide_votes(progress ? progress->votes : std::vector<ApprovalVote>{}, request.required_roles);
  if (!decision.pending) return decision;
  const auto* step = state_.plan().find(request.step);
  const auto asked = progress ? parse_rfc3339(progress->approval_requested_at) : std::nullopt;
  const auto timeout = std::chrono::seconds(step && step->approval ? step->approval->timeout_seconds : 0);
  const bool expired = !asked || clock_.now() >= *asked + timeout || time_left.count() <= 0;
  if (!expired) return decision;
  ApprovalDecision refused;
  refused.reason = fmt::format("approval timed out after {} s without a quorum", timeout.count());
  return refused;
}

}  // namespace writ::runtime
