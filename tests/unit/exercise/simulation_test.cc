// Each fault kind through the real engine on the virtual clock, with the measured value in
// the expectation's message.
#include "exercise/simulation.h"

#include <catch2/catch.hpp>

#include "exercise_test_support.h"

namespace writ::exercise {
namespace {

using testing::Drill;
using testing::kApproveAll;
using testing::message_of;

TEST_CASE("fail N: the first N attempts fail and the step's retries follow, with backoff on the virtual clock",
          "[exercise][faults]") {
  Drill d(
      std::string(kApproveAll) +
      "faults:\n  - {action: isolate_host, fail: 2}\nexpect:\n  steps: {isolate: executed}\n  contained_within: 1m\n");
  const auto results = d.run();
  CHECK(message_of(results, "steps.isolate") == "PASS steps.isolate: executed \u2014 measured executed");
  // Backoff 500 ms then 1 s, on the virtual clock.
  CHECK(message_of(results, "contained_within") == "PASS contained_within: 1m \u2014 measured 1s");
  CHECK(d.only_run().log.steps.at(0).attempts == 3);
  CHECK(d.result.faults.size() == 2);
}

TEST_CASE("fail N beyond the retries fails the step and halts the run", "[exercise][faults]") {
  Drill d(std::string(kApproveAll) +
          "faults:\n  - {action: isolate_host, fail: 5}\nexpect:\n  status: completed\n  steps: {isolate: executed}\n");
  const auto results = d.run();
  CHECK(message_of(results, "status") == "FAIL status: completed \u2014 measured failed");
  CHECK(message_of(results, "steps.isolate") == "FAIL steps.isolate: executed \u2014 measured failed");
  CHECK(d.only_run().log.steps.at(0).attempts == 4);
}

TEST_CASE("a permanent failure is not retried", "[exercise][faults]") {
  Drill d(std::string(kApproveAll) +
          "faults:\n  - {action: isolate_host, permanent: true}\nexpect:\n  steps: {isolate: failed}\n");
  const auto results = d.run();
  CHECK(message_of(results, "steps.isolate") == "PASS steps.isolate: failed \u2014 measured failed");
  CHECK(d.only_run().log.steps.at(0).attempts == 1);
  CHECK_THAT(*d.only_run().log.steps.at(0).error, Catch::Contains("HTTP 403"));
}

TEST_CASE("a malformed reply fails every attempt, retried", "[exercise][faults]") {
  Drill d(std::string(kApproveAll) +
          "faults:\n  - {action: isolate_host, malformed: true}\nexpect:\n  status: failed\n");
  const auto results = d.run();
  CHECK(message_of(results, "status") == "PASS status: failed \u2014 measured failed");
  CHECK(d.only_run().log.steps.at(0).attempts == 4);
  CHECK_THAT(*d.only_run().log.steps.at(0).error, Catch::Contains("malformed reply"));
}

TEST_CASE("latency advances the virtual clock and shows in contained_within", "[exercise][faults]") {
  Drill d(std::string(kApproveAll) +
          "faults:\n  - {action: isolate_host, latency: 3m}\nexpect:\n  contained_within: 2m\n");
  const auto results = d.run();
  CHECK(message_of(results, "contained_within") == "FAIL contained_within: 2m \u2014 measured 3m");
}

TEST_CASE("latency beyond the step timeout times the call out", "[exercise][faults]") {
  Drill d(std::string(kApproveAll) +
          "faults:\n  - {action: isolate_host, latency: 11m}\nexpect:\n  steps: {isolate: executed}\n");
  const auto results = d.run();
  CHECK(message_of(results, "steps.isolate") == "FAIL steps.isolate: executed \u2014 measured failed");
  CHECK_THAT(*d.only_run().log.steps.at(0).error, Catch::Contains("step timeout"));
  // The timed-out attempt used the whole 10 minutes; a retry after the 500 ms backoff found no time left.
  CHECK(d.result.end - d.result.start == std::chrono::minutes(10) + std::chrono::milliseconds(500));
}

TEST_CASE("an approval after a delay approves, its latency is on the virtual clock", "[exercise][approvals]") {
  Drill d(std::string(kApproveAll) + "expect:\n  status: completed\n  steps: {revoke: executed}\n");
  const auto results = d.run();
  CHECK(message_of(results, "status") == "PASS status: completed \u2014 measured completed");
  CHECK(d.only_run().log.steps.at(1).approval->latency_ms == 5 * 60 * 1000);
}

TEST_CASE("a refusal halts the run, executed containment stays", "[exercise][approvals]") {
  Drill d(
      "approvals:\n  revoke: {after: 2m, approved: false, reason: \"not now\"}\nexpect:\n  status: completed\n  steps: "
      "{isolate: executed, revoke: refused, notify: not_run}\n");
  const auto results = d.run();
  CHECK(message_of(results, "status") == "FAIL status: completed \u2014 measured halted_by_approval");
  CHECK(message_of(results, "steps.notify") == "PASS steps.notify: not_run \u2014 measured not_run");
}

TEST_CASE("a refusal with rollback compensates the executed steps", "[exercise][approvals]") {
  Drill d(
      "approvals:\n  revoke: {after: 2m, approved: false, rollback: true}\nexpect:\n  status: rolled_back\n  "
      "rollbacks: {isolate: compensated, revoke: compensated}\n");
  const auto results = d.run();
  CHECK(message_of(results, "status") == "PASS status: rolled_back \u2014 measured rolled_back");
  CHECK(message_of(results, "rollbacks.isolate") == "PASS rollbacks.isolate: compensated \u2014 measured compensated");
  CHECK(message_of(results, "rollbacks.revoke") == "FAIL rollbacks.revoke: compensated \u2014 measured none");
}

TEST_CASE("a failed rollback is measured as failed", "[exercise][approvals][faults]") {
  Drill d(
      "approvals:\n  revoke: {after: 2m, approved: false, rollback: true}\nfaults:\n  - {action: restore_host, "
      "permanent: true}\n"
      "expect:\n  status: rolled_back\n  rollbacks: {isolate: compensated}\n");
  const auto results = d.run();
  CHECK(message_of(results, "status") == "FAIL status: rolled_back \u2014 measured rollback_incomplete");
  CHECK(message_of(results, "rollbacks.isolate") == "FAIL rollbacks.isolate: compensated \u2014 measured failed");
}

TEST_CASE("an approver who never answers: the approval times out after the step's timeout", "[exercise][approvals]") {
  Drill d("approvals:\n  revoke: {after: never}\nexpect:\n  steps: {revoke: refused}\n");
  const auto results = d.run();
  CHECK(message_of(results, "steps.revoke") == "PASS steps.revoke: refused \u2014 measured refused");
  CHECK(d.only_run().log.steps.at(1).approval->latency_ms == 15 * 60 * 1000);
  CHECK(d.result.end - d.result.start == std::chrono::minutes(15));
}

TEST_CASE("an answer after the timeout is a timeout, a step nobody scripted is never answered",
          "[exercise][approvals]") {
  Drill late("approvals:\n  revoke: {after: 20m, approved: true}\nexpect:\n  steps: {revoke: refused}\n");
  CHECK(message_of(late.run(), "steps.revoke") == "PASS steps.revoke: refused \u2014 measured refused");
  CHECK_THAT(late.only_run().log.steps.at(1).error.value_or(""), Catch::Contains("the approver answers after 20m"));
  Drill none("expect:\n  steps: {revoke: refused}\n");
  CHECK(message_of(none.run(), "steps.revoke") == "PASS steps.revoke: refused \u2014 measured refused");
}

TEST_CASE("a malformed approval is refused (fail closed), approvers must cover the roles", "[exercise][approvals]") {
  Drill bad("approvals:\n  revoke: {after: 1m, malformed: true}\nexpect:\n  steps: {revoke: refused}\n");
  CHECK(message_of(bad.run(), "steps.revoke") == "PASS steps.revoke: refused \u2014 measured refused");
  Drill partial(
      "approvals:\n  revoke: {after: 1m, approved: true, approvers: [{approver: a, role: ciso}]}\nexpect:\n  steps: "
      "{revoke: executed}\n");
  CHECK(message_of(partial.run(), "steps.revoke") == "FAIL steps.revoke: executed \u2014 measured refused");
}

TEST_CASE("a missing artifact fails the step, evidence_verified measures it", "[exercise][faults][evidence]") {
  Drill d(std::string(kApproveAll) +
          "faults:\n  - {artifact: /var/forensics/host_snapshot.mem, missing: true}\n"
          "expect:\n  steps: {isolate: failed}\n  evidence_verified: true\n");
  const auto results = d.run();
  CHECK(message_of(results, "steps.isolate") == "PASS steps.isolate: failed \u2014 measured failed");
  const auto evidence = message_of(results, "evidence_verified");
  CHECK_THAT(evidence,
             Catch::StartsWith("FAIL evidence_verified: true \u2014 measured false (0 of 1 artifacts preserved"));
  CHECK_THAT(evidence, Catch::Contains("/var/forensics/host_snapshot.mem"));
  REQUIRE(d.result.faults.size() == 1);
  CHECK(d.result.faults[0].run_id == "drill-001");
  CHECK(d.result.faults[0].step == "isolate");
  CHECK(d.result.faults[0].what == "missing from the host");
}

TEST_CASE("an artifact changing during the copy is refused by the real store as unstable",
          "[exercise][faults][evidence]") {
  Drill d(std::string(kApproveAll) +
          "faults:\n  - {artifact: /var/forensics/host_snapshot.mem, changing: true}\n"
          "expect:\n  evidence_verified: false\n");
  const auto results = d.run();
  const auto evidence = message_of(results, "evidence_verified");
  CHECK_THAT(evidence, Catch::StartsWith("PASS evidence_verified: false \u2014 measured false"));
  CHECK_THAT(evidence, Catch::Contains("changed while it was being copied"));
  REQUIRE(d.result.faults.size() == 1);
  CHECK(d.result.faults[0].run_id == "drill-001");
  CHECK(d.result.faults[0].what == "changed while it was being copied");
}

TEST_CASE("preserved evidence is verified in the real store", "[exercise][evidence]") {
  Drill d(std::string(kApproveAll) + "expect:\n  evidence_verified: true\n");
  CHECK(message_of(d.run(), "evidence_verified") ==
        "PASS evidence_verified: true \u2014 measured true (1 of 1 artifacts preserved; store intact: 1 records, 1 "
        "objects)");
}

}  // namespace
}  // namespace writ::exercise
