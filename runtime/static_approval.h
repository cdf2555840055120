// Static approval decisions for tabletop exercises (`--approvals FILE --dry-run`, DESIGN §9,
// §13: the CLI refuses a static file in a live run):
//   {"STEP": true | false | {"approved": bool, "rollback"?: bool, "reason"?: string,
//                            "approvers"?: [{"approver": "...", "role": "..."}]}}
// A step missing from the file is refused. `approvers`, when given, must cover the step's
// required roles with distinct approvers, exactly like an HTTP approval; when the policy
// requires approver identity, `true` (or an entry without `approvers`) is refused. A malformed
// file (duplicate key, unknown key, wrong type; decision_shape_error) is an
// ApprovalsFileError naming the file and the step, raised before the run starts.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "runtime/approval.h"
#include "runtime/options.h"

namespace writ::runtime {

struct ApprovalsFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class StaticApprovalGate final : public ApprovalGate {
 public:
  // Throws ApprovalsFileError.
  static StaticApprovalGate load(const std::string& path, const RuntimeOptions& options);
  static StaticApprovalGate parse(const nlohmann::json& json, const std::string& origin);

  std::string_view kind() const override { return "file"; }
  ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) override;
  // Step ids the file names, for warning about ones the runbook does not have.
  std::vector<std::string> steps() const;

 private:
  std::string origin_;
  std::map<std::string, nlohmann::json> decisions_;  // step -> {"approved", ...}
};

}  // namespace writ::runtime
