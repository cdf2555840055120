// text, json and JUnit output; hostile drill text is escaped.
#include "exercise/output.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "exercise_test_support.h"

namespace writ::exercise {
namespace {

using testing::Drill;
using testing::kApproveAll;

ExerciseReport report_of(Drill& d, std::string name) {
  ExerciseReport r{"drill.yaml", std::move(name), {}, d.run()};
  r.result = d.result;
  return r;
}

TEST_CASE("text: one line per expectation with the measured value, then the summary", "[exercise][output]") {
  Drill d(std::string(kApproveAll) +
          "faults:\n  - {action: isolate_host, latency: 9m}\nexpect:\n  status: completed\n  contained_within: 5m\n");
  std::ostringstream out;
  print_text(out, {report_of(d, "drill")});
  CHECK(out.str() ==
        "exercise \"drill\" (drill.yaml): 1 run, 14m simulated\n"
        "  PASS status: completed \u2014 measured completed\n"
        "  FAIL contained_within: 5m \u2014 measured 9m\n"
        "1 exercise: 0 passed, 1 failed (1 of 2 expectations failed)\n");
}

TEST_CASE("json: the documented keys", "[exercise][output]") {
  Drill d(std::string(kApproveAll) + "expect:\n  status: completed\n");
  const auto j = to_json({report_of(d, "drill")});
  CHECK(j["version"] == 1);
  const auto& x = j["exercises"][0];
  CHECK(x["passed"] == true);
  CHECK(x["simulated_ms"] == 5 * 60 * 1000);
  CHECK(x["runs"][0]["run_id"] == "drill-001");
  CHECK(x["runs"][0]["status"] == "completed");
  CHECK(x["runs"][0]["contained_ms"] == 0);
  CHECK(x["expectations"][0]["message"] == "status: completed \u2014 measured completed");
  CHECK(j["summary"]["expectations_failed"] == 0);
}

TEST_CASE("junit: one testcase per expectation, failures carry the message, text is escaped", "[exercise][output]") {
  Drill d(std::string(kApproveAll) + "expect:\n  status: failed\n  steps: {isolate: executed}\n");
  std::ostringstream out;
  print_junit(out, {report_of(d, "<drill> & \"quotes\"\x01")});
  const auto xml = out.str();
  CHECK_THAT(xml, Catch::Contains("<testsuites name=\"writ test\" tests=\"2\" failures=\"1\" errors=\"0\">"));
  CHECK_THAT(xml, Catch::Contains("name=\"&lt;drill&gt; &amp; &quot;quotes&quot;\xEF\xBF\xBD\""));
  CHECK_THAT(xml,
             Catch::Contains("<failure type=\"expectation\" message=\"status: failed \u2014 measured completed\">"));
  CHECK_THAT(xml, Catch::Contains("<testcase classname=\"drill.yaml\" name=\"steps.isolate\">"));
}

TEST_CASE("html: the timeline shows detection, approvals, effects, faults and deadlines, text is escaped",
          "[exercise][output]") {
  Drill d(std::string(kApproveAll) + "faults:\n  - {action: isolate_host, fail: 1}\nexpect:\n  status: completed\n");
  std::ostringstream out;
  write_html(out, {report_of(d, "<script>alert(1)</script>")});
  const auto html = out.str();
  CHECK_THAT(html, Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, !Catch::Contains("<script>"));
  for (const char* kind : {"detection", "approval", "effect", "fault", "deadline", "evidence"}) {
    CHECK_THAT(html, Catch::Contains(std::string("<tr class=\"") + kind + "\">"));
  }
  const auto rows = timeline(d.result);
  REQUIRE(!rows.empty());
  CHECK(rows.front().kind == "detection");
  CHECK(std::is_sorted(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.at < b.at; }));
}

}  // namespace
}  // namespace writ::exercise
