#include "runtime/approval.h"

#include <fmt/format.h>
#include <functional>
#include <map>

#include "common/text.h"
#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

ApprovalDecision refused(std::string reason) {
  ApprovalDecision decision;
  decision.reason = std::move(reason);
  return decision;
}

// Bipartite matching of roles to distinct approvers (Kuhn's algorithm; a handful of roles).
bool assign(std::size_t role, const std::vector<std::string>& roles, const std::vector<Approver>& approvers,
            std::vector<bool>& seen, std::map<std::string, std::size_t>& holder, std::vector<std::string>& people) {
  for (std::size_t i = 0; i < approvers.size(); ++i) {
    if (approvers[i].role != roles[role] || seen[i]) continue;
    seen[i] = true;
    const auto& person = approvers[i].approver;
    auto it = holder.find(person);
    if (it == holder.end() || assign(it->second, roles, approvers, seen, holder, people)) {
      if (people[role].size()) holder.erase(people[role]);
      holder[person] = role;
      people[role] = person;
      return true;
    }
  }
  return false;
}

}  // namespace

ApprovalDecision RefuseAllGate::decide(const ApprovalRequest&, std::chrono::milliseconds) {
  return refused("no approval gate configured (use --approvals URL|FILE): every approval is refused");
}

nlohmann::json approval_request_body(const ApprovalRequest& request) {
  return {{"action", request.action},
          {"context", {{"event", request.event}, {"runbook", request.runbook}, {"args", request.args}, {"effect", request.effect}}},
          {"requested_at", format_rfc3339(request.requested_at)},
          {"run_id", request.run_id},
          {"step", request.step},
          {"required_roles", request.required_roles}};
}

std::vector<std::string> uncovered_roles(const std::vector<Approver>& approvers, const std::vector<std::string>& required_roles) {
  std::vector<std::string> missing;
  std::map<std::string, std::size_t> holder;  // approver -> role index they cover
  std::vector<std::string> people(required_roles.size());
  for (std::size_t role = 0; role < required_roles.size(); ++role) {
    std::vector<bool> seen(approvers.size(), false);
    if (!assign(role, required_roles, approvers, seen, holder, people)) missing.push_back(required_roles[role]);
  }
  return missing;
}

ApprovalDecision read_decision(const nlohmann::json& body, const std::vector<std::string>& required_roles,
                               std::string_view list_key) {
  if (!body.is_object()) return refused(fmt::format("the decision is a JSON {}, not an object", json_kind(body)));
  auto approved = body.find("approved");
  if (approved == body.end() || !approved->is_boolean()) {
    return refused(approved == body.end() ? "the decision has no `approved`"
                                          : fmt::format("`approved` is a {}, not the boolean true", json_kind(*approved)));
  }
  ApprovalDecision decision;
  if (auto reason = body.find("reason"); reason != body.end() && reason->is_string()) decision.reason = reason->get<std::string>();
  if (!approved->get<bool>()) {
    auto rollback = body.find("rollback");
    decision.rollback = rollback != body.end() && rollback->is_boolean() && rollback->get<bool>();
    if (decision.reason.empty()) decision.reason = "refused by the approver";
    return decision;
  }
  auto list = body.find(std::string(list_key));
  if (list != body.end()) {
    if (!list->is_array()) return refused(fmt::format("`{}` is not a list", list_key));
    for (const auto& entry : *list) {
      if (!entry.is_object() || !entry.contains("approver") || !entry["approver"].is_string() || !entry.contains("role") ||
          !entry["role"].is_string()) {
        return refused(fmt::format("an entry of `{}` is not {{\"approver\": string, \"role\": string}}", list_key));
      }
      decision.approvers.push_back({entry["approver"].get<std::string>(), entry["role"].get<std::string>()});
    }
    auto missing = uncovered_roles(decision.approvers, required_roles);
    if (!missing.empty()) {
      return refused(fmt::format("approval quorum not met: no distinct approver for role {}", join(missing, ", ")));
    }
  }
  decision.approved = true;
  return decision;
}

}  // namespace writ::runtime
