// Text, JSON and JUnit output of `writ test`; the HTML report is in report_html.cc.
#include "exercise/output.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/markup.h"

namespace writ::exercise {

namespace {

std::size_t failed(const ExerciseReport& r) {
  return static_cast<std::size_t>(
      std::count_if(r.expectations.begin(), r.expectations.end(), [](const auto& e) { return !e.passed; }));
}

std::string runs_phrase(const SimulationResult& r) {
  const auto ran = std::count_if(r.runs.begin(), r.runs.end(), [](const RunOutcome& run) { return run.ran(); });
  return fmt::format("{} run{}, {} simulated", ran, ran == 1 ? "" : "s",
                     show_duration(std::chrono::duration_cast<Millis>(r.end - r.start)));
}

nlohmann::json run_json(const RunOutcome& run) {
  const auto contained = time_to_contain(run);
  return {{"run_id", run.run_id},
          {"origin", run.incident->origin},
          {"event_id", run.incident->event.id()},
          {"detected_at", runtime::format_rfc3339(run.incident->at)},
          {"runbook", run.ran() ? nlohmann::json(run.log.runbook) : nlohmann::json(nullptr)},
          {"status", run.ran() ? nlohmann::json(run.log.status) : nlohmann::json(nullptr)},
          {"refused", run.ran() ? nlohmann::json(nullptr) : nlohmann::json(run.refused)},
          {"contained_ms", contained ? nlohmann::json(contained->count()) : nlohmann::json(nullptr)},
          {"deadlines", runtime::clocks_view(run.log.deadlines)}};
}

}  // namespace

bool ExerciseReport::passed() const { return failed(*this) == 0; }

void print_text(std::ostream& out, const std::vector<ExerciseReport>& reports) {
  std::size_t bad = 0, expectations = 0, bad_expectations = 0;
  for (const auto& r : reports) {
    out << fmt::format("exercise {} ({}): {}\n", nlohmann::json(r.name).dump(), r.file, runs_phrase(r.result));
    for (const auto& run : r.result.runs) {
      if (!run.ran())
        out << fmt::format("  note: {} ({}) did not run: {}\n", run.run_id, run.incident->origin, run.refused);
    }
    for (const auto& e : r.expectations) out << (e.passed ? "  PASS " : "  FAIL ") << e.message() << '\n';
    bad += r.passed() ? 0 : 1;
    expectations += r.expectations.size();
    bad_expectations += failed(r);
  }
  out << fmt::format("{} exercise{}: {} passed, {} failed ({} of {} expectations failed)\n", reports.size(),
                     reports.size() == 1 ? "" : "s", reports.size() - bad, bad, bad_expectations, expectations);
}

nlohmann::json to_json(const std::vector<ExerciseReport>& reports) {
  auto list = nlohmann::json::array();
  std::size_t bad = 0, expectations = 0, bad_expectations = 0;
  for (const auto& r : reports) {
    auto runs = nlohmann::json::array();
    for (const auto& run : r.result.runs) runs.push_back(run_json(run));
    auto faults = nlohmann::json::array();
    for (const auto& f : r.result.faults) {
      faults.push_back({{"at", runtime::format_rfc3339(f.at)},
                        {"run_id", f.run_id},
                        {"step", f.step},
                        {"subject", f.subject},
                        {"what", f.what}});
    }
    auto results = nlohmann::json::array();
    for (const auto& e : r.expectations) {
      results.push_back({{"name", e.name},
                         {"expected", e.expected},
                         {"measured", e.measured},
                         {"passed", e.passed},
                         {"message", e.message()}});
    }
    list.push_back({{"file", r.file},
                    {"exercise", r.name},
                    {"passed", r.passed()},
                    {"start", runtime::format_rfc3339(r.result.start)},
                    {"end", runtime::format_rfc3339(r.result.end)},
                    {"simulated_ms", std::chrono::duration_cast<Millis>(r.result.end - r.result.start).count()},
                    {"runs", runs},
                    {"faults", faults},
                    {"expectations", results}});
    bad += r.passed() ? 0 : 1;
    expectations += r.expectations.size();
    bad_expectations += failed(r);
  }
  return {{"version", 1},
          {"exercises", list},
          {"summary",
           {{"exercises", reports.size()},
            {"failed", bad},
            {"expectations", expectations},
            {"expectations_failed", bad_expectations}}}};
}

std::string xml_escape(std::string_view text) { return markup_escape(text); }

void print_junit(std::ostream& out, const std::vector<ExerciseReport>& reports) {
  std::size_t tests = 0, failures = 0;
  for (const auto& r : reports) {
    tests += r.expectations.size();
    failures += failed(r);
  }
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuites name=\"writ test\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n", tests, failures);
  for (const auto& r : reports) {
    out << fmt::format(
        "  <testsuite name=\"{}\" file=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" "
        "timestamp=\"{}\">\n",
        xml_escape(r.name), xml_escape(r.file), r.expectations.size(), failed(r),
        xml_escape(runtime::format_rfc3339(r.result.start)));
    for (const auto& e : r.expectations) {
      out << fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml_escape(r.file), xml_escape(e.name));
      if (e.passed) {
        out << fmt::format(">\n      <system-out>{}</system-out>\n    </testcase>\n", xml_escape(e.message()));
      } else {
        out << fmt::format(">\n      <failure type=\"expectation\" message=\"{}\">{}</failure>\n    </testcase>\n",
                           xml_escape(e.message()), xml_escape(e.message()));
      }
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

}  // namespace writ::exercise
