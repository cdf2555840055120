// The exercise loader: every key, and bad input as file:line:col diagnostics with did-you-mean.
#include "exercise/loader.h"

#include <catch2/catch.hpp>

#include "exercise_test_support.h"

namespace writ::exercise {
namespace {

using testing::Drill;
using testing::load_errors;

TEST_CASE("every key of the exercise form loads", "[exercise][loader]") {
  Drill d(R"(timeline:
  - {at: 0s, event: events/critical.json}
  - {at: 90m, event: events/critical.json}
approvals:
  revoke: {after: 20m, approved: false, reason: "legal hold", rollback: true}
  notify: {after: never}
  "*": {after: 5m, approved: true, approvers: [{approver: a, role: ciso}, {approver: b, role: legal}]}
  isolate: {after: 1m, malformed: true}
faults:
  - {action: isolate_host, fail: 2, latency: 3m}
  - {action: restore_host, permanent: true}
  - {action: notify_regulatory_contact, malformed: true}
  - {artifact: /var/forensics/a, missing: true}
  - {artifact: /var/forensics/b, changing: true}
expect:
  status: halted_by_approval
  steps: {isolate: executed, revoke: refused}
  contained_within: 15m
  deadlines: {gdpr.authority: met}
  evidence_verified: true
  rollbacks: {isolate: compensated}
)");
  DiagnosticSink sink;
  const auto x = d.load(sink);
  REQUIRE(sink.diagnostics().empty());
  REQUIRE(x);
  CHECK(x->name == "test drill");
  CHECK(x->runbooks == (d.dir.path() / "runbooks").string());
  REQUIRE(x->incidents.size() == 2);
  CHECK(runtime::format_rfc3339(x->incidents[1].at) == "2026-11-27T09:30:00.000Z");
  // `at` owns detection: the event's detected_at is set to its delivery.
  CHECK(x->incidents[1].event.raw["detected_at"] == "2026-11-27T09:30:00.000Z");
  CHECK(x->approvals.at("revoke").after == std::chrono::minutes(20));
  CHECK(x->approvals.at("revoke").rollback);
  CHECK_FALSE(x->approvals.at("notify").after);
  CHECK(x->approvals.at("*").approvers.size() == 2);
  CHECK(x->approvals.at("isolate").malformed);
  REQUIRE(x->faults.size() == 5);
  CHECK(x->faults[0].fail == 2);
  CHECK(x->faults[0].latency == std::chrono::minutes(3));
  CHECK(x->faults[1].permanent);
  CHECK(x->faults[2].malformed);
  CHECK(x->faults[3].missing);
  CHECK(x->faults[4].changing);
  CHECK(x->expect.status->value == "halted_by_approval");
  CHECK(x->expect.steps.size() == 2);
  CHECK(x->expect.contained_within->value == std::chrono::minutes(15));
  CHECK(x->expect.deadlines.at(0).key == "gdpr.authority");
  CHECK(x->expect.evidence_verified->value);
  CHECK(x->expect.rollbacks.at(0).value == "compensated");
}

TEST_CASE("an unknown key is an error at its position with a did-you-mean", "[exercise][loader]") {
  const auto errors = load_errors("timelime: []\nexpect: {status: completed}\n");
  CHECK_THAT(errors, Catch::Contains("drill.yaml:4:1: error[unknown-key]: unknown key `timelime` in an exercise"));
  CHECK_THAT(errors, Catch::Contains("did you mean `timeline`?"));
  CHECK_THAT(errors, !Catch::Contains("the exercise has no `timeline`"));  // one typo, one diagnostic
  CHECK_THAT(load_errors("expect: {stauts: completed}\n"), Catch::Contains("did you mean `status`?"));
  CHECK_THAT(load_errors("faults:\n  - {acton: isolate_host, fail: 1}\nexpect: {status: completed}\n"),
             Catch::Contains("drill.yaml:5:6: error[unknown-key]: unknown key `acton` in a fault"));
}

TEST_CASE("bad values are errors naming what is expected", "[exercise][loader]") {
  CHECK_THAT(load_errors("expect: {status: complete}\n"),
             Catch::Contains("drill.yaml:4:18: error[syntax]: run status `complete` is not one of") &&
                 Catch::Contains("did you mean `completed`?"));
  CHECK_THAT(load_errors("expect: {contained_within: 15 minutes}\n"),
             Catch::Contains("`contained_within` must be a duration such as"));
  CHECK_THAT(load_errors("expect: {steps: {isolate: done}}\n"), Catch::Contains("step status `done` is not one of"));
  CHECK_THAT(load_errors("expect: {deadlines: {gdpr.authority: late}}\n"), Catch::Contains("deadline status `late`"));
  CHECK_THAT(load_errors("expect: {evidence_verified: yes}\n"),
             Catch::Contains("`evidence_verified` must be true or false"));
  CHECK_THAT(load_errors("expect: {}\n"), Catch::Contains("`expect` names no expectation"));
  CHECK_THAT(load_errors("faults:\n  - {action: isolate_host, fail: -1}\nexpect: {status: completed}\n"),
             Catch::Contains("`fail` must be a whole number from 0 to 1000"));
  CHECK_THAT(load_errors("faults:\n  - {action: isolate_host}\nexpect: {status: completed}\n"),
             Catch::Contains("needs fail, permanent, malformed or latency"));
  CHECK_THAT(load_errors("faults:\n  - {artifact: /x, missing: true, changing: true}\nexpect: {status: completed}\n"),
             Catch::Contains("needs one of `missing: true` or `changing: true`"));
  CHECK_THAT(load_errors("approvals:\n  revoke: {approved: true}\nexpect: {status: completed}\n"),
             Catch::Contains("approval `revoke` has no `after`"));
  CHECK_THAT(load_errors("approvals:\n  revoke: {after: never, approved: true}\nexpect: {status: completed}\n"),
             Catch::Contains("`after: never` (no answer) takes no other key"));
  CHECK_THAT(
      load_errors("approvals:\n  revoke: {after: 1m, approved: true, rollback: true}\nexpect: {status: completed}\n"),
      Catch::Contains("`rollback: true` goes with a refusal"));
  CHECK_THAT(load_errors("approvals:\n  revoke: {after: 1m, approved: true, approvers: [{approver: a}]}\nexpect: "
                         "{status: completed}\n"),
             Catch::Contains("an approver needs both `approver` and `role`"));
}

TEST_CASE("the clock, the timeline and its files", "[exercise][loader]") {
  Drill bad_clock("expect: {status: completed}\n");
  bad_clock.text.replace(bad_clock.text.find("2026-11-27T08:00:00Z"), 20, "yesterday");
  DiagnosticSink sink;
  bad_clock.load(sink);
  REQUIRE(sink.diagnostics().size() == 1);
  CHECK_THAT(format_diagnostic(sink.diagnostics()[0]),
             Catch::Contains("drill.yaml:3:8: error[syntax]: `clock` must be an RFC 3339 time"));
  CHECK_THAT(load_errors("timeline:\n  - {at: 0s, event: events/nope.json}\nexpect: {status: completed}\n"),
             Catch::Contains("drill.yaml:5:21: error[syntax]:") && Catch::Contains("nope.json"));
  CHECK_THAT(load_errors("timeline:\n  - {at: 0s}\nexpect: {status: completed}\n"),
             Catch::Contains("needs both `at` and `event`"));
  CHECK_THAT(load_errors("timeline:\n  - {at: 0s, replay: x.jsonl}\nexpect: {status: completed}\n"),
             Catch::Contains("`replay` stands alone"));
  CHECK_THAT(load_errors("timeline: []\nexpect: {status: completed}\n"),
             Catch::Contains("`timeline` must be a non-empty list"));
  CHECK_THAT(load_errors("expect: {status: completed}\nexpect: {status: failed}\n"),
             Catch::Contains("duplicate key `expect`"));
  CHECK_THAT(load_errors("expect: [\n"), Catch::Contains("YAML syntax error"));
  const std::string missing = load_errors("");
  CHECK_THAT(missing, Catch::Contains("the exercise has no `expect`"));
}

TEST_CASE("a replayed recording: one event per line at its detected_at, errors at the recording's line",
          "[exercise][loader]") {
  Drill d("timeline:\n  - {replay: siem.jsonl}\nexpect: {status: completed}\n");
  d.dir.file("siem.jsonl",
             "{\"id\":\"a\",\"severity\":\"critical\",\"detected_at\":\"2026-11-27T09:00:00Z\"}\n\n"
             "{\"id\":\"b\",\"severity\":\"critical\",\"detected_at\":\"2026-11-27T08:30:00Z\"}\n");
  DiagnosticSink sink;
  const auto x = d.load(sink);
  REQUIRE(x);
  REQUIRE(x->incidents.size() == 2);
  CHECK(x->incidents[0].event.id() == "b");  // ordered by time
  CHECK(x->incidents[0].origin == "siem.jsonl:3");

  d.dir.file("siem.jsonl", "{\"id\":\"b\",\"severity\":\"critical\"}\n  nope\n[1]\n");
  DiagnosticSink bad;
  CHECK_FALSE(d.load(bad));
  std::string out;
  for (const auto& diag : bad.diagnostics()) out += format_diagnostic(diag) + "\n";
  CHECK_THAT(out, Catch::Contains("siem.jsonl:1:1: error[syntax]: a replayed event needs `detected_at`"));
  CHECK_THAT(out, Catch::Contains("siem.jsonl:2:4: error[syntax]: not an event: invalid JSON"));
  CHECK_THAT(out, Catch::Contains("siem.jsonl:3:1: error[syntax]: not an event:"));

  d.dir.file("siem.jsonl", "{\"id\":\"a\",\"severity\":\"critical\",\"detected_at\":\"2026-11-27T07:00:00Z\"}\n");
  DiagnosticSink early;
  CHECK_FALSE(d.load(early));
  REQUIRE(early.diagnostics().size() == 1);
  CHECK_THAT(
      format_diagnostic(early.diagnostics()[0]),
      Catch::Contains(
          "siem.jsonl:1:1: error[syntax]: detected_at 2026-11-27T07:00:00.000Z lies before the exercise's clock"));
}

TEST_CASE("the timeline is bounded", "[exercise][loader][limits]") {
  Drill d(
      "timeline:\n  - {at: 0s, event: events/critical.json}\n  - {at: 1s, event: events/critical.json}\n  - {at: 2s, "
      "event: events/critical.json}\nexpect: {status: completed}\n");
  DiagnosticSink sink;
  LoadOptions options;
  options.max_incidents = 2;
  auto source = std::make_shared<const SourceFile>((d.dir.path() / "drill.yaml").string(), d.text);
  CHECK_FALSE(load_exercise(source, sink, options));
  REQUIRE(sink.diagnostics().size() == 1);
  CHECK_THAT(sink.diagnostics()[0].message, Catch::Contains("more than 2 events"));
}

TEST_CASE("durations", "[exercise][loader]") {
  CHECK(parse_duration("0s") == Millis(0));
  CHECK(parse_duration("15m") == std::chrono::minutes(15));
  CHECK(parse_duration("72h") == std::chrono::hours(72));
  CHECK(parse_duration("2d") == std::chrono::hours(48));
  CHECK_FALSE(parse_duration("15"));
  CHECK_FALSE(parse_duration("m"));
  CHECK_FALSE(parse_duration("1w"));
  CHECK_FALSE(parse_duration("99999999999999h"));
  CHECK(show_duration(std::chrono::seconds(90)) == "1m 30s");
  CHECK(show_duration(std::chrono::hours(72)) == "72h");
  CHECK(show_duration(Millis(250)) == "250ms");
  CHECK(show_duration(Millis(0)) == "0s");
}

}  // namespace
}  // namespace writ::exercise
