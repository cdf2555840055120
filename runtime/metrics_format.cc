// The two renderings of runtime/metrics.h: JSON and the Prometheus text exposition format.
// Names, keys and units are documented in docs/report.md.
#include <algorithm>
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
  for (const auto& r : m.runs()) {
    out.push_back({{"run_id", r.run_id},
                   {"runbook", r.runbook},
                   {"digest", r.digest},
                   {"runbook_file", r.runbook_file.empty() ? json(nullptr) : json(r.runbook_file)},
                   {"mode", mode_name(r.dry_run)},
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

json runbooks_json(const ModeMetrics& m) {
  json out = json::array();
  for (const auto& rb : m.runbooks()) {
    out.push_back({{"runbook", rb.runbook}, {"digest", rb.digest}, {"files", rb.files}, {"runs", rb.runs}});
  }
  return out;
}

int unreadable_count(const Metrics& m, bool dry_run) {
  return static_cast<int>(std::count_if(m.unreadable.begin(), m.unreadable.end(),
                                        [&](const UnreadableJournal& u) { return u.dry_run == dry_run; }));
}

json approvals_json(const ModeMetrics& m) {
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

json evidence_json(const ModeMetrics& m) {
  const auto& e = m.evidence;
  json problems = json::array();
  for (const auto& p : e.problems) {
    problems.push_back({{"run_id", p.run_id}, {"step", p.step}, {"artifact", p.artifact}, {"problem", p.problem}});
  }
  return {{"declared", e.declared}, {"skipped_dry_run", e.skipped}, {"due", e.due()},
          {"preserved", e.preserved}, {"verified", e.verified}, {"failed", e.failed},
          {"missing", e.missing()}, {"compliance", or_null(m.evidence_compliance())}, {"problems", problems}};
}

// Every figure of one mode's runs.
json mode_json(const Metrics& metrics, bool dry_run) {
  const auto& m = metrics.of(dry_run);
  const auto& s = m.steps;
  return {{"runs_total", m.runs.size()},
          {"runs_by_status", m.runs_by_status()},
          {"runbooks", runbooks_json(m)},
          {"journals_unreadable", unreadable_count(metrics, dry_run)},
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

using Labels = std::vector<std::pair<std::string, std::string>>;
constexpr bool kDryRun[] = {false, true};  // every family: its live series, then its tabletop ones

Labels moded(bool dry_run, Labels labels = {}) {
  labels.insert(labels.begin(), {"mode", std::string(mode_name(dry_run))});
  return labels;
}

void ratio_family(Exposition& out, const char* name, const char* help, const Metrics& m,
                  std::optional<double> (ModeMetrics::*ratio)() const) {
  out.family(name, "gauge", help);
  for (bool dry_run : kDryRun) {
    const auto value = (m.of(dry_run).*ratio)();
    out.sample(name, moded(dry_run), value ? *value : std::nan(""));
  }
}

// `counts(mode_metrics)` gives the (label value, count) pairs of one mode.
template <typename CountsOf>
void counts_family(Exposition& out, const char* name, const char* label, const char* help, const Metrics& m, CountsOf counts) {
  out.family(name, "gauge", help);
  for (bool dry_run : kDryRun) {
    for (const auto& [value, n] : counts(m.of(dry_run))) out.sample(name, moded(dry_run, {{label, value}}), n);
  }
}

void summary_family(Exposition& out, const char* name, const char* help, const Metrics& m,
                    Distribution (ModeMetrics::*distribution)() const) {
  out.family(name, "summary", help);
  for (bool dry_run : kDryRun) out.summary(name, moded(dry_run), (m.of(dry_run).*distribution)());
}

using Counts = std::vector<std::pair<std::string, int>>;

Counts step_counts(const ModeMetrics& m) {
  const auto& s = m.steps;
  return {{"automated", s.automated}, {"approved", s.approved}, {"refused", s.refused}, {"failed", s.failed}, {"skipped", s.skipped}};
}

Counts evidence_counts(const ModeMetrics& m) {
  const auto& e = m.evidence;
  return {{"declared", e.declared}, {"skipped_dry_run", e.skipped}, {"due", e.due()}, {"preserved", e.preserved},
          {"verified", e.verified}, {"failed", e.failed}, {"missing", e.missing()}};
}

void run_families(Exposition& out, const Metrics& m) {
  counts_family(out, "writ_runs", "status", "Runs in the state directory by status (from their journals).", m,
                [](const ModeMetrics& mm) { const auto s = mm.runs_by_status(); return Counts(s.begin(), s.end()); });
  out.family("writ_runbook_runs", "gauge", "Runs per runbook (id and IR digest: a YAML runbook and its DSL twin are one).");
  for (bool dry_run : kDryRun) {
    for (const auto& rb : m.of(dry_run).runbooks()) {
      out.sample("writ_runbook_runs", moded(dry_run, {{"runbook", rb.runbook}, {"digest", rb.digest}}), rb.runs);
    }
  }
  out.family("writ_journals_unreadable", "gauge", "Run journals that could not be read or verified (left out of every figure).");
  for (bool dry_run : kDryRun) out.sample("writ_journals_unreadable", moded(dry_run), unreadable_count(m, dry_run));
}

void time_families(Exposition& out, const Metrics& m) {
  summary_family(out, "writ_time_to_first_action_seconds",
                 "From run start to the first action sent to a connector (triage); quantiles are nearest-rank, 1 is the max.", m,
                 &ModeMetrics::time_to_first_action);
  summary_family(out, "writ_time_to_contain_seconds",
                 "From run start to the first contain step that took effect; quantiles are nearest-rank, 1 is the max.", m,
                 &ModeMetrics::time_to_contain);
  summary_family(out, "writ_detection_to_contain_seconds",
                 "From the event's detected_at to the first contain step that took effect; quantiles are nearest-rank, 1 is the max.",
                 m, &ModeMetrics::detection_to_contain);
}

void approval_families(Exposition& out, const Metrics& m) {
  out.family("writ_approval_latency_seconds", "summary",
             "Time from asking an approval to its decision, per required role; quantiles are nearest-rank, 1 is the max.");
  for (bool dry_run : kDryRun) {
    for (const auto& [role, d] : m.of(dry_run).approval_latency_by_role()) {
      out.summary("writ_approval_latency_seconds", moded(dry_run, {{"role", role}}), d);
    }
  }
  counts_family(out, "writ_approvals", "decision", "Approval decisions recorded, by outcome.", m, [](const ModeMetrics& mm) {
    const int refused = mm.approvals_refused();
    return Counts{{"approved", static_cast<int>(mm.approvals.size()) - refused}, {"refused", refused}};
  });
  ratio_family(out, "writ_approval_refusal_ratio", "Refused approvals / approval decisions (NaN when none).", m,
               &ModeMetrics::approval_refusal_rate);
}

void outcome_families(Exposition& out, const Metrics& m) {
  counts_family(out, "writ_steps", "outcome", "Finished steps by outcome (automated: executed without an approval).", m,
                step_counts);
  ratio_family(out, "writ_automation_success_ratio",
               "Steps executed without human intervention / steps run (skipped steps excluded; NaN when none).", m,
               &ModeMetrics::automation_success_rate);
  counts_family(out, "writ_rollbacks", "status", "Compensating (rollback) actions by outcome.", m, [](const ModeMetrics& mm) {
    const auto& r = mm.rollbacks;
    return Counts{{"executed", r.executed}, {"failed", r.failed}, {"skipped", r.skipped}};
  });
  counts_family(out, "writ_rollback_requests", "trigger", "Compensations requested (rollback_requested records), by trigger.", m,
                [](const ModeMetrics& mm) { return Counts(mm.rollbacks.requests_by_trigger.begin(), mm.rollbacks.requests_by_trigger.end()); });
  counts_family(out, "writ_evidence_artifacts", "state", "Artifacts declared by steps that took effect, and what became of them.", m,
                evidence_counts);
  ratio_family(out, "writ_evidence_compliance_ratio", "Artifacts preserved and verified / artifacts due (NaN when none were due).",
               m, &ModeMetrics::evidence_compliance);
}

}  // namespace

json metrics_to_json(const Metrics& m) {
  json unreadable = json::array();
  for (const auto& u : m.unreadable) {
    unreadable.push_back({{"run_id", u.run_id}, {"mode", mode_name(u.dry_run)}, {"error", u.error}});
  }
  json out{{"version", 1},
           {"percentiles", "nearest-rank"},
           {"runs", runs_json(m)},
           {"unreadable_journals", unreadable},
           {"live", mode_json(m, false)},
           {"tabletop", mode_json(m, true)}};
  // Version 1 had one set of figures at the top level, over every run; a version-1 reader
  // keeps reading them there, as the live figures (docs/report.md).
  for (const char* key : {"runs_total", "runs_by_status", "time_to_first_action_ms", "time_to_contain_ms",
                          "detection_to_contain_ms", "approvals", "automation", "rollbacks", "evidence"}) {
    out[key] = out["live"][key];
  }
  return out;
}

std::string metrics_to_prometheus(const Metrics& m) {
  Exposition out;
  run_families(out, m);
  time_families(out, m);
  approval_families(out, m);
  outcome_families(out, m);
  return out.text();
}

}  // namespace writ::runtime
