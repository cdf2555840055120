#include "runtime/static_approval.h"

#include <fmt/format.h>

#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

void check_entry(const std::string& origin, const std::string& step, const nlohmann::json& entry) {
  if (entry.is_boolean()) return;
  auto error = entry.is_object() ? decision_shape_error(entry, "approvers")
                                 : fmt::format("expected true, false or an object, got {}", json_kind(entry));
  if (error) throw ApprovalsFileError(fmt::format("{}: step `{}`: {}", origin, step, *error));
}

}  // namespace

StaticApprovalGate StaticApprovalGate::parse(const nlohmann::json& json, const std::string& origin) {
  if (!json.is_object()) {
    throw ApprovalsFileError(fmt::format("{}: expected an object mapping step ids to decisions, got {}", origin, json_kind(json)));
  }
  StaticApprovalGate gate;
  gate.origin_ = origin;
  for (const auto& [step, entry] : json.items()) {
    check_entry(origin, step, entry);
    gate.decisions_[step] = entry.is_boolean() ? nlohmann::json{{"approved", entry.get<bool>()}} : entry;
  }
  return gate;
}

StaticApprovalGate StaticApprovalGate::load(const std::string& path, const RuntimeOptions& options) {
  try {
    return parse(read_json_file(path, options.max_event_bytes, options.max_json_depth), path);
  } catch (const JsonInputError& e) {
    throw ApprovalsFileError(e.what());
  }
}

ApprovalDecision StaticApprovalGate::decide(const ApprovalRequest& request, std::chrono::milliseconds) {
  auto it = decisions_.find(request.step);
  if (it == decisions_.end()) {
    ApprovalDecision decision;
    decision.reason = fmt::format("{} has no decision for step `{}`", origin_, request.step);
    return decision;
  }
  auto decision = read_decision(it->second, request.required_roles, request.identity, "approvers");
  if (!it->second["approved"].get<bool>() && !it->second.contains("reason")) {
    decision.reason = fmt::format("refused in {}", origin_);
  }
  return decision;
}

std::vector<std::string> StaticApprovalGate::steps() const {
  std::vector<std::string> out;
  for (const auto& [step, entry] : decisions_) out.push_back(step);
  return out;
}

}  // namespace writ::runtime
