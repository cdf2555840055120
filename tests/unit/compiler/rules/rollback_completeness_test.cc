#include <catch2/catch.hpp>

#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

TEST_CASE("rollback-completeness: the seed's reversible steps without rollback fail", "[rules]") {
  auto c = compile_fixture("tests/data/seed/seed_ransomware.yaml");
  INFO(c.dump());
  auto found = c.of(Rule::RollbackCompleteness);
  REQUIRE(found.size() == 2);
  CHECK(found[0]->step == "isolate_host");
  CHECK(found[0]->message ==
        "step `isolate_host` (contain) is reversible but declares no rollback; action `isolate_host` is undone by "
        "`restore_host`");
  CHECK(found[0]->help == std::vector<std::string>{"add `rollback: restore_host`"});
  CHECK(found[1]->step == "disable_compromised_credentials");
  CHECK(found[1]->help == std::vector<std::string>{"add `rollback: enable_credentials`"});
}

TEST_CASE("rollback-completeness: the declared inverse, inherited or bound alike, passes", "[rules]") {
  auto yaml = compile_yaml(R"(playbooks:
  critical:
    name: "T"
    steps:
      - action: isolate_host
        target: "{{event.host_id}}"
        rollback: restore_host
      - action: disable_compromised_credentials
        target: "{{ event.user_id }}"
        rollback: {action: enable_credentials, target: "{{event.user_id}}"}
)");
  INFO(yaml.dump());
  CHECK(yaml.of(Rule::RollbackCompleteness).empty());
  CHECK_FALSE(yaml.file.has_errors());
  auto dsl = compile_dsl(R"(runbook t {
  title "T"
  severity critical
  step isolate = isolate_network_segment(target: event.segment_id) {
    rollback restore_network_segment(target: event.segment_id)
  }
}
)");
  INFO(dsl.dump());
  CHECK(dsl.of(Rule::RollbackCompleteness).empty());
  CHECK_FALSE(dsl.file.has_errors());
}

TEST_CASE("rollback-completeness: a rollback that is not the inverse fails at the rollback", "[rules]") {
  auto c = compile_dsl(R"(runbook t {
  title "T"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback isolate_host
  }
}
)");
  INFO(c.dump());
  auto found = c.of(Rule::RollbackCompleteness);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message ==
        "rollback `isolate_host` does not undo `isolate_host`; its declared inverse is `restore_host`");
  CHECK(found[0]->help == std::vector<std::string>{"write `rollback restore_host`"});
  CHECK(c.text(*found[0]) == "isolate_host");
  CHECK(c.line(*found[0]) == 5);
}

TEST_CASE("rollback-completeness: a rollback bound to another target fails", "[rules]") {
  auto yaml = compile_yaml(R"(event:
  host_id: host
  backup_host: host
playbooks:
  critical:
    name: "T"
    steps:
      - action: isolate_host
        target: "{{event.host_id}}"
        rollback: {action: restore_host, target: "{{event.backup_host}}"}
)");
  INFO(yaml.dump());
  auto found = yaml.of(Rule::RollbackCompleteness);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message == "rollback binds `target` to `event.backup_host` but the step binds `event.host_id`");
  CHECK(yaml.text(*found[0]).find("backup_host") != std::string_view::npos);

  auto dsl = compile_dsl(R"(runbook t {
  title "T"
  severity critical
  event { user_id: user, user_account: user }
  step disable = disable_compromised_credentials(target: event.user_account) {
    rollback enable_credentials(target: event.user_id)
  }
}
)");
  INFO(dsl.dump());
  found = dsl.of(Rule::RollbackCompleteness);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->message == "rollback binds `target` to `event.user_id` but the step binds `event.user_account`");
  CHECK(dsl.text(*found[0]) == "target: event.user_id");
  CHECK(found[0]->help ==
        std::vector<std::string>{"bind `target: event.user_account` so the rollback undoes this step's effect"});
}

TEST_CASE("rollback-completeness: irreversible actions need no rollback", "[rules]") {
  auto c = compile_yaml(R"(playbooks:
  critical:
    name: "T"
    steps:
      - action: revoke_active_sessions
        target: "{{event.user_id}}"
        requires_approval: true
        approval_timeout_minutes: 15
      - action: trigger_forensic_imaging
        target: "{{event.host_id}}"
        requires_approval: true
        approval_timeout_minutes: 15
)");
  INFO(c.dump());
  CHECK(c.of(Rule::RollbackCompleteness).empty());
  CHECK(c.file.diagnostics.empty());
}
