// Fuzzes approval parsing (runtime/approval.h, static_approval.h): an approval service's reply
// body as HttpApprovalGate reads it (parse_json, then read_decision with "approvals") and an
// approvals file (StaticApprovalGate::parse, then decide for every step it names). The HTTP
// exchange itself is not fuzzed: HttpApprovalGate::interpret is private, and these are the
// public functions it is made of.
//
// Input: byte 0 bit 0 picks the HTTP reply (0) or the approvals file (1); byte 1 is a bit set
// over eight roles the step requires; the rest is the JSON.
// Invariants: fail closed and never throw: a reply approves only with `"approved": true` and,
// when it lists approvals, only when distinct approvers cover every required role (checked
// here by an independent bipartite matching), and then keeps every listed approver; a refusal
// says why; an approvals file is an ApprovalsFileError or a gate whose decisions obey the same.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "runtime/approval.h"
#include "runtime/json_input.h"
#include "runtime/options.h"
#include "runtime/static_approval.h"

namespace writ::fuzz {
namespace {

using runtime::Approver;

const std::vector<std::string> kRoles = {"ciso", "legal", "ir_lead", "soc_analyst",
                                         "privacy_officer", "communications", "ciso", ""};

// An independent oracle: people (distinct approver names) on one side, required roles (each
// occurrence counted) on the other, an edge when the person holds the role; Kuhn's augmenting
// paths decide whether every role gets its own person.
struct Matching {
  std::vector<std::vector<std::size_t>> people_for_role;  // role index -> people holding it
  std::vector<int> role_of_person;                        // person -> role index or -1

  bool assign(std::size_t role, std::vector<bool>& seen) {
    for (std::size_t person : people_for_role[role]) {
      if (seen[person]) continue;
      seen[person] = true;
      int held = role_of_person[person];
      if (held < 0 || assign(static_cast<std::size_t>(held), seen)) {
        role_of_person[person] = static_cast<int>(role);
        return true;
      }
    }
    return false;
  }
};

bool quorum(const std::vector<Approver>& approvers, const std::vector<std::string>& roles) {
  std::vector<std::string> people;
  for (const auto& a : approvers) {
    if (std::find(people.begin(), people.end(), a.approver) == people.end()) people.push_back(a.approver);
  }
  Matching m{std::vector<std::vector<std::size_t>>(roles.size()), std::vector<int>(people.size(), -1)};
  for (std::size_t r = 0; r < roles.size(); ++r) {
    for (std::size_t p = 0; p < people.size(); ++p) {
      bool holds = std::any_of(approvers.begin(), approvers.end(),
                               [&](const Approver& a) { return a.approver == people[p] && a.role == roles[r]; });
      if (holds) m.people_for_role[r].push_back(p);
    }
  }
  for (std::size_t r = 0; r < roles.size(); ++r) {
    std::vector<bool> seen(people.size(), false);
    if (!m.assign(r, seen)) return false;
  }
  return true;
}

void check_decision(const runtime::ApprovalDecision& d, const nlohmann::json& body, const std::vector<std::string>& roles,
                    const char* list_key) {
  if (!d.approved) {
    require(!d.reason.empty(), "a refusal without a reason");
    return;
  }
  require(body.is_object() && body.contains("approved") && body["approved"] == true,
          "approved without `\"approved\": true`");
  require(!d.rollback, "an approval that asks for a rollback");
  if (body.contains(list_key)) {
    require(body[list_key].is_array() && d.approvers.size() == body[list_key].size(),
            "an approval dropped or invented approvers");
    require(runtime::uncovered_roles(d.approvers, roles).empty(), "approved with roles uncovered");
  }
}

void http_reply(std::string_view text, const std::vector<std::string>& roles) {
  nlohmann::json body;
  try {
    body = runtime::parse_json(text, "approval reply", runtime::RuntimeOptions{}.max_json_depth);
  } catch (const runtime::JsonInputError& e) {
    require(std::string_view(e.what()).starts_with("approval reply"), "a JSON error not naming its origin");
    return;
  }
  runtime::ApprovalDecision d = runtime::read_decision(body, roles, runtime::ApproverIdentity::optional, "approvals");
  check_decision(d, body, roles, "approvals");
  auto list = body.is_object() ? body.find("approvals") : body.end();
  bool well_formed_list = body.is_object() && list != body.end() && list->is_array() &&
                          body.value("approved", nlohmann::json()) == true;
  if (well_formed_list && d.approvers.size() == list->size()) {
    require(d.approved == quorum(d.approvers, roles), "read_decision's quorum disagrees with a bipartite matching");
  }
}

void approvals_file(std::string_view text, const std::vector<std::string>& roles) {
  nlohmann::json json;
  try {
    json = runtime::parse_json(text, "approvals.json", runtime::RuntimeOptions{}.max_json_depth);
  } catch (const runtime::JsonInputError&) {
    return;
  }
  try {
    auto gate = runtime::StaticApprovalGate::parse(json, "approvals.json");
    std::vector<std::string> steps = gate.steps();
    steps.push_back("a step the file does not name");
    for (const auto& step : steps) {
      runtime::ApprovalRequest request;
      request.run_id = "run-1";
      request.step = step;
      request.action = "isolate_host";
      request.required_roles = roles;
      runtime::ApprovalDecision d = gate.decide(request, std::chrono::milliseconds(1000));
      if (!json.contains(step)) {
        require(!d.approved, "a step missing from the approvals file was approved");
        continue;
      }
      const nlohmann::json& entry = json[step];
      if (d.approved) {
        require(entry == true || (entry.is_object() && entry.value("approved", nlohmann::json()) == true),
                "approved by a file entry that is not true");
        if (entry.is_object()) check_decision(d, entry, roles, "approvers");
      }
    }
  } catch (const runtime::ApprovalsFileError& e) {
    require(std::string_view(e.what()).find("approvals.json") != std::string_view::npos,
            "an approvals file error not naming the file");
  }
}

}  // namespace
}  // namespace writ::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ::fuzz;
  if (size < 2) return 0;
  std::vector<std::string> roles;
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    if ((data[1] >> i) & 1) roles.push_back(kRoles[i]);
  }
  std::string_view text = as_text(data + 2, size - 2);
  try {
    if ((data[0] & 1) == 0) http_reply(text, roles);
    else approvals_file(text, roles);
  } catch (const std::exception& e) {
    fail(std::string("approval parsing threw: ") + e.what());
  }
  return 0;
}
