// Worst-case arrival (compiler/rules/worst_case.cc) with issue 18's constructs: a parallel
// block counts its longest branch, a task its `within`, and a for-each over a list that may
// be empty meets no obligation on its own (DESIGN §17).
#include <catch2/catch.hpp>

#include "compiler/rules/worst_case.h"
#include "tests/unit/compiler/rules/rules_test_support.h"

using namespace writ;
using namespace writ::rules_testing;

namespace {

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 3600;

// Two imaging branches (approvals of `a` and `b` minutes, 30m run time each), then a notice.
std::string branches(int a, int b, bool parallel) {
  std::string image = "    step image = trigger_forensic_imaging(target: event.host_id) { approve ciso within " +
                      std::to_string(a) + "m; timeout 30m }\n";
  std::string dump = "    step dump = collect_memory(target: event.host_id) { approve ciso within " +
                     std::to_string(b) + "m; timeout 30m }\n";
  std::string body = parallel ? "  parallel {\n" + image + dump + "  }\n" : image + dump;
  return "runbook r {\n  title \"t\"\n  severity high\n" + body +
         "  step notify = notify_regulatory_contact(channels: [secure_portal])\n}\n";
}

const ir::Runbook& only_runbook(const Compiled& c) {
  INFO(c.dump());
  REQUIRE(c.file.runbooks.size() == 1);
  return c.file.runbooks.front();
}

}  // namespace

TEST_CASE("worst case: a parallel block counts its longest branch, not the sum", "[rules][worst-case]") {
  auto parallel = compile_dsl(branches(600, 900, true));
  const auto& rb = only_runbook(parallel);
  // image: 10h approval + 30m run; dump: 15h approval + 30m run. The notice starts after the
  // longer branch: 15h30m. In sequence it would be 10h30m + 15h30m = 26h.
  CHECK(rules::worst_case_arrival(rb, 2).seconds == 15 * kHour + 30 * kMinute);
  auto sequential = compile_dsl(branches(600, 900, false));
  CHECK(rules::worst_case_arrival(only_runbook(sequential), 2).seconds == 26 * kHour);

  // The path names the longest branch only.
  auto path = rules::worst_case_arrival(rb, 2).path;
  REQUIRE(path.size() == 2);
  CHECK(rb.steps[path[0].step].id == "dump");
  CHECK(path[0].approval);
  CHECK(path[1].seconds == 30 * kMinute);
  CHECK(rules::worst_case_arrival(rb, 2).approval_on_path);
}

TEST_CASE("worst case: a step starts with its parallel siblings", "[rules][worst-case]") {
  auto c = compile_dsl(branches(600, 900, true));
  const auto& rb = only_runbook(c);
  // `dump` waits only for its own approval, not for `image`.
  CHECK(rules::worst_case_arrival(rb, 1).seconds == 15 * kHour);
  CHECK(rules::worst_case_arrival(rb, 0).seconds == 10 * kHour);
}

TEST_CASE("worst case: a task counts its `within`", "[rules][worst-case]") {
  auto c = compile_dsl(
      "runbook r {\n  title \"t\"\n  severity low\n"
      "  step call = task(instructions: \"call\") {\n    assignee ir_lead\n    within 5h\n  }\n"
      "  step notify = notify_regulatory_contact(channels: [secure_portal])\n}\n");
  const auto& rb = only_runbook(c);
  CHECK(rules::run_seconds(rb.steps[0]) == 5 * kHour);
  CHECK(rules::worst_case_arrival(rb, 1).seconds == 5 * kHour);
}

TEST_CASE("worst case: a for-each over an event list is not guaranteed; over a literal list it is",
          "[rules][worst-case]") {
  auto c = compile_dsl(
      "runbook r {\n  title \"t\"\n  severity low\n  event { users: list<user> }\n"
      "  step a = open_ticket(summary: u) for u in event.users\n"
      "  step b = open_ticket(summary: u) for u in [\"x\", \"y\"]\n"
      "  step c = open_ticket(summary: \"c\") { when len(event.users) > 0 }\n}\n");
  const auto& rb = only_runbook(c);
  CHECK(rules::may_be_empty(rb.steps[0]));
  CHECK_FALSE(rules::guaranteed(rb.steps[0]));
  CHECK(rules::run_condition(rb.steps[0]) == "`event.users` is not empty");
  CHECK_FALSE(rules::may_be_empty(rb.steps[1]));
  CHECK(rules::guaranteed(rb.steps[1]));
  CHECK(rules::run_condition(rb.steps[2]) == "`len(event.users) > 0`");
}

TEST_CASE("approval coverage and rollback hold for a for-each step as for any step", "[rules]") {
  auto c = compile_dsl(
      "runbook r {\n  title \"t\"\n  severity high\n  event { hosts: list<host> }\n"
      "  step iso = isolate_host(target: h) for h in event.hosts\n}\n");
  INFO(c.dump());
  CHECK(c.of(Rule::ApprovalCoverage).size() == 1);
  CHECK(c.of(Rule::RollbackCompleteness).size() == 1);
  auto fixed = compile_dsl(
      "runbook r {\n  title \"t\"\n  severity high\n  event { hosts: list<host> }\n"
      "  step iso = isolate_host(target: h) for h in event.hosts {\n    rollback restore_host(target: h)\n"
      "    preserve \"/var/forensics/{{ h }}/disk.raw\"\n  }\n}\n");
  INFO(fixed.dump());
  CHECK_FALSE(fixed.file.has_errors());
  CHECK(fixed.of(Rule::EvidencePath).empty());
  // The loop variable in a path is an interpolated part: a relative path is still caught.
  auto relative = compile_dsl(
      "runbook r {\n  title \"t\"\n  severity low\n  event { hosts: list<host> }\n"
      "  step img = trigger_forensic_imaging(target: h) for h in event.hosts {\n"
      "    preserve \"forensics/{{ h }}/disk.raw\"\n  }\n}\n");
  INFO(relative.dump());
  CHECK(relative.of(Rule::EvidencePath).size() == 1);
}

TEST_CASE("regulatory deadline: a late parallel block names its longest branch", "[rules][worst-case]") {
  auto c = compile_dsl(
      "runbook r {\n  title \"t\"\n  severity high\n  comply NIS2.early_warning\n  event { host_id: host }\n"
      "  parallel {\n"
      "    step image = trigger_forensic_imaging(target: event.host_id) { approve ciso within 20h; timeout 1h }\n"
      "    step dump = collect_memory(target: event.host_id) { approve ciso within 23h; timeout 2h }\n"
      "  }\n"
      "  step warn = notify_regulatory_contact(channels: [secure_portal]) {\n"
      "    deadline 24h\n    satisfies nis2.early_warning\n  }\n}\n");
  INFO(c.dump());
  auto late = c.of(Rule::RegulatoryDeadline);
  REQUIRE(late.size() == 1);
  CHECK(late[0]->message.starts_with("`dump` approval up to 23h 0m, steps before it up to 2h 0m → step `warn` reached at "
                                     "25h 0m > 24h"));
  REQUIRE(late[0]->notes.size() == 2);
  CHECK(late[0]->notes[0].message == "+23h 0m: `dump` waits up to this long for approval (the longest branch of its "
                                     "parallel block)");
}
