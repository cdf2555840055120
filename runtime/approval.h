// Approval gates (DESIGN §9). A step that needs approval asks the ApprovalGate handed to the
// interpreter and runs only on an explicit, well-formed approval that covers every required
// role; every other outcome — a refusal, a timeout, a malformed reply, a transport fault —
// is a refusal whose `reason` says why (fail closed). Gates never throw for what the
// approval service or file says.
// Implementations: RefuseAllGate (no gate configured), HttpApprovalGate (http_approval.h),
// StaticApprovalGate (static_approval.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/clock.h"

namespace writ::runtime {

struct Approver {
  std::string approver;
  std::string role;
  friend bool operator==(const Approver&, const Approver&) = default;
};

struct ApprovalRequest {
  std::string run_id;
  std::string step;
  std::string action;
  std::string effect;
  std::vector<std::string> required_roles;
  nlohmann::json args = nlohmann::json::object();  // the step's rendered arguments
  nlohmann::json event = nlohmann::json::object(); // the event as received
  nlohmann::json runbook = nlohmann::json::object();  // {"id","title","severity","digest"}
  WallTime requested_at{};
};

struct ApprovalDecision {
  bool approved = false;
  bool rollback = false;  // a refusal that asks to compensate executed steps (false positive)
  std::vector<Approver> approvers;
  std::string reason;  // why it was refused (or the approver's note)
};

class ApprovalGate {
 public:
  virtual ~ApprovalGate() = default;
  virtual std::string_view kind() const = 0;  // "none", "http", "file"
  // Decides within `time_left` (the step's approval timeout, cut to the run's time left).
  virtual ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) = 0;
};

class RefuseAllGate final : public ApprovalGate {
 public:
  std::string_view kind() const override { return "none"; }
  ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) override;
};

// The seed protocol's request body: {"action","context":{"event","runbook","args","effect"},
// "requested_at","run_id","step","required_roles"}.
nlohmann::json approval_request_body(const ApprovalRequest& request);

// Reads a decision object ({"approved": true|false, "rollback"?, "approvals"? | "approvers"?,
// "reason"?}) strictly: `approved` must be the boolean true to approve, and a list of
// {"approver","role"} entries, when present, must cover every required role with distinct
// approvers. `list_key` is "approvals" (HTTP replies) or "approvers" (static file).
ApprovalDecision read_decision(const nlohmann::json& body, const std::vector<std::string>& required_roles,
                               std::string_view list_key);

// The required roles no assignment of distinct approvers covers (empty: quorum met).
std::vector<std::string> uncovered_roles(const std::vector<Approver>& approvers, const std::vector<std::string>& required_roles);

}  // namespace writ::runtime
