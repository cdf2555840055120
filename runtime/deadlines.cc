#include "runtime/deadlines.h"

#include <algorithm>
#include <stdexcept>

#include "compiler/rules/worst_case.h"

namespace writ::runtime {

std::vector<DeadlineClock> start_clocks(const ir::Runbook& runbook, const Catalog& catalog, WallTime start) {
  std::vector<DeadlineClock> clocks;
  for (const auto& status : rules::evaluate_obligations(runbook, catalog)) {
    const auto it = catalog.obligations.find(status.obligation);
    if (it == catalog.obligations.end()) continue;
    const auto& ob = it->second;
    DeadlineClock clock;
    clock.obligation = ob.id;
    clock.regulation = ob.regime;
    clock.citation = ob.citation;
    clock.due_at = format_rfc3339(start + std::chrono::seconds(ob.deadline_seconds.value_or(status.bound_seconds)));
    for (const auto& candidate : status.candidates) clock.steps.push_back(runbook.steps.at(candidate.step).id);
    clocks.push_back(std::move(clock));
  }
  return clocks;
}

nlohmann::json clocks_to_json(const std::vector<DeadlineClock>& clocks) {
  auto out = nlohmann::json::array();
  for (const auto& c : clocks) {
    out.push_back({{"obligation", c.obligation}, {"regulation", c.regulation}, {"citation", c.citation}, {"due_at", c.due_at},
                   {"steps", c.steps}});
  }
  return out;
}

std::vector<DeadlineClock> clocks_from_json(const nlohmann::json& json) {
  if (!json.is_array()) throw std::invalid_argument("`deadlines` is not a list");
  std::vector<DeadlineClock> clocks;
  for (const auto& item : json) {
    DeadlineClock c;
    try {
      c.obligation = item.at("obligation").get<std::string>();
      c.regulation = item.at("regulation").get<std::string>();
      c.citation = item.at("citation").get<std::string>();
      c.due_at = item.at("due_at").get<std::string>();
      c.steps = item.at("steps").get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) {
      throw std::invalid_argument("a deadline clock is not {obligation, regulation, citation, due_at, steps}");
    }
    if (!parse_rfc3339(c.due_at)) throw std::invalid_argument("a deadline clock's due_at is not a timestamp");
    clocks.push_back(std::move(c));
  }
  return clocks;
}

nlohmann::json clocks_view(const std::vector<DeadlineClock>& clocks) {
  auto out = nlohmann::json::array();
  for (const auto& c : clocks) {
    out.push_back({{"obligation", c.obligation}, {"regulation", c.regulation}, {"citation", c.citation}, {"due_at", c.due_at},
                   {"met_at", c.met_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.met_at)}, {"status", c.status}});
  }
  return out;
}

std::vector<std::string> stop_clocks(std::vector<DeadlineClock>& clocks, const std::string& step, const std::string& at) {
  std::vector<std::string> stopped;
  const auto when = parse_rfc3339(at);
  for (auto& c : clocks) {
    if (!c.met_at.empty() || std::find(c.steps.begin(), c.steps.end(), step) == c.steps.end()) continue;
    c.met_at = at;
    const auto due = parse_rfc3339(c.due_at);
    c.status = when && due && *when <= *due ? "met" : "met_late";
    stopped.push_back(c.obligation);
  }
  return stopped;
}

std::vector<std::string> overdue_clocks(std::vector<DeadlineClock>& clocks, WallTime now) {
  std::vector<std::string> overdue;
  for (auto& c : clocks) {
    const auto due = parse_rfc3339(c.due_at);
    if (c.status != "pending" || !due || now < *due) continue;
    c.status = "overdue";
    overdue.push_back(c.obligation);
  }
  return overdue;
}

}  // namespace writ::runtime
