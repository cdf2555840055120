#include "runtime/approval.h"

#include <catch2/catch.hpp>

#include "runtime/static_approval.h"
#include "runtime_test_support.h"

using namespace writ::runtime;
using Catch::Matchers::Contains;
using Strings = std::vector<std::string>;

namespace {

ApprovalDecision decide(const char* body, const Strings& roles = {"ciso", "legal"},
                        ApproverIdentity identity = ApproverIdentity::optional) {
  return read_decision(nlohmann::json::parse(body), roles, identity, "approvals");
}

}  // namespace

TEST_CASE("only the boolean true approves", "[runtime][approval]") {
  CHECK(decide(R"({"approved": true})").approved);
  for (const char* body : {R"({"approved": "yes"})", R"({"approved": 1})", R"({"approved": null})", R"({})", R"([true])",
                           R"("approved")", R"({"approved": false})"}) {
    INFO(body);
    CHECK_FALSE(decide(body).approved);
  }
  CHECK_THAT(decide(R"({"approved": "yes"})").reason, Contains("`approved` must be a boolean, got string"));
}

TEST_CASE("a refusal may ask for rollback, strictly", "[runtime][approval]") {
  auto d = decide(R"({"approved": false, "rollback": true, "reason": "false positive"})");
  CHECK_FALSE(d.approved);
  CHECK(d.rollback);
  CHECK(d.reason == "false positive");
  CHECK_FALSE(decide(R"({"approved": false, "rollback": "true"})").rollback);
  CHECK_FALSE(decide(R"({"approved": true, "rollback": true})").rollback);
}

TEST_CASE("a reply with an unknown key or a wrongly typed value is refused, naming it", "[runtime][approval]") {
  const struct {
    const char* body;
    const char* reason;
  } cases[] = {
      // The list under the wrong name would be ignored and the bare approval accepted.
      {R"({"approved": true, "approvers": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]})",
       "unknown key `approvers` (approvers are listed under `approvals`)"},
      {R"({"approved": true, "note": "ok"})", "unknown key `note` (expected approved, rollback, reason, approvals)"},
      {R"({"approved": false, "reason": 5})", "`reason` must be a string, got integer"},
      {R"({"approved": true, "rollback": "yes"})", "`rollback` must be a boolean, got string"},
      {R"({"approved": true, "approvals": {"approver": "ana", "role": "ciso"}})", "`approvals` must be a list, got object"},
      {R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso", "weight": 2}, {"approver": "bo", "role": "legal"}]})",
       "`approvals`[0]: unknown key `weight`"},
      {R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "bo"}]})", "`approvals`[1]: `role` is missing"},
      {R"({"approved": true, "approvals": [{"approver": "", "role": "ciso"}, {"approver": "bo", "role": "legal"}]})",
       "`approvals`[0]: `approver` must be a non-empty string, got an empty string"},
      {R"({"approved": true, "approvals": [{"approver": 7, "role": "ciso"}]})", "`approver` must be a non-empty string, got integer"},
      {R"({"approved": true, "approvals": ["ana"]})", "`approvals`[0] is a string, not"},
      {"{\"approved\": true, \"approvals\": [{\"approver\": \"ana\\u001b[2J\", \"role\": \"ciso\"}]}",
       "`approvals`[0]: `approver` holds a control character"},
      {R"({"rollback": true})", "`approved` is missing"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    const auto d = decide(c.body);
    CHECK_FALSE(d.approved);
    CHECK_FALSE(d.rollback);  // a malformed refusal never triggers compensation either
    CHECK_THAT(d.reason, Contains(c.reason));
  }
  CHECK(decision_shape_error(nlohmann::json::parse(R"({"approved": false, "rollback": true, "reason": "fp"})"), "approvals") ==
        std::nullopt);
}

