#include "exercise/expectations.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "common/text.h"

namespace writ::exercise {

namespace {

// What one run measured for an expectation; runs that do not concern it measure nothing.
using Measure = std::function<std::optional<std::string>(const RunOutcome&)>;

// The measured values of every run concerned: one value when they agree, else each with its run.
ExpectationResult across_runs(std::string name, std::string expected, const SimulationResult& r, const Measure& measure,
                              const std::string& none) {
  std::vector<std::pair<std::string, std::string>> seen;
  for (const auto& run : r.runs) {
    if (auto value = measure(run)) seen.emplace_back(run.run_id, *value);
  }
  ExpectationResult out{std::move(name), std::move(expected), none, false};
  if (seen.empty()) return out;
  const bool agree =
      std::all_of(seen.begin(), seen.end(), [&](const auto& s) { return s.second == seen.front().second; });
  out.passed = agree && seen.front().second == out.expected;
  out.measured.clear();
  for (const auto& [run, value] : seen) {
    if (agree) {
      out.measured = value;
      break;
    }
    out.measured += fmt::format("{}{} ({})", out.measured.empty() ? "" : ", ", value, run);
  }
  return out;
}

bool has_step(const RunOutcome& run, const std::string& step) {
  return std::any_of(run.plan.begin(), run.plan.end(), [&](const auto& p) { return p.first == step; });
}

void status(const Expectations& x, const SimulationResult& r, std::vector<ExpectationResult>& out) {
  if (!x.status) return;
  out.push_back(across_runs(
      "status", x.status->value, r,
      [](const RunOutcome& run) -> std::optional<std::string> {
        return run.ran() ? run.log.status : "refused: " + run.refused;
      },
      "no incident in the timeline"));
}

void steps(const Expectations& x, const SimulationResult& r, std::vector<ExpectationResult>& out) {
  for (const auto& e : x.steps) {
    out.push_back(across_runs(
        "steps." + e.key, e.value, r,
        [&](const RunOutcome& run) -> std::optional<std::string> {
          if (!run.ran() || !has_step(run, e.key)) return std::nullopt;
          for (const auto& s : run.log.steps) {
            if (s.step == e.key) return s.status;
          }
          return "not_run";
        },
        fmt::format("no run has a step `{}`", e.key)));
  }
}

void contained(const Expectations& x, const SimulationResult& r, std::vector<ExpectationResult>& out) {
  if (!x.contained_within) return;
  const auto limit = x.contained_within->value;
  ExpectationResult res{"contained_within", show_duration(limit), "no run started", false};
  std::optional<std::pair<Millis, std::string>> worst;
  std::vector<std::string> never;
  for (const auto& run : r.runs) {
    if (!run.ran()) continue;
    if (auto t = time_to_contain(run)) {
      if (!worst || *t > worst->first) worst = std::pair{*t, run.run_id};
    } else {
      never.push_back(run.run_id);
    }
  }
  if (!never.empty()) {
    res.measured = fmt::format("never contained ({})", join(never, ", "));
  } else if (worst) {
    res.passed = worst->first <= limit;
    res.measured = show_duration(worst->first) + (r.runs.size() > 1 ? fmt::format(" ({})", worst->second) : "");
  }
  out.push_back(std::move(res));
}

void deadlines(const Expectations& x, const SimulationResult& r, std::vector<ExpectationResult>& out) {
  for (const auto& e : x.deadlines) {
    out.push_back(across_runs(
        "deadlines." + e.key, e.value, r,
        [&](const RunOutcome& run) -> std::optional<std::string> {
          for (const auto& c : run.log.deadlines) {
            if (c.obligation == e.key) return c.status;
          }
          return std::nullopt;
        },
        fmt::format("no run has a deadline clock for `{}`", e.key)));
  }
}

void evidence(const Expectations& x, const SimulationResult& r, std::vector<ExpectationResult>& out) {
  if (!x.evidence_verified) return;
  const auto& e = r.evidence;
  auto measured = fmt::format("{} ({} of {} artifacts preserved; {})", e.verified() ? "true" : "false", e.preserved,
                              e.requested, e.store_detail);
  if (!e.failures.empty()) measured += fmt::format("; not preserved: {}", e.failures.front());
  out.push_back({"evidence_verified", x.evidence_verified->value ? "true" : "false", measured,
                 e.verified() == x.evidence_verified->value});
}

void rollbacks(const Expectations& x, const SimulationResult& r, std::vector<ExpectationResult>& out) {
  for (const auto& e : x.rollbacks) {
    out.push_back(across_runs(
        "rollbacks." + e.key, e.value, r,
        [&](const RunOutcome& run) -> std::optional<std::string> {
          if (!run.ran() || !has_step(run, e.key)) return std::nullopt;
          for (const auto& rb : run.log.rollbacks) {
            if (rb.step == e.key) return rb.status == "executed" ? "compensated" : rb.status;
          }
          return "none";
        },
        fmt::format("no run has a step `{}`", e.key)));
  }
}

using Evaluator = void (*)(const Expectations&, const SimulationResult&, std::vector<ExpectationResult>&);

struct Kind {
  ExpectationKind info;
  Evaluator evaluate;
};

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table = {
      {{"status", "the run status every run ends with"}, status},
      {{"steps", "per step: executed, skipped, refused, failed, compensated or not_run"}, steps},
      {{"contained_within", "the longest time from detection to the first executed contain effect"}, contained},
      {{"deadlines", "per obligation: met, met_late, overdue or pending when the drill ends"}, deadlines},
      {{"evidence_verified", "every requested artifact preserved and the evidence store verifies"}, evidence},
      {{"rollbacks", "per step: compensated, failed or none"}, rollbacks},
  };
  return table;
}

}  // namespace

std::string ExpectationResult::message() const {
  return fmt::format("{}: {} \u2014 measured {}", name, expected, measured);
}

const std::vector<ExpectationKind>& expectation_kinds() {
  static const std::vector<ExpectationKind> out = [] {
    std::vector<ExpectationKind> v;
    for (const auto& k : kinds()) v.push_back(k.info);
    return v;
  }();
  return out;
}

std::vector<ExpectationResult> evaluate(const Expectations& expect, const SimulationResult& result) {
  std::vector<ExpectationResult> out;
  for (const auto& k : kinds()) k.evaluate(expect, result, out);
  return out;
}

std::optional<Millis> time_to_contain(const RunOutcome& run) {
  for (const auto& r : run.records) {
    if (r.type != "step_finished" || r.data.value("status", "") != "executed" ||
        r.data.value("effect", "") != "contain")
      continue;
    const auto at = runtime::parse_rfc3339(r.at);
    if (at && run.incident) return std::chrono::duration_cast<Millis>(*at - run.incident->at);
  }
  return std::nullopt;
}

}  // namespace writ::exercise
