#include "runtime/router.h"

#include <catch2/catch.hpp>

#include "runtime_test_support.h"

using namespace writ;
using namespace writ::runtime;
using namespace writ::runtime::testing;
using Catch::Matchers::Contains;

namespace {

const char* kRunbooks = R"writ(
runbook ransomware {
  title "Ransomware"
  severity critical
  when event.impact == "ransomware"
  step ticket = open_ticket(summary: "ransomware")
}
runbook breach {
  title "Breach"
  severity critical
  step ticket = open_ticket(summary: "breach")
}
runbook phishing {
  title "Phishing"
  severity low
  step ticket = open_ticket(summary: "phishing")
}
)writ";

std::vector<const ir::Runbook*> pointers(const std::vector<ir::Runbook>& runbooks) {
  std::vector<const ir::Runbook*> out;
  for (const auto& rb : runbooks) out.push_back(&rb);
  return out;
}

Route route(const std::vector<ir::Runbook>& runbooks, const std::string& event_text) {
  auto event = parse_event(event_text, "event.json", 64);
  return route_event(pointers(runbooks), event, "run");
}

}  // namespace

TEST_CASE("routing picks by severity, a holding `when` before a catch-all", "[runtime][router]") {
  const auto runbooks = compile_all(kRunbooks);
  CHECK(route(runbooks, R"({"severity":"critical","impact":"ransomware"})").runbook->id == "ransomware");
  CHECK(route(runbooks, R"({"severity":"critical","impact":"exfiltration"})").runbook->id == "breach");
  CHECK(route(runbooks, R"({"severity":"low"})").runbook->id == "phishing");
}

TEST_CASE("no match and ambiguity are refused with a reason", "[runtime][router]") {
  const auto runbooks = compile_all(kRunbooks);
  auto r = route(runbooks, R"({"severity":"medium"})");
  CHECK_FALSE(r.runbook);
  CHECK(r.error == "no runbook for severity `medium` (runbooks exist for: critical, low)");
  const auto both = compile_all(R"writ(
runbook a {
  title "A"
  severity high
  step t = open_ticket(summary: "a")
}
runbook b {
  title "B"
  severity high
  step t = open_ticket(summary: "b")
}
runbook c {
  title "C"
  severity low
  when event.confidence > 0.5
  step t = open_ticket(summary: "c")
}
)writ");
  r = route(both, R"({"severity":"high"})");
  CHECK_FALSE(r.runbook);
  CHECK_THAT(r.error, Contains("2 runbooks match severity `high` equally: a, b"));
  r = route(both, R"({"severity":"low","confidence":0.1})");
  CHECK_FALSE(r.runbook);
  CHECK_THAT(r.error, Contains("whose `when` holds for this event (checked: c)"));
}

TEST_CASE("the same runbook in YAML and DSL is one candidate", "[runtime][router]") {
  auto runbooks = compile_all(kRunbooks);
  auto copy = compile_all(kRunbooks, "copy.writ");
  runbooks.insert(runbooks.end(), copy.begin(), copy.end());
  CHECK(route(runbooks, R"({"severity":"critical","impact":"exfiltration"})").runbook->id == "breach");
}

TEST_CASE("the event is typed against the chosen runbook", "[runtime][router]") {
  const auto runbooks = compile_all(kRunbooks);
  auto event = parse_event(R"({"severity":"critical","impact":"ransomware","host_id":"ws-1"})", "event.json", 64);
  auto r = route_event(pointers(runbooks), event, "run");
  REQUIRE(r.runbook);
  CHECK(event.fields.at("host_id") == expr::Value{std::string("ws-1")});
  auto bad = parse_event(R"({"severity":"critical","impact":7})", "event.json", 64);
  CHECK_THROWS_WITH(route_event(pointers(runbooks), bad, "run"), Contains("field `impact`: expected string, got integer"));
}

TEST_CASE("run ids are timestamped, random, and safe as directory names", "[runtime][router]") {
  const auto now = *parse_rfc3339("2026-11-27T08:00:00Z");
  const auto a = new_run_id(now);
  const auto b = new_run_id(now);
  CHECK(a.rfind("20261127T080000Z-", 0) == 0);
  CHECK(a.size() == 25);
  CHECK(a != b);
  CHECK(valid_run_id(a));
  for (const char* bad : {"", "../etc", "a/b", "-rf", "x y"}) CHECK_FALSE(valid_run_id(bad));
}
