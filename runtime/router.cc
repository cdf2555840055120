#include "runtime/router.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fmt/format.h>
#include <random>
#include <set>

#include "common/text.h"
#include "compiler/ir_json.h"

namespace writ::runtime {

namespace {

bool holds(const ir::Runbook& runbook, const Event& event, const std::string& run_id) {
  if (!runbook.when) return true;
  const auto env = make_environment(event, run_id);
  const auto value = expr::evaluate(*runbook.when, env);
  const bool* b = std::get_if<bool>(&value.v);
  return b && *b;
}

}  // namespace

Route route_event(const std::vector<const ir::Runbook*>& runbooks, Event& event, const std::string& run_id) {
  const auto severity = event.severity();
  std::vector<const ir::Runbook*> candidates;
  std::set<std::string> severities;
  std::set<std::string> digests;  // the same runbook in YAML and in the DSL is one candidate
  for (const auto* rb : runbooks) {
    severities.insert(rb->severity);
    if (rb->severity == severity && digests.insert(ir::digest(*rb)).second) candidates.push_back(rb);
  }
  if (candidates.empty()) {
    std::vector<std::string> have(severities.begin(), severities.end());
    return Route{nullptr, fmt::format("no runbook for severity `{}` (runbooks exist for: {})", severity,
                                      have.empty() ? std::string("none") : join(have, ", "))};
  }
  std::vector<const ir::Runbook*> specific, general;
  for (const auto* rb : candidates) {
    type_event(event, rb->event);
    if (holds(*rb, event, run_id)) (rb->when ? specific : general).push_back(rb);
  }
  const auto& chosen = specific.empty() ? general : specific;
  if (chosen.empty()) {
    std::vector<std::string> ids;
    for (const auto* rb : candidates) ids.push_back(rb->id);
    return Route{nullptr, fmt::format("no runbook for severity `{}` whose `when` holds for this event (checked: {})", severity, join(ids, ", "))};
  }
  if (chosen.size() > 1) {
    std::vector<std::string> ids;
    for (const auto* rb : chosen) ids.push_back(rb->id);
    return Route{nullptr, fmt::format("{} runbooks match severity `{}` equally: {}; narrow their `when` conditions", chosen.size(),
                                      severity, join(ids, ", "))};
  }
  type_event(event, chosen.front()->event);
  return Route{chosen.front(), ""};
}

std::string new_run_id(std::chrono::system_clock::time_point now) {
  std::random_device random;
  const auto secs = std::chrono::floor<std::chrono::seconds>(now);
  const auto day = std::chrono::floor<std::chrono::days>(secs);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{secs - day};
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:08x}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                     static_cast<std::uint32_t>(random()));
}

bool valid_run_id(const std::string& run_id) {
  return !run_id.empty() && run_id.size() <= 128 && run_id[0] != '-' &&
         std::all_of(run_id.begin(), run_id.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

}  // namespace writ::runtime
