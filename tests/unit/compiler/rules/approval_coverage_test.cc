#include <catch2/catch.hpp>

#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

namespace {

std::string yaml_step(const std::string& severity, const std::string& step) {
  return "playbooks:\n  " + severity + ":\n    name: \"T\"\n    steps:\n" + step;
}

}  // namespace

TEST_CASE("approval-coverage: the seed's unapproved isolate_host without rollback fails", "[rules]") {
  auto c = compile_fixture("tests/data/seed/seed_ransomware.yaml");
  INFO(c.dump());
  auto found = c.of(Rule::ApprovalCoverage);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->step == "isolate_host");
  CHECK(found[0]->message ==
        "step `isolate_host` (contain) has no approval, but policy `default` requires approval by `ciso`, `legal` "
        "for contain steps at severity critical");
  CHECK(found[0]->help.at(0) == "write `requires_approval: [ciso, legal]`");
  CHECK(found[0]->help.at(1).find("`rollback: restore_host`") != std::string::npos);
  CHECK(c.text(*found[0]).find("isolate_host") != std::string_view::npos);
}

TEST_CASE("approval-coverage: a missing role is named at the approval", "[rules]") {
  auto c = compile_yaml(yaml_step("critical",
                                  "      - action: trigger_full_disk_imaging\n"
                                  "        id: image\n"
                                  "        target: \"{{event.host_id}}\"\n"
                                  "        requires_approval: [ciso]\n"
                                  "        approval_timeout_minutes: 20\n"));
  INFO(c.dump());
  auto found = c.of(Rule::ApprovalCoverage);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message == "step `image` (collect) needs approval by `legal` at severity critical; it names `ciso`");
  CHECK(found[0]->help == std::vector<std::string>{"write `requires_approval: [ciso, legal]`"});
  CHECK(c.text(*found[0]).find("requires_approval") != std::string_view::npos);
  CHECK(found[0]->step == "image");
}

TEST_CASE("approval-coverage: DSL help uses the DSL's approve statement", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity critical
  step image = trigger_full_disk_imaging(target: event.host_id) {
    approve ciso within 20m
  }
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::ApprovalCoverage);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message == "step `image` (collect) needs approval by `legal` at severity critical; it names `ciso`");
  CHECK(found[0]->help == std::vector<std::string>{"write `approve ciso, legal within 20m`"});
  CHECK(c.text(*found[0]).substr(0, 7) == "approve");
}

TEST_CASE("approval-coverage: requires_approval true and bare approve mean the policy's roles", "[rules]") {
  auto yaml = compile_yaml(yaml_step("critical",
                                     "      - action: trigger_full_disk_imaging\n"
                                     "        target: \"{{event.host_id}}\"\n"
                                     "        requires_approval: true\n"));
  INFO(yaml.dump());
  CHECK(yaml.of(Rule::ApprovalCoverage).empty());
  auto dsl = compile_dsl(R"(runbook t {
  title "T"
  severity high
  step image = trigger_full_disk_imaging(target: event.host_id) { approve within 30m }
}
)");
  INFO(dsl.dump());
  CHECK(dsl.of(Rule::ApprovalCoverage).empty());
  CHECK_FALSE(dsl.file.has_errors());
}

TEST_CASE("approval-coverage: a reversible contain step with its rollback may run unapproved", "[rules]") {
  auto c = compile_yaml(yaml_step("critical",
                                  "      - action: isolate_host\n"
                                  "        target: \"{{event.host_id}}\"\n"
                                  "        requires_approval: false\n"
                                  "        rollback: restore_host\n"));
  INFO(c.dump());
  // Exempt, and said so: one note, no error.
  auto found = c.of(Rule::ApprovalCoverage);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->severity == Severity::Note);
  CHECK(found[0]->step == "isolate_host");
  CHECK(found[0]->message ==
        "step `isolate_host` (contain) runs without approval: policy `default` requires approval by `ciso`, `legal` "
        "for contain steps at severity critical, but a reversible contain step with its rollback (`restore_host`) is "
        "exempt");
  CHECK(found[0]->help == std::vector<std::string>{"to ask for approval anyway, write `requires_approval: [ciso, legal]`"});
  CHECK_FALSE(c.file.has_errors());
}

TEST_CASE("approval-coverage: no exemption note where the policy asks no approval", "[rules]") {
  auto c = compile_yaml(yaml_step("low",
                                  "      - action: isolate_host\n"
                                  "        target: \"{{event.host_id}}\"\n"
                                  "        rollback: restore_host\n"));
  INFO(c.dump());
  CHECK(c.of(Rule::ApprovalCoverage).empty());
}

TEST_CASE("approval-coverage: an irreversible contain step always needs approval", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity medium
  step revoke = revoke_active_sessions(target: event.user_id)
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::ApprovalCoverage);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message ==
        "step `revoke` (contain) has no approval, but policy `default` requires approval by `ir_lead` for contain "
        "steps at severity medium");
  CHECK(found[0]->help == std::vector<std::string>{"write `approve ir_lead within 1h`"});
}

TEST_CASE("approval-coverage: effects outside the level and low severity need nothing", "[rules]") {
  auto notify = compile_yaml(yaml_step("critical",
                                       "      - action: notify_ciso_and_legal\n"
                                       "        channels: [slack]\n"));
  INFO(notify.dump());
  CHECK(notify.of(Rule::ApprovalCoverage).empty());
  auto low = compile_yaml(yaml_step("low",
                                    "      - action: revoke_active_sessions\n"
                                    "        target: \"{{event.user_id}}\"\n"));
  INFO(low.dump());
  CHECK(low.of(Rule::ApprovalCoverage).empty());
  CHECK_FALSE(low.file.has_errors());
}

TEST_CASE("approval-coverage: more roles than required pass", "[rules]") {
  auto c = compile_yaml(yaml_step("high",
                                  "      - action: trigger_full_disk_imaging\n"
                                  "        target: \"{{event.host_id}}\"\n"
                                  "        requires_approval: [ciso, legal]\n"
                                  "        approval_timeout_minutes: 30\n"));
  INFO(c.dump());
  CHECK(c.of(Rule::ApprovalCoverage).empty());
  CHECK_FALSE(c.file.has_errors());
}

TEST_CASE("approval-coverage: a misspelt role is reported once", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity critical
  step image = trigger_full_disk_imaging(target: event.host_id) {
    approve cisco, legal within 20m
  }
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::ApprovalCoverage);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message == "unknown approver role `cisco`");
  CHECK(found[0]->help == std::vector<std::string>{"did you mean `ciso`?"});
}
