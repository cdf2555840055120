// Expectations (DESIGN §16): each key of `expect:` is measured against the simulation and
// passes or fails with the measured value, so a failure says what happened
// (`contained_within: 15m — measured 31m`). With several incidents an expectation must hold
// for every run the drill started; the measured value names the runs that differ.
// One small function per kind, in the table `expectation_kinds()` (the shape of
// compiler/rules.def): status, steps, contained_within, deadlines, evidence_verified, rollbacks.
#pragma once

#include <string>
#include <vector>

#include "exercise/exercise.h"
#include "exercise/simulation.h"

namespace writ::exercise {

struct ExpectationResult {
  std::string name;      // "status", "steps.isolate_host", "deadlines.gdpr.authority"
  std::string expected;  // "halted_by_approval", "15m"
  std::string measured;  // "halted_by_approval", "31m (drill-001)"
  bool passed = false;
  // "status: halted_by_approval — measured halted_by_approval"
  std::string message() const;
};

struct ExpectationKind {
  std::string_view key;  // the key of `expect:`
  std::string_view summary;
};
const std::vector<ExpectationKind>& expectation_kinds();

// In the order the kinds are listed, each kind's entries in file order.
std::vector<ExpectationResult> evaluate(const Expectations& expect, const SimulationResult& result);

// The first executed step whose effect is `contain`, from the run's detection: nothing when
// no contain effect executed.
std::optional<Millis> time_to_contain(const RunOutcome& run);

}  // namespace writ::exercise
