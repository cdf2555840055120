// Routing (DESIGN §9): among compiled runbooks, the one whose severity equals the event's
// `severity` and whose `when` holds. A runbook with a `when` that holds is preferred over one
// without a `when` (a specific playbook beats the catch-all of the same severity); two
// equally specific matches are ambiguous and refused rather than guessed. Runbooks with the
// same IR digest (one runbook written in YAML and in the DSL) count once.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir.h"
#include "runtime/event.h"

namespace writ::runtime {

struct Route {
  const ir::Runbook* runbook = nullptr;  // null: see `error`
  std::string error;                     // "no runbook for severity `critical` (runbooks exist for: high, low)"
};

// `event` is typed against the chosen runbook's schema on success. Throws EventError when a
// candidate's schema rejects the event (the event does not fit the runbook it routes to).
Route route_event(const std::vector<const ir::Runbook*>& runbooks, Event& event, const std::string& run_id);

// A new run id: UTC time plus 8 random hex digits, "20261127T080000Z-1a2b3c4d".
std::string new_run_id(std::chrono::system_clock::time_point now);
// Letters, digits, '-', '_' only (a run id names a directory under STATE/runs).
bool valid_run_id(const std::string& run_id);

}  // namespace writ::runtime
