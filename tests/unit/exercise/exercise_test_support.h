// Helpers for the exercise tests: a drill directory holding a small DSL runbook, an event and
// the exercise file; loading it (failing the test on any diagnostic) and running it through
// the real engine on the virtual clock.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "compiler/emit/emit.h"
#include "exercise/expectations.h"
#include "exercise/loader.h"
#include "exercise/simulation.h"
#include "unit/runtime/runtime_test_support.h"

namespace writ::exercise::testing {

// Containment with retries and evidence, an approval by ciso and legal, and a notification
// that meets GDPR's authority notice.
inline const char* kDrillRunbook = R"writ(
runbook drill {
  title    "Drill"
  severity critical
  comply   GDPR
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
    retries  3
    timeout  10m
    preserve "/var/forensics/host_snapshot.mem"
  }
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 15m
  }
  step notify = notify_regulatory_contact(channels: [secure_portal]) {
    deadline  48h
    satisfies gdpr.authority
  }
}
)writ";

inline const char* kApproveAll =
    "approvals:\n  \"*\": {after: 5m, approved: true, approvers: [{approver: a, role: ciso}, {approver: b, role: "
    "legal}]}\n";

struct Drill {
  explicit Drill(const std::string& body, const std::string& runbook = kDrillRunbook) {
    dir.file("runbooks/drill.writ", runbook);
    dir.file("events/critical.json", runtime::testing::kCriticalEvent);
    text = "exercise: \"test drill\"\nrunbooks: runbooks\nclock: \"2026-11-27T08:00:00Z\"\n" + body;
    if (text.find("timeline:") == std::string::npos) text += "timeline:\n  - {at: 0s, event: events/critical.json}\n";
    dir.file("drill.yaml", text);
  }

  // Loads the exercise; `sink` holds the diagnostics.
  std::optional<Exercise> load(DiagnosticSink& sink) const {
    auto source = std::make_shared<const SourceFile>((dir.path() / "drill.yaml").string(), text);
    return load_exercise(source, sink);
  }

  // Runs it (failing the test on any diagnostic) and measures the expectations.
  std::vector<ExpectationResult> run() {
    DiagnosticSink sink;
    auto loaded = load(sink);
    std::string messages;
    for (const auto& d : sink.diagnostics()) messages += format_diagnostic(d) + "\n";
    INFO(messages);
    REQUIRE(loaded);
    exercise = std::move(*loaded);
    auto set = runtime::RunbookSet::compile((dir.path() / "runbooks").string(), runtime::testing::stdlib_catalog());
    REQUIRE(set->errors().empty());
    result = simulate(*exercise, set);
    return evaluate(exercise->expect, result);
  }

  const RunOutcome& only_run() const {
    REQUIRE(result.runs.size() == 1);
    return result.runs.front();
  }

  runtime::testing::TempDir dir;
  std::string text;
  std::optional<Exercise> exercise;
  SimulationResult result;
};

// The message of the expectation named `name` (fails the test when there is none).
inline std::string message_of(const std::vector<ExpectationResult>& results, const std::string& name) {
  for (const auto& r : results) {
    if (r.name == name) return (r.passed ? "PASS " : "FAIL ") + r.message();
  }
  FAIL("no expectation " << name);
  return {};
}

// Diagnostics of loading `text` as "line:col: message" lines.
inline std::string load_errors(const std::string& body) {
  Drill drill(body);
  DiagnosticSink sink;
  drill.load(sink);
  std::string out;
  for (const auto& d : sink.diagnostics()) out += format_diagnostic(d) + "\n";
  return out;
}

}  // namespace writ::exercise::testing
