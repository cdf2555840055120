// Approval gates (DESIGN §9, §13). A step that needs approval asks the ApprovalGate handed to
// the interpreter and runs only on an explicit, well-formed approval that covers every required
// role; every other outcome — a refusal, a timeout, a malformed reply (a duplicate key, an
// unknown key, a wrongly typed value), a transport fault — is a refusal whose `reason` says
// why (fail closed). Gates never throw for what the approval service or file says.
// Implementations: RefuseAllGate (no gate configured), HttpApprovalGate (http_approval.h),
// StaticApprovalGate (static_approval.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
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

// The policy's `approver_identity`: `required` means an approval must name distinct approvers
// covering every required role (and at least one approver), so a bare {"approved": true} is
// refused.
enum class ApproverIdentity { optional, required };

struct ApprovalRequest {
  std::string run_id;
  std::string step;
  std::string action;
  std::string effect;
  std::vector<std::string> required_roles;
  nlohmann::json args = nlohmann::json::object();  // the step's rendered arguments
  // A for-each step: every target it will act on, and each element's arguments (one
  // approval covers them all); null otherwise.
  nlohmann::json targets;
  nlohmann::json elements;
  nlohmann::json event = nlohmann::json::object(); // the event as received
  nlohmann::json runbook = nlohmann::json::object();  // {"id","title","severity","digest"}
  WallTime requested_at{};
  ApproverIdentity identity = ApproverIdentity::optional;  // from the run's policy
};

struct ApprovalDecision {
  bool approved = false;
  bool rollback = false;  // a refusal that asks to compensate executed steps (false positive)
  std::vector<Approver> approvers;
  std::string reason;  // why it was refused (or the approver's note)
  // Not decided yet (only from a gate that defers()): the run waits, holding no thread, and
  // is continued when the decision can be made.
  bool pending = false;
};

class ApprovalGate {
 public:
  virtual ~ApprovalGate() = default;
  virtual std::string_view kind() const = 0;  // "none", "http", "file"
  // Decides within `time_left` (the step's approval timeout, cut to the run's time left).
  virtual ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) = 0;
  // True for a gate whose decide() may answer `pending` (serve's callback approvals): the
  // request is then journaled once, and asking again only looks at what was decided since.
  virtual bool defers() const { return false; }
};

class RefuseAllGate final : public ApprovalGate {
 public:
  std::string_view kind() const override { return "none"; }
  ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) override;
};

// The seed protocol's request body: {"action","context":{"event","runbook","args","effect"},
// "requested_at","run_id","step","required_roles"}.
nlohmann::json approval_request_body(const ApprovalRequest& request);

// What is wrong with the shape of a decision object, or nothing when it is well formed:
//   {"approved": bool, "rollback"?: bool, "reason"?: string,
//    LIST_KEY?: [{"approver": non-empty string, "role": non-empty string}, ...]}
// (names without control characters: they are printed in the timeline).
// An unknown key (with a did-you-mean), a missing `approved`, a wrongly typed value, or a list
// entry with a missing or extra key is named in the message. `list_key` is "approvals" (HTTP
// replies) or "approvers" (static file).
std::optional<std::string> decision_shape_error(const nlohmann::json& body, std::string_view list_key);

// Reads a decision object strictly: a shape error refuses; `approved` must be true to approve;
// the list, when present, must cover every required role with distinct approvers; with
// `identity` required the list must be present and name at least one approver.
ApprovalDecision read_decision(const nlohmann::json& body, const std::vector<std::string>& required_roles,
                               ApproverIdentity identity, std::string_view list_key);

// The required roles no assignment of distinct approvers covers (empty: quorum met).
std::vector<std::string> uncovered_roles(const std::vector<Approver>& approvers, const std::vector<std::string>& required_roles);

}  // namespace writ::runtime
