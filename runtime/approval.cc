#include "runtime/approval.h"

#include <algorithm>
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

std::string unknown_key(const std::string& key, const std::vector<std::string>& allowed) {
  auto hint = did_you_mean(key, allowed);
  return hint ? fmt::format("unknown key `{}` (did you mean `{}`?)", key, *hint)
              : fmt::format("unknown key `{}` (expected {})", key, join(allowed, ", "));
}

// `entry` of the list at `index`: exactly {"approver": non-empty string, "role": non-empty string}.
std::optional<std::string> approver_shape_error(const nlohmann::json& entry, std::string_view list_key, std::size_t index) {
  const auto where = fmt::format("`{}`[{}]", list_key, index);
  if (!entry.is_object()) return fmt::format("{} is a {}, not {{\"approver\": string, \"role\": string}}", where, json_kind(entry));
  static const std::vector<std::string> keys{"approver", "role"};
  for (const auto& [key, value] : entry.items()) {
    if (key != "approver" && key != "role") return fmt::format("{}: {}", where, unknown_key(key, keys));
  }
  for (const auto& key : keys) {
    auto value = entry.find(key);
    if (value == entry.end()) return fmt::format("{}: `{}` is missing", where, key);
    if (!value->is_string() || value->get_ref<const std::string&>().empty()) {
      return fmt::format("{}: `{}` must be a non-empty string, got {}", where, key,
                         value->is_string() ? "an empty string" : json_kind(*value));
    }
    // Names are printed in the run's timeline: no terminal control sequences.
    const auto& text = value->get_ref<const std::string&>();
    if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return fmt::format("{}: `{}` holds a control character", where, key);
    }
  }
  return std::nullopt;
}

std::optional<std::string> typed(const nlohmann::json& body, const char* key, bool boolean) {
  auto value = body.find(key);
  if (value == body.end() || (boolean ? value->is_boolean() : value->is_string())) return std::nullopt;
  return fmt::format("`{}` must be a {}, got {}", key, boolean ? "boolean" : "string", json_kind(*value));
}

std::vector<Approver> approvers_of(const nlohmann::json& body, std::string_view list_key) {
  std::vector<Approver> out;
  auto list = body.find(std::string(list_key));
  if (list == body.end()) return out;
  for (const auto& entry : *list) out.push_back({entry["approver"].get<std::string>(), entry["role"].get<std::string>()});
  return out;
}

}  // namespace

ApprovalDecision RefuseAllGate::decide(const ApprovalRequest&, std::chrono::milliseconds) {
  return refused("no approval gate configured (use --approvals URL|FILE): every approval is refused");
}

nlohmann::json approval_request_body(const ApprovalRequest& request) {
  nlohmann::json body{{"action", request.action},
                      {"context", {{"event", request.event}, {"runbook", request.runbook}, {"args", request.args}, {"effect", request.effect}}},
                      {"requested_at", format_rfc3339(request.requested_at)},
                      {"run_id", request.run_id},
                      {"step", request.step},
                      {"required_roles", request.required_roles}};
  if (!request.targets.is_null()) {
    body["context"]["targets"] = request.targets;
    body["context"]["elements"] = request.elements;
  }
  return body;
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

std::optional<std::string> decision_shape_error(const nlohmann::json& body, std::string_view list_key) {
  if (!body.is_object()) return fmt::format("the decision is a JSON {}, not an object", json_kind(body));
  const std::vector<std::string> keys{"approved", "rollback", "reason", std::string(list_key)};
  for (const auto& [key, value] : body.items()) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    // The other protocol's list name (a reply's `approvals`, a file's `approvers`) is closer to
    // `approved` than to the right list name: say which one is meant.
    if (key == "approvals" || key == "approvers") {
      return fmt::format("unknown key `{}` (approvers are listed under `{}`)", key, list_key);
    }
    return unknown_key(key, keys);
  }
  if (!body.contains("approved")) return std::string("`approved` is missing");
  for (auto error : {typed(body, "approved", true), typed(body, "rollback", true), typed(body, "reason", false)}) {
    if (error) return error;
  }
  auto list = body.find(std::string(list_key));
  if (list == body.end()) return std::nullopt;
  if (!list->is_array()) return fmt::format("`{}` must be a list, got {}", list_key, json_kind(*list));
  for (std::size_t i = 0; i < list->size(); ++i) {
    if (auto error = approver_shape_error((*list)[i], list_key, i)) return error;
  }
  return std::nullopt;
}

ApprovalDecision read_decision(const nlohmann::json& body, const std::vector<std::string>& required_roles,
                               ApproverIdentity identity, std::string_view list_key) {
  if (auto error = decision_shape_error(body, list_key)) return refused(std::move(*error));
  ApprovalDecision decision;
  decision.reason = body.value("reason", "");
  if (!body["approved"].get<bool>()) {
    decision.rollback = body.value("rollback", false);
    if (decision.reason.empty()) decision.reason = "refused by the approver";
    return decision;
  }
  decision.approvers = approvers_of(body, list_key);
  if (identity == ApproverIdentity::required && decision.approvers.empty()) {
    return refused(fmt::format("the policy requires approver identity: the decision names no approvers (`{}`: "
                               "[{{\"approver\", \"role\"}}, ...])",
                               list_key));
  }
  if (body.contains(std::string(list_key))) {
    auto missing = uncovered_roles(decision.approvers, required_roles);
    if (!missing.empty()) {
      return refused(fmt::format("approval quorum not met: no distinct approver for role {}", join(missing, ", ")));
    }
  }
  decision.approved = true;
  return decision;
}

}  // namespace writ::runtime
