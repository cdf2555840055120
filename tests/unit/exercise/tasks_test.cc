// Human tasks in a drill (`tasks:`): the assignee marks the task done after a delay on the
// virtual clock, or nobody does and the task's `within` runs out; a later step reads an earlier
// step's outputs, which the simulated connector gives as typed placeholders.
#include <catch2/catch.hpp>

#include "exercise_test_support.h"

namespace writ::exercise {
namespace {

using testing::Drill;
using testing::kApproveAll;
using testing::load_errors;
using testing::message_of;

const char* kTaskRunbook = R"writ(
runbook drill {
  title    "Drill with a task"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step call = task(instructions: "Call the bank's fraud line") {
    assignee ciso
    within   2h
  }
  step image = trigger_forensic_imaging(target: event.host_id) {
    approve ciso, legal
  }
  step ticket = open_ticket(summary: "image {{ steps.image.outputs.image_id }}; bank called: {{ steps.call.status }}")
}
)writ";

TEST_CASE("a task done after its delay lets the run continue; outputs flow to a later step", "[exercise][tasks]") {
  Drill d(std::string(kApproveAll) +
              "tasks:\n  call: {after: 30m, note: \"called\"}\n"
              "expect:\n  status: completed\n  steps: {call: executed, image: executed, ticket: executed}\n",
          kTaskRunbook);
  const auto results = d.run();
  CHECK(message_of(results, "status") == "PASS status: completed \u2014 measured completed");
  CHECK(message_of(results, "steps.ticket") == "PASS steps.ticket: executed \u2014 measured executed");
  CHECK(d.result.end - d.result.start >= std::chrono::minutes(35));  // the task's 30m, then the approval's 5m
}

TEST_CASE("a task nobody does fails when its time runs out", "[exercise][tasks]") {
  Drill d(std::string(kApproveAll) +
              "tasks:\n  call: {after: never}\nexpect:\n  status: completed\n  steps: {call: executed}\n",
          kTaskRunbook);
  const auto results = d.run();
  CHECK(message_of(results, "status") == "FAIL status: completed \u2014 measured failed");
  CHECK(message_of(results, "steps.call") == "FAIL steps.call: executed \u2014 measured failed");
  CHECK(d.result.end - d.result.start >= std::chrono::hours(2));
}

TEST_CASE("a task entry needs `after`, and its keys are checked", "[exercise][tasks][loader]") {
  CHECK_THAT(load_errors("tasks:\n  call: {note: x}\n"), Catch::Contains("task `call` has no `after`"));
  CHECK_THAT(load_errors("tasks:\n  call: {aftr: 5m}\n"), Catch::Contains("aftr") && Catch::Contains("after"));
}

}  // namespace
}  // namespace writ::exercise
