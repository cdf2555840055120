// Fuzzes approval parsing (runtime/approval.h, static_approval.h): an approval service's reply
// body as HttpApprovalGate reads it (parse_json, then read_decision with "approvals") and an
// approvals file (StaticApprovalGate::parse, then decide for every step it names). The HTTP
// exchange itself is not fuzzed: HttpApprovalGate::interpret is private, and these are the
// public functions it is made of.
//
// Input: byte 0 bit 0 picks the HTTP reply (0) or the approvals file (1), bit 1 says the policy
// requires approver identity; byte 1 is a bit set over eight roles the step requires; the rest
// is the JSON.
// Invariants (each checked against an oracle written here, independently of the runtime):
// never throw; a text holding a duplicate key at any depth (found by a SAX pass) is refused by
// parse_json naming "duplicate key", and never approved, and parse_json never claims a
// duplicate that is not there; a decision is approved exactly when it is well formed (only the
// keys approved/rollback/reason/<list>, each of its type, list entries exactly
// {"approver", "role"} non-empty strings without control characters), says `"approved": true`, its list (when present)
// lets distinct approvers cover every required role (bipartite matching), and — with identity
// required — the list is present and names someone; an approval keeps every listed approver;
// a refusal says why; an approvals file is accepted exactly when every entry is true, false or
// well formed, and its decisions obey the same rule.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <set>
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "runtime/approval.h"
#include "runtime/json_input.h"
#include "runtime/options.h"
#include "runtime/static_approval.h"

namespace writ::fuzz {
namespace {

using nlohmann::json;
using runtime::Approver;
using runtime::ApproverIdentity;

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

// A SAX pass that only looks for an object holding a key twice (keys compared decoded).
struct DuplicateFinder : nlohmann::json_sax<json> {
  std::vector<std::set<std::string>> open;
  bool found = false;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    open.emplace_back();
    return true;
  }
  bool key(string_t& key) override {
    found = found || !open.back().insert(key).second;
    return true;
  }
  bool end_object() override {
    open.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

bool has_duplicate_key(std::string_view text) {
  DuplicateFinder finder;
  json::sax_parse(text.begin(), text.end(), &finder, nlohmann::detail::input_format_t::json, false);
  return finder.found;
}

bool non_empty_string(const json& entry, const char* key) {
  if (!entry.contains(key) || !entry[key].is_string() || entry[key].get<std::string>().empty()) return false;
  for (unsigned char c : entry[key].get<std::string>()) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool well_formed(const json& body, const std::string& list_key) {
  if (!body.is_object() || !body.contains("approved") || !body["approved"].is_boolean()) return false;
  for (const auto& [key, value] : body.items()) {
    if (key == "approved") continue;
    if (key == "rollback" && value.is_boolean()) continue;
    if (key == "reason" && value.is_string()) continue;
    if (key != list_key || !value.is_array()) return false;
    for (const auto& entry : value) {
      if (!entry.is_object() || entry.size() != 2 || !non_empty_string(entry, "approver") || !non_empty_string(entry, "role")) {
        return false;
      }
    }
  }
  return true;
}

// What a correct reader decides for `body`.
bool should_approve(const json& body, const std::string& list_key, const std::vector<std::string>& roles,
                    ApproverIdentity identity) {
  if (!well_formed(body, list_key) || body["approved"] != true) return false;
  if (!body.contains(list_key)) return identity == ApproverIdentity::optional;
  std::vector<Approver> listed;
  for (const auto& entry : body[list_key]) listed.push_back({entry["approver"], entry["role"]});
  return quorum(listed, roles) && (identity == ApproverIdentity::optional || !listed.empty());
}

void check_decision(const runtime::ApprovalDecision& d, const json& body, const std::vector<std::string>& roles,
                    ApproverIdentity identity, const std::string& list_key) {
  require(d.approved == should_approve(body, list_key, roles, identity),
          d.approved ? "approved a decision a strict reader refuses" : "refused a well-formed approval with a quorum");
  if (!d.approved) {
    require(!d.reason.empty(), "a refusal without a reason");
    require(!d.rollback || (well_formed(body, list_key) && body.value("rollback", false)), "a rollback nobody asked for");
    return;
  }
  require(!d.rollback, "an approval that asks for a rollback");
  if (body.contains(list_key)) require(d.approvers.size() == body[list_key].size(), "an approval dropped or invented approvers");
  if (identity == ApproverIdentity::required) require(!d.approvers.empty(), "approved without a named approver");
}

// parse_json, checked against the SAX oracle; nothing when it refused the text.
std::optional<json> parse(std::string_view text, const char* origin) {
  const bool duplicate = has_duplicate_key(text);
  try {
    json value = runtime::parse_json(text, origin, runtime::RuntimeOptions{}.max_json_depth);
    require(!duplicate, "parse_json accepted an object holding a key twice");
    return value;
  } catch (const runtime::JsonInputError& e) {
    const std::string_view what = e.what();
    require(what.starts_with(origin), "a JSON error not naming its origin");
    // "<origin>:<line>:<col>: duplicate key ..." (the text itself may hold those words).
    auto rest = what.substr(std::string_view(origin).size());
    const auto reason = rest.find(": ");
    if (reason != std::string_view::npos && rest.substr(reason + 2).starts_with("duplicate key \"") &&
        rest.substr(0, reason).find_first_not_of(":0123456789") == std::string_view::npos) {
      require(duplicate, "a duplicate key that is not there");
    }
    return std::nullopt;
  }
}

void http_reply(std::string_view text, const std::vector<std::string>& roles, ApproverIdentity identity) {
  auto body = parse(text, "approval reply");
  if (!body) return;
  check_decision(runtime::read_decision(*body, roles, identity, "approvals"), *body, roles, identity, "approvals");
}

void approvals_file(std::string_view text, const std::vector<std::string>& roles, ApproverIdentity identity) {
  auto file = parse(text, "approvals.json");
  if (!file) return;
  bool acceptable = file->is_object();
  if (acceptable) {
    for (const auto& [step, entry] : file->items()) acceptable = acceptable && (entry.is_boolean() || well_formed(entry, "approvers"));
  }
  try {
    auto gate = runtime::StaticApprovalGate::parse(*file, "approvals.json");
    require(acceptable, "an approvals file with a malformed entry was accepted");
    std::vector<std::string> steps = gate.steps();
    steps.push_back("a step the file does not name");
    for (const auto& step : steps) {
      runtime::ApprovalRequest request;
      request.run_id = "run-1";
      request.step = step;
      request.action = "isolate_host";
      request.required_roles = roles;
      request.identity = identity;
      runtime::ApprovalDecision d = gate.decide(request, std::chrono::milliseconds(1000));
      if (!file->contains(step)) {
        require(!d.approved, "a step missing from the approvals file was approved");
        continue;
      }
      const json& entry = (*file)[step];
      check_decision(d, entry.is_boolean() ? json{{"approved", entry.get<bool>()}} : entry, roles, identity, "approvers");
    }
  } catch (const runtime::ApprovalsFileError& e) {
    require(!acceptable, "a well-formed approvals file was refused");
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
  const auto identity = (data[0] & 2) ? ApproverIdentity::required : ApproverIdentity::optional;
  std::string_view text = as_text(data + 2, size - 2);
  try {
    if ((data[0] & 1) == 0) http_reply(text, roles, identity);
    else approvals_file(text, roles, identity);
  } catch (const std::exception& e) {
    fail(std::string("approval parsing threw: ") + e.what());
  }
  return 0;
}