TEST_CASE("with approver identity required, an approval must name a quorum", "[runtime][approval]") {
  const auto required = ApproverIdentity::required;
  auto d = decide(R"({"approved": true})", {"ciso", "legal"}, required);
  CHECK_FALSE(d.approved);
  CHECK_THAT(d.reason, Contains("the policy requires approver identity"));
  CHECK_FALSE(decide(R"({"approved": true, "approvals": []})", {"ciso"}, required).approved);
  // Even a step with no roles needs one named approver.
  CHECK_FALSE(decide(R"({"approved": true})", {}, required).approved);
  CHECK(decide(R"({"approved": true, "approvals": [{"approver": "ana", "role": "soc"}]})", {}, required).approved);
  CHECK_FALSE(decide(R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "ana", "role": "legal"}]})",
                     {"ciso", "legal"}, required).approved);
  d = decide(R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]})",
             {"ciso", "legal"}, required);
  CHECK(d.approved);
  CHECK(d.approvers.size() == 2);
  // A refusal needs no names.
  d = decide(R"({"approved": false, "rollback": true})", {"ciso"}, required);
  CHECK_FALSE(d.approved);
  CHECK(d.rollback);
}

TEST_CASE("an approvals list must cover the roles with distinct approvers", "[runtime][approval]") {
  auto d = decide(R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]})");
  CHECK(d.approved);
  CHECK(d.approvers == std::vector<Approver>{{"ana", "ciso"}, {"bo", "legal"}});
  d = decide(R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso"}]})");
  CHECK_FALSE(d.approved);
  CHECK_THAT(d.reason, Contains("quorum not met: no distinct approver for role legal"));
  // One person cannot fill two roles.
  CHECK_FALSE(decide(R"({"approved": true, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "ana", "role": "legal"}]})").approved);
  CHECK_FALSE(decide(R"({"approved": true, "approvals": [{"approver": "ana"}]})").approved);
  CHECK_FALSE(decide(R"({"approved": true, "approvals": {"approver": "ana", "role": "ciso"}})").approved);
}

TEST_CASE("role matching finds an assignment when one exists", "[runtime][approval]") {
  const std::vector<Approver> approvers{{"ana", "ciso"}, {"ana", "legal"}, {"bo", "ciso"}};
  CHECK(uncovered_roles(approvers, {"ciso", "legal"}).empty());  // bo: ciso, ana: legal
  CHECK(uncovered_roles(approvers, {"ciso", "ciso", "legal"}) == Strings{"legal"});
  CHECK(uncovered_roles({}, {}).empty());
  CHECK(uncovered_roles({{"x", "ir_lead"}}, {"ciso"}) == Strings{"ciso"});
}

TEST_CASE("the request body follows the seed protocol", "[runtime][approval]") {
  ApprovalRequest request;
  request.run_id = "run-1";
  request.step = "revoke";
  request.action = "revoke_active_sessions";
  request.required_roles = {"ciso", "legal"};
  request.event = {{"id", "evt-1"}};
  request.runbook = {{"id", "rb"}};
  request.requested_at = *parse_rfc3339("2026-11-27T08:00:00Z");
  const auto body = approval_request_body(request);
  CHECK(body["action"] == "revoke_active_sessions");
  CHECK(body["context"]["event"]["id"] == "evt-1");
  CHECK(body["context"]["runbook"]["id"] == "rb");
  CHECK(body["requested_at"] == "2026-11-27T08:00:00.000Z");
  CHECK(body["run_id"] == "run-1");
  CHECK(body["step"] == "revoke");
  CHECK(body["required_roles"] == Strings{"ciso", "legal"});
}

TEST_CASE("no gate refuses", "[runtime][approval]") {
  RefuseAllGate gate;
  auto d = gate.decide(ApprovalRequest{}, std::chrono::seconds(1));
  CHECK_FALSE(d.approved);
  CHECK_THAT(d.reason, Contains("no approval gate configured"));
}

