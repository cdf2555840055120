// The drill's timeline, from each run's journal plus the injected faults: what the HTML report
// shows, in time order (records of the same instant keep their journal order).
#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"
#include "exercise/output.h"

namespace writ::exercise {

namespace {

std::string approvers(const nlohmann::json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const auto& a : list) out.push_back(fmt::format("{} ({})", a.value("approver", ""), a.value("role", "")));
  }
  return join(out, ", ");
}

std::string roles(const nlohmann::json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const auto& r : list) out.push_back(r.is_string() ? r.get<std::string>() : r.dump());
  }
  return join(out, ", ");
}

// What a record says, or nothing for records the timeline leaves out.
std::optional<std::pair<std::string, std::string>> describe(const runtime::JournalRecord& r) {
  const auto& d = r.data;
  const auto s = [&](const char* key) {
    return d.contains(key) && d[key].is_string() ? d[key].get<std::string>() : std::string();
  };
  if (r.type == "run_started") return std::pair{"run", fmt::format("run started: runbook `{}`", s("runbook"))};
  if (r.type == "run_finished") return std::pair{"run", fmt::format("run finished: {}", s("status"))};
  if (r.type == "approval_requested") {
    return std::pair{"approval", fmt::format("approval of `{}` requested from {} (timeout {})", s("step"),
                                             roles(d.value("required_roles", nlohmann::json())),
                                             show_duration(Millis(d.value("timeout_seconds", 0) * 1000LL)))};
  }
  if (r.type == "approval_decided") {
    const auto latency = show_duration(Millis(d.value("latency_ms", std::int64_t{0})));
    if (d.value("approved", false))
      return std::pair{"approval", fmt::format("`{}` approved by {} after {}", s("step"),
                                               approvers(d.value("approvers", nlohmann::json())), latency)};
    return std::pair{"approval", fmt::format("`{}` refused after {}{}: {}", s("step"), latency,
                                             d.value("rollback", false) ? " (roll back)" : "", s("reason"))};
  }
  if (r.type == "connector_result" && !d.value("ok", true)) {
    return std::pair{"effect", fmt::format("`{}` {} attempt {} failed: {}", s("step"), s("action"),
                                           d.value("attempt", 0), s("error"))};
  }
  if (r.type == "step_finished") {
    auto text = fmt::format("`{}` ({}, {}): {}", s("step"), s("action"), s("effect"), s("status"));
    if (!s("error").empty()) text += " — " + s("error");
    return std::pair{"effect", text};
  }
  if (r.type == "rollback_finished")
    return std::pair{"rollback", fmt::format("rollback of `{}` ({}): {}", s("step"), s("action"), s("status"))};
  if (r.type == "deadline_met")
    return std::pair{"deadline", fmt::format("`{}` {} by `{}`", s("obligation"), s("status"), s("step"))};
  if (r.type == "deadline_overdue") return std::pair{"deadline", fmt::format("`{}` overdue", s("obligation"))};
  if (r.type == "evidence_preserved")
    return std::pair{"evidence", fmt::format("{} preserved (sha256 {})", s("artifact"), s("sha256").substr(0, 12))};
  if (r.type == "evidence_failed")
    return std::pair{"evidence", fmt::format("{} not preserved: {}", s("artifact"), s("error"))};
  return std::nullopt;
}

}  // namespace

std::vector<TimelineRow> timeline(const SimulationResult& result) {
  std::vector<TimelineRow> rows;
  // A fault is injected into the call whose result the journal records at the same instant.
  for (const auto& f : result.faults)
    rows.push_back({f.at, f.run_id, "fault", fmt::format("{}: {}", f.subject, f.what)});
  for (const auto& run : result.runs) {
    const auto& event = run.incident->event;
    rows.push_back({run.incident->at, run.run_id, "detection",
                    fmt::format("event {} ({}, severity {}) detected{}", event.id(), run.incident->origin,
                                event.severity(), run.ran() ? "" : "; no run: " + run.refused)});
    for (const auto& r : run.records) {
      const auto at = runtime::parse_rfc3339(r.at);
      if (auto what = describe(r); what && at) rows.push_back({*at, run.run_id, what->first, what->second});
    }
    for (const auto& c : run.log.deadlines) {
      if (auto due = runtime::parse_rfc3339(c.due_at))
        rows.push_back(
            {*due, run.run_id, "deadline", fmt::format("`{}` ({}) due: {}", c.obligation, c.regulation, c.status)});
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const TimelineRow& a, const TimelineRow& b) {
    return a.at != b.at ? a.at < b.at : (a.kind == "detection") > (b.kind == "detection");
  });
  return rows;
}

}  // namespace writ::exercise
