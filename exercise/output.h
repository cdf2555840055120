// What `writ test` prints (DESIGN §16): text (one line per expectation), json, JUnit XML (one
// testcase per expectation, for CI test reporting) and the HTML exercise report (timeline of
// detection, approvals, effects, faults and deadlines; the measured figures). Every string
// that comes from a runbook, a drill or an event is escaped for the format it lands in.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "exercise/expectations.h"

namespace writ::exercise {

struct ExerciseReport {
  std::string file;  // the exercise file as given
  std::string name;  // its `exercise:`
  SimulationResult result;
  std::vector<ExpectationResult> expectations;
  bool passed() const;
};

void print_text(std::ostream& out, const std::vector<ExerciseReport>& reports);
// {"version":1,"exercises":[{"file","exercise","passed","start","end","simulated_ms","runs":[…],
//  "faults":[…],"expectations":[{"name","expected","measured","passed","message"}]}],
//  "summary":{"exercises","failed","expectations","expectations_failed"}}
nlohmann::json to_json(const std::vector<ExerciseReport>& reports);
void print_junit(std::ostream& out, const std::vector<ExerciseReport>& reports);
void write_html(std::ostream& out, const std::vector<ExerciseReport>& reports);

// One line of a run's timeline (the HTML report's rows).
struct TimelineRow {
  runtime::WallTime at;
  std::string run_id;
  std::string kind;  // detection, approval, effect, fault, deadline, evidence, rollback, run
  std::string text;
};
std::vector<TimelineRow> timeline(const SimulationResult& result);

// XML text/attribute escaping; characters XML 1.0 cannot hold become U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace writ::exercise