TEST_CASE("static approvals for tabletop exercises", "[runtime][approval][static]") {
  auto gate = StaticApprovalGate::parse(nlohmann::json::parse(R"({
    "isolate": true,
    "revoke": false,
    "imaging": {"approved": true, "approvers": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]},
    "short": {"approved": true, "approvers": [{"approver": "ana", "role": "ciso"}]},
    "undo": {"approved": false, "rollback": true, "reason": "false positive"}
  })"),
                                        "tabletop.json");
  auto ask = [&](const std::string& step) {
    ApprovalRequest request;
    request.step = step;
    request.required_roles = {"ciso", "legal"};
    return gate.decide(request, std::chrono::seconds(1));
  };
  CHECK(ask("isolate").approved);
  CHECK_FALSE(ask("revoke").approved);
  CHECK(ask("revoke").reason == "refused in tabletop.json");
  CHECK(ask("imaging").approved);
  CHECK(ask("imaging").approvers.size() == 2);
  CHECK_FALSE(ask("short").approved);
  CHECK_THAT(ask("short").reason, Contains("quorum not met"));
  CHECK(ask("undo").rollback);
  CHECK_THAT(ask("missing").reason, Contains("tabletop.json has no decision for step `missing`"));
  CHECK(gate.steps().size() == 5);
}

TEST_CASE("malformed approvals files are clear errors", "[runtime][approval][static]") {
  auto parse = [](const char* text) { return StaticApprovalGate::parse(nlohmann::json::parse(text), "a.json"); };
  CHECK_THROWS_WITH(parse("[]"), Contains("a.json: expected an object mapping step ids to decisions, got array"));
  CHECK_THROWS_WITH(parse(R"({"s": "yes"})"), Contains("a.json: step `s`: expected true, false or an object, got string"));
  CHECK_THROWS_WITH(parse(R"({"s": {"approved": "yes"}})"), Contains("`approved` must be a boolean"));
  CHECK_THROWS_WITH(parse(R"({"s": {"rollback": true}})"), Contains("`approved` is missing"));
  CHECK_THROWS_WITH(parse(R"({"s": {"approved": true, "aprovers": []}})"), Contains("unknown key `aprovers` (did you mean `approvers`?)"));
  CHECK_THROWS_WITH(parse(R"({"s": {"approved": true, "approvals": []}})"), Contains("unknown key `approvals` (approvers are listed under `approvers`)"));
  CHECK_THROWS_WITH(parse(R"({"s": {"approved": false, "reason": 5}})"), Contains("step `s`: `reason` must be a string"));
  CHECK_THROWS_WITH(parse(R"({"s": {"approved": true, "approvers": [{"approver": "a"}]}})"), Contains("a.json: step `s`: `approvers`[0]: `role` is missing"));
  writ::runtime::testing::TempDir dir;
  const auto path = dir.file("a.json", "{\"s\": tru}");
  CHECK_THROWS_WITH(StaticApprovalGate::load(path, RuntimeOptions{}), Contains("a.json:1:10: invalid JSON"));
  const auto twice = dir.file("twice.json", R"({"s": false, "s": true})");
  CHECK_THROWS_WITH(StaticApprovalGate::load(twice, RuntimeOptions{}), Contains("twice.json:1:14: duplicate key \"s\""));
}

TEST_CASE("static approvals under approver identity need named approvers", "[runtime][approval][static]") {
  auto gate = StaticApprovalGate::parse(nlohmann::json::parse(R"({
    "bare": true,
    "named": {"approved": true, "approvers": [{"approver": "ana", "role": "ciso"}]}
  })"),
                                        "tabletop.json");
  ApprovalRequest request;
  request.required_roles = {"ciso"};
  request.identity = ApproverIdentity::required;
  request.step = "bare";
  const auto bare = gate.decide(request, std::chrono::seconds(1));
  CHECK_FALSE(bare.approved);
  CHECK_THAT(bare.reason, Contains("the policy requires approver identity"));
  request.step = "named";
  CHECK(gate.decide(request, std::chrono::seconds(1)).approved);
}
