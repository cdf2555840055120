// The two renderings of runtime/metrics.h: JSON and the Prometheus text exposition format.
// Names, keys and units are documented in docs/report.md.
#include <cmath>
#include <fmt/format.h>
#include <sstream>

#include "runtime/metrics.h"

namespace writ::runtime {

using nlohmann::json;

namespace {

json or_null(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }
json or_null(const std::optional<std::int64_t>& value) { return value ? json(*value) : json(nullptr); }

json distribution_json(const Distribution& d) {
  auto field = [&](std::int64_t v) { return d.count ? json(v) : json(nullptr); };
  return {{"count", d.count}, {"sum", d.sum_ms}, {"p50", field(d.p50_ms)}, {"p95", field(d.p95_ms)}, {"max", field(d.max_ms)}};
}

json runs_json(const Metrics& m) {
  json out = json::array();
  for (const auto& r : m.runs) {
    out.push_back({{"run_id", r.run_id},
                   {"runbook", r.runbook},
                   {"status", r.status},
                   {"dry_run", r.dry_run},
                   {"started_at", r.started_at},
                   {"last_record_at", r.last_record_at},
                   {"time_to_first_action_ms", or_null(r.time_to_first_action_ms)},
                   {"time_to_contain_ms", or_null(r.time_to_contain_ms)},
                   {"detected_at", r.detected_at.empty() ? json(nullptr) : json(r.detected_at)},
                   {"detection_to_contain_ms", or_null(r.detection_to_contain_ms)}});
  }
  return out;
}

json approvals_json(const Metrics& m) {
  json by_role = json::object();
  for (const auto& [role, d] : m.approval_latency_by_role()) by_role[role] = distribution_json(d);
  const int refused = m.approvals_refused();
  return {{"decided", m.approvals.size()},
          {"approved", static_cast<int>(m.approvals.size()) - refused},
          {"refused", refused},
          {"refusal_rate", or_null(m.approval_refusal_rate())},
          {"latency_ms", distribution_json(m.approval_latency())},
          {"latency_ms_by_role", by_role}};
}

json evidence_json(const Metrics& m) {
  const auto& e = m.evidence;
  json problems = json::array();
  for (const auto& p : e.problems) {
    problems.push_back({{"run_id", p.run_id}, {"step", p.step}, {"artifact", p.artifact}, {"problem", p.problem}});
  }
  return {{"declared", e.declared}, {"skipped_dry_run", e.skipped}, {"due", e.due()},
          {"preserved", e.preserved}, {"verified", e.verified}, {"failed", e.failed},
          {"missing", e.missing()}, {"compliance", or_null(m.evidence_compliance())}, {"problems", problems}};
}

// Prometheus text format 0.0.4: one # HELP and # TYPE per family, then its samples.
class Exposition {
 public:
  void family(const std::string& name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << '\n' << "# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels, double value) {
    out_ << name;
    if (!labels.empty()) {
      out_ << '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        out_ << (i ? "," : "") << labels[i].first << "=\"" << escape(labels[i].second) << '"';
      }
      out_ << '}';
    }
    out_ << ' ' << number(value) << '\n';
  }
  // A summary in seconds from a millisecond distribution: quantiles 0.5, 0.95 and 1 (the max).
  void summary(const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels, const Distribution& d) {
    const std::pair<const char*, std::int64_t> quantiles[] = {{"0.5", d.p50_ms}, {"0.95", d.p95_ms}, {"1", d.max_ms}};
    for (const auto& [q, ms] : quantiles) {
      auto with_q = labels;
      with_q.emplace_back("quantile", q);
      sample(name, with_q, d.count ? static_cast<double>(ms) / 1000.0 : std::nan(""));
    }
    sample(name + "_sum", labels, static_cast<double>(d.sum_ms) / 1000.0);
    sample(name + "_count", labels, static_cast<double>(d.count));
  }
  std::string text() const { return out_.str(); }

