#include <catch2/catch.hpp>

#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

TEST_CASE("approval-timeout: the seed's approvals without a timeout warn", "[rules]") {
  auto c = compile_fixture("tests/data/seed/seed_ransomware.yaml");
  INFO(c.dump());
  auto found = c.of(Rule::ApprovalTimeout);
  REQUIRE(found.size() == 2);
  CHECK(found[0]->step == "disable_compromised_credentials");
  CHECK(found[1]->step == "trigger_full_disk_imaging");
  for (const auto* d : found) {
    CHECK(d->severity == Severity::Warning);
    CHECK(c.text(*d).find("requires_approval") != std::string_view::npos);
    CHECK(d->help == std::vector<std::string>{"state it: `approval_timeout_minutes: 60`"});
  }
  CHECK(found[0]->message ==
        "the approval of step `disable_compromised_credentials` has no timeout; the default of policy `default` (60m) "
        "is assumed");
}

TEST_CASE("approval-timeout: a declared timeout passes", "[rules]") {
  auto c = compile_yaml(R"(playbooks:
  critical:
    name: "T"
    steps:
      - action: revoke_active_sessions
        target: "{{event.user_id}}"
        requires_approval: true
        approval_timeout_minutes: 15
)");
  INFO(c.dump());
  CHECK(c.of(Rule::ApprovalTimeout).empty());
  CHECK(c.file.diagnostics.empty());
}

TEST_CASE("approval-timeout: DSL approve without `within`", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity critical
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal
  }
  step image = trigger_full_disk_imaging(target: event.host_id) {
    approve ciso, legal within 2h
  }
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::ApprovalTimeout);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->step == "revoke");
  CHECK(found[0]->help == std::vector<std::string>{"state it: `approve ciso, legal within 60m`"});
  CHECK(c.text(*found[0]).substr(0, 7) == "approve");
  CHECK_FALSE(c.file.has_errors());
}
