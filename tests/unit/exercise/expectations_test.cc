// Each expectation kind, passing and failing, with the measured value in the message; and
// expectations over several overlapping incidents.
#include "exercise/expectations.h"

#include <catch2/catch.hpp>

#include "exercise_test_support.h"

namespace writ::exercise {
namespace {

using testing::Drill;
using testing::kApproveAll;
using testing::message_of;

TEST_CASE("every expectation kind is in the table, in the order results come", "[exercise][expect]") {
  std::vector<std::string> keys;
  for (const auto& k : expectation_kinds()) keys.emplace_back(k.key);
  CHECK(keys ==
        std::vector<std::string>{"status", "steps", "contained_within", "deadlines", "evidence_verified", "rollbacks"});
}

TEST_CASE("status passes and fails with the measured status", "[exercise][expect]") {
  Drill ok(std::string(kApproveAll) + "expect:\n  status: completed\n");
  CHECK(message_of(ok.run(), "status") == "PASS status: completed \u2014 measured completed");
  Drill bad(std::string(kApproveAll) + "expect:\n  status: rolled_back\n");
  CHECK(message_of(bad.run(), "status") == "FAIL status: rolled_back \u2014 measured completed");
}

TEST_CASE("steps: per-step status, not_run for a step never reached", "[exercise][expect]") {
  Drill d(
      "approvals:\n  revoke: {after: 1m, approved: false}\nexpect:\n  steps: {isolate: executed, revoke: executed, "
      "notify: not_run}\n");
  const auto results = d.run();
  CHECK(message_of(results, "steps.isolate") == "PASS steps.isolate: executed \u2014 measured executed");
  CHECK(message_of(results, "steps.revoke") == "FAIL steps.revoke: executed \u2014 measured refused");
  CHECK(message_of(results, "steps.notify") == "PASS steps.notify: not_run \u2014 measured not_run");
}

TEST_CASE("contained_within: the first executed contain effect from detection", "[exercise][expect]") {
  Drill fast(std::string(kApproveAll) +
             "faults:\n  - {action: isolate_host, latency: 90s}\nexpect:\n  contained_within: 2m\n");
  CHECK(message_of(fast.run(), "contained_within") == "PASS contained_within: 2m \u2014 measured 1m 30s");
  Drill never(std::string(kApproveAll) +
              "faults:\n  - {action: isolate_host, permanent: true}\nexpect:\n  contained_within: 2m\n");
  CHECK(message_of(never.run(), "contained_within") ==
        "FAIL contained_within: 2m \u2014 measured never contained (drill-001)");
}

TEST_CASE("deadlines: met, and overdue when the drill's clock runs past due_at", "[exercise][expect]") {
  Drill met(std::string(kApproveAll) + "expect:\n  deadlines: {gdpr.authority: met}\n");
  CHECK(message_of(met.run(), "deadlines.gdpr.authority") == "PASS deadlines.gdpr.authority: met \u2014 measured met");
  // Both runs halt before notifying; the second, 73 hours after the first, keeps the drill's
  // clock running past the first one's due_at (72 h), so only the first is overdue.
  Drill late(
      "timeline:\n  - {at: 0s, event: events/critical.json}\n  - {at: 73h, event: events/critical.json}\n"
      "approvals:\n  revoke: {after: 1m, approved: false}\nexpect:\n  deadlines: {gdpr.authority: pending}\n");
  const auto results = late.run();
  CHECK(message_of(results, "deadlines.gdpr.authority") ==
        "FAIL deadlines.gdpr.authority: pending \u2014 measured overdue (drill-001), pending (drill-002)");
}

TEST_CASE("evidence_verified passes and fails with what was preserved", "[exercise][expect]") {
  Drill ok(std::string(kApproveAll) + "expect:\n  evidence_verified: true\n");
  CHECK_THAT(message_of(ok.run(), "evidence_verified"),
             Catch::StartsWith("PASS evidence_verified: true \u2014 measured true (1 of 1"));
  Drill wrong(std::string(kApproveAll) + "expect:\n  evidence_verified: false\n");
  CHECK_THAT(message_of(wrong.run(), "evidence_verified"),
             Catch::StartsWith("FAIL evidence_verified: false \u2014 measured true"));
}

TEST_CASE("rollbacks: compensated, failed or none", "[exercise][expect]") {
  Drill d(
      "approvals:\n  revoke: {after: 1m, approved: false, rollback: true}\nexpect:\n  rollbacks: {isolate: "
      "compensated, notify: none}\n");
  const auto results = d.run();
  CHECK(message_of(results, "rollbacks.isolate") == "PASS rollbacks.isolate: compensated \u2014 measured compensated");
  CHECK(message_of(results, "rollbacks.notify") == "PASS rollbacks.notify: none \u2014 measured none");
  Drill kept("approvals:\n  revoke: {after: 1m, approved: false}\nexpect:\n  rollbacks: {isolate: compensated}\n");
  CHECK(message_of(kept.run(), "rollbacks.isolate") == "FAIL rollbacks.isolate: compensated \u2014 measured none");
}

TEST_CASE("overlapping incidents interleave on one clock, expectations hold for every run",
          "[exercise][expect][clock]") {
  // The second incident arrives while the first waits 5 minutes for its approver.
  Drill d(std::string(kApproveAll) +
          "timeline:\n  - {at: 0s, event: events/critical.json}\n  - {at: 2m, event: events/critical.json}\n"
          "faults:\n  - {action: isolate_host, latency: 1m}\nexpect:\n  status: completed\n  contained_within: 1m\n");
  const auto results = d.run();
  CHECK(message_of(results, "status") == "PASS status: completed \u2014 measured completed");
  CHECK(message_of(results, "contained_within") == "PASS contained_within: 1m \u2014 measured 1m (drill-001)");
  REQUIRE(d.result.runs.size() == 2);
  // drill-002 isolated at T+3m, before drill-001's approval came at T+6m: interleaved.
  const auto& second = d.result.runs[1].log.steps.at(0).finished_at;
  const auto& first_approval = d.result.runs[0].log.steps.at(1).finished_at;
  CHECK(second == "2026-11-27T08:03:00.000Z");
  CHECK(first_approval == "2026-11-27T08:06:00.000Z");
  CHECK(d.result.end - d.result.start == std::chrono::minutes(8));
}

TEST_CASE("a drill simulating 72 hours runs to its end (wall time: bench/exercise_bench)", "[exercise][clock]") {
  Drill d(std::string(kApproveAll) +
          "timeline:\n  - {at: 0s, event: events/critical.json}\n  - {at: 24h, event: events/critical.json}\n"
          "  - {at: 48h, event: events/critical.json}\n  - {at: 72h, event: events/critical.json}\nexpect:\n  status: "
          "completed\n");
  CHECK(message_of(d.run(), "status") == "PASS status: completed \u2014 measured completed");
  CHECK(d.result.end - d.result.start >= std::chrono::hours(72));
  CHECK(d.result.runs.size() == 4);
}

}  // namespace
}  // namespace writ::exercise