 private:
  static std::string escape(const std::string& value) {
    std::string out;
    for (char c : value) {
      if (c == '\\') out += "\\\\";
      else if (c == '"') out += "\\\"";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
    return out;
  }
  static std::string number(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
  }
  std::ostringstream out_;
};

void ratio_family(Exposition& out, const char* name, const char* help, const std::optional<double>& value) {
  out.family(name, "gauge", help);
  out.sample(name, {}, value ? *value : std::nan(""));
}

void counts_family(Exposition& out, const char* name, const char* label, const char* help,
                   const std::vector<std::pair<std::string, int>>& counts) {
  out.family(name, "gauge", help);
  for (const auto& [value, n] : counts) out.sample(name, {{label, value}}, n);
}

}  // namespace

json metrics_to_json(const Metrics& m) {
  json unreadable = json::array();
  for (const auto& u : m.unreadable) unreadable.push_back({{"run_id", u.run_id}, {"error", u.error}});
  const auto& s = m.steps;
  return {{"version", 1},
          {"percentiles", "nearest-rank"},
          {"runs_total", m.runs.size()},
          {"runs_by_status", m.runs_by_status()},
          {"runs", runs_json(m)},
          {"unreadable_journals", unreadable},
          {"time_to_first_action_ms", distribution_json(m.time_to_first_action())},
          {"time_to_contain_ms", distribution_json(m.time_to_contain())},
          {"detection_to_contain_ms", distribution_json(m.detection_to_contain())},
          {"approvals", approvals_json(m)},
          {"automation", {{"automated", s.automated}, {"approved", s.approved}, {"refused", s.refused},
                          {"failed", s.failed}, {"skipped", s.skipped}, {"success_rate", or_null(m.automation_success_rate())}}},
          {"rollbacks", {{"executed", m.rollbacks.executed}, {"failed", m.rollbacks.failed}, {"skipped", m.rollbacks.skipped},
                         {"requests_by_trigger", m.rollbacks.requests_by_trigger}}},
          {"evidence", evidence_json(m)}};
}

std::string metrics_to_prometheus(const Metrics& m) {
  Exposition out;
  const auto by_status = m.runs_by_status();
  const std::vector<std::pair<std::string, int>> statuses(by_status.begin(), by_status.end());
  counts_family(out, "writ_runs", "status", "Runs in the state directory by status (from their journals).", statuses);
  out.family("writ_journals_unreadable", "gauge", "Run journals that could not be read or verified (left out of every figure).");
  out.sample("writ_journals_unreadable", {}, static_cast<double>(m.unreadable.size()));

  out.family("writ_time_to_first_action_seconds", "summary",
             "From run start to the first action sent to a connector (triage); quantiles are nearest-rank, 1 is the max.");
  out.summary("writ_time_to_first_action_seconds", {}, m.time_to_first_action());
  out.family("writ_time_to_contain_seconds", "summary",
             "From run start to the first contain step that took effect; quantiles are nearest-rank, 1 is the max.");
  out.summary("writ_time_to_contain_seconds", {}, m.time_to_contain());
  out.family("writ_detection_to_contain_seconds", "summary",
             "From the event's detected_at to the first contain step that took effect; quantiles are nearest-rank, 1 is the max.");
  out.summary("writ_detection_to_contain_seconds", {}, m.detection_to_contain());
  out.family("writ_approval_latency_seconds", "summary",
             "Time from asking an approval to its decision, per required role; quantiles are nearest-rank, 1 is the max.");
  for (const auto& [role, d] : m.approval_latency_by_role()) out.summary("writ_approval_latency_seconds", {{"role", role}}, d);

  const int refused = m.approvals_refused();
  counts_family(out, "writ_approvals", "decision", "Approval decisions recorded, by outcome.",
                {{"approved", static_cast<int>(m.approvals.size()) - refused}, {"refused", refused}});
  ratio_family(out, "writ_approval_refusal_ratio", "Refused approvals / approval decisions (NaN when none).",
               m.approval_refusal_rate());
  const auto& s = m.steps;
  counts_family(out, "writ_steps", "outcome", "Finished steps by outcome (automated: executed without an approval).",
                {{"automated", s.automated}, {"approved", s.approved}, {"refused", s.refused}, {"failed", s.failed},
                 {"skipped", s.skipped}});
  ratio_family(out, "writ_automation_success_ratio",
               "Steps executed without human intervention / steps run (skipped steps excluded; NaN when none).",
               m.automation_success_rate());
  counts_family(out, "writ_rollbacks", "status", "Compensating (rollback) actions by outcome.",
                {{"executed", m.rollbacks.executed}, {"failed", m.rollbacks.failed}, {"skipped", m.rollbacks.skipped}});
  const auto& triggers = m.rollbacks.requests_by_trigger;
  counts_family(out, "writ_rollback_requests", "trigger", "Compensations requested (rollback_requested records), by trigger.",
                std::vector<std::pair<std::string, int>>(triggers.begin(), triggers.end()));
  const auto& e = m.evidence;
  counts_family(out, "writ_evidence_artifacts", "state",
                "Artifacts declared by steps that took effect, and what became of them.",
                {{"declared", e.declared}, {"skipped_dry_run", e.skipped}, {"due", e.due()}, {"preserved", e.preserved},
                 {"verified", e.verified}, {"failed", e.failed}, {"missing", e.missing()}});
  ratio_family(out, "writ_evidence_compliance_ratio",
               "Artifacts preserved and verified / artifacts due (NaN when none were due).", m.evidence_compliance());
  return out.text();
}

}  // namespace writ::runtime
