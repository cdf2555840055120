// Deadline clocks (DESIGN §14, the seed's pitfall 7): a run starts a clock for every obligation
// its runbook's regulations bring in (the obligations `writ check` evaluates), from the event's
// `detected_at` — else the time writ received it. A step that may meet the obligation (it names
// it in `satisfies`, or is a notify step with a deadline, as rules::evaluate_obligations says)
// stops the clock when it executes: `met` on time, `met_late` after `due_at`. A clock still
// running past `due_at` is `overdue`. The clocks are journaled in run_started; the met and
// overdue transitions as deadline_met / deadline_overdue records.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/catalog.h"
#include "compiler/ir.h"
#include "runtime/clock.h"

namespace writ::runtime {

struct DeadlineClock {
  std::string obligation;  // "gdpr.authority"
  std::string regulation;  // "GDPR"
  std::string citation;
  std::string due_at;              // RFC 3339
  std::vector<std::string> steps;  // steps whose execution meets it
  std::string met_at;              // empty while not met
  std::string status = "pending";  // pending met met_late overdue
};

std::vector<DeadlineClock> start_clocks(const ir::Runbook& runbook, const Catalog& catalog, WallTime start);

// The journaled form (with `steps`); clocks_from_json throws std::invalid_argument for
// anything else.
nlohmann::json clocks_to_json(const std::vector<DeadlineClock>& clocks);
std::vector<DeadlineClock> clocks_from_json(const nlohmann::json& json);
// The execution log's form: {obligation, regulation, citation, due_at, met_at, status}.
nlohmann::json clocks_view(const std::vector<DeadlineClock>& clocks);

// Step `step` executed at `at`: stops the pending clocks it meets; returns their obligations.
std::vector<std::string> stop_clocks(std::vector<DeadlineClock>& clocks, const std::string& step, const std::string& at);
// Pending clocks due at or before `now` become overdue; returns their obligations.
std::vector<std::string> overdue_clocks(std::vector<DeadlineClock>& clocks, WallTime now);

}  // namespace writ::runtime
