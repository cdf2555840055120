// `writ metrics` (DESIGN §11): incident-response readiness figures computed from the run
// journals of a state directory (STATE/runs/*/journal.jsonl, read and verified with
// read_journal and replayed through RunState, so a journal the runtime would refuse is
// refused here too). Every figure, its unit and its definition is documented in
// docs/report.md; the JSON keys and Prometheus names are a contract.
//
// Times come from the journal records' `at` stamps (the run's own clock), measured from the
// run's `run_started` record; approval latency is the `latency_ms` the interpreter recorded
// (a monotonic clock). Percentiles are nearest-rank: for N sorted values, the p-th percentile
// is the value at rank ceil(p/100 * N) (1-based), so it is always an observed value.
//
// Journals are streamed (memory: the largest record) and verified with their head as
// scan_journal does; with MetricsOptions::key their MACs are checked too, and a keyed journal
// read without a key is counted but listed in Metrics::macs_unchecked.
//
// Tabletop and live runs are never mixed (DESIGN §11): a run started with --dry-run is a
// tabletop run, any other a live one, and each mode has its own figures (Metrics::live,
// Metrics::tabletop). A runbook is its id and IR digest, so the runs of a YAML runbook and of
// its DSL twin (same digest) are runs of one runbook, which lists both files.
//
// Errors: a journal that cannot be read or verified is not fatal; it is listed in
// Metrics::unreadable with the reason and left out of every figure. compute_metrics throws
// MetricsError only when the state directory itself is missing or not a directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/journal.h"
#include "runtime/journal_key.h"
#include "runtime/options.h"

namespace writ::runtime {

class RunStore;

struct MetricsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Nearest-rank summary of a list of millisecond values. All fields but `count` and `sum_ms`
// are meaningful only when count > 0.
struct Distribution {
  std::size_t count = 0;
  std::int64_t sum_ms = 0;
  std::int64_t p50_ms = 0;
  std::int64_t p95_ms = 0;
  std::int64_t max_ms = 0;
};

// The nearest-rank `percent`-th percentile (1..100) of `values` (any order; must be non-empty).
std::int64_t nearest_rank(std::vector<std::int64_t> values, int percent);
Distribution summarize(const std::vector<std::int64_t>& values);

struct RunMetrics {
  std::string run_id;       // the run directory's name
  std::string runbook;
  std::string digest;       // the runbook's IR digest (the plan's)
  std::string runbook_file; // the file `writ run` compiled it from (empty in older journals)
  std::string status;       // the last run_finished status, else "unfinished"
  bool dry_run = false;     // a tabletop run
  std::string started_at;   // RFC 3339, the run_started record
  std::string last_record_at;
  // From run start to the first connector call of a step's own action (not a rollback).
  std::optional<std::int64_t> time_to_first_action_ms;
  // From run start to the first successful connector result of a step whose effect is
  // `contain` (the containment took effect).
  std::optional<std::int64_t> time_to_contain_ms;
  // The event's `detected_at` (run_started.event_fields), when it has one, and the time from
  // it to the same containment moment (nothing when it is not earlier than the containment).
  std::string detected_at;
  std::optional<std::int64_t> detection_to_contain_ms;
};

struct ApprovalSample {
  std::string run_id;
  std::string step;
  std::vector<std::string> roles;  // required roles; else the approvers' roles; else {"any"}
  std::int64_t latency_ms = 0;
  bool approved = false;
};

struct StepCounts {
  int automated = 0;   // executed, no approval asked
  int approved = 0;    // executed after an approval
  int refused = 0;
  int failed = 0;
  int skipped = 0;     // `when` false: not part of the automation rate
};

struct RollbackCounts {
  int executed = 0;    // rollback_finished "executed" records (compensating actions that ran)
  int failed = 0;      // rollback_finished "failed" records
  int skipped = 0;     // applied steps with no rollback to run
  std::map<std::string, int> requests_by_trigger;  // rollback_requested records: approval_refused, step_failed, manual
};

struct EvidenceProblem {
  std::string run_id;
  std::string step;
  std::string artifact;
  std::string problem;
};

struct EvidenceCounts {
  int declared = 0;   // artifacts of steps whose action took effect
  int skipped = 0;    // of those, not collected because the run was a dry run
  int preserved = 0;  // evidence_preserved records
  int verified = 0;   // preserved, and the stored object still hashes to the recorded sha256
  int failed = 0;     // evidence_failed with no later evidence_preserved for the artifact
  std::vector<EvidenceProblem> problems;  // failed, missing or unverifiable artifacts
  int due() const { return declared - skipped; }
  int missing() const { return due() > preserved ? due() - preserved : 0; }
};

// "live" or "tabletop".
std::string_view mode_name(bool dry_run);

struct UnreadableJournal {
  std::string run_id;
  std::string error;
  bool bad_input = false;  // the journal or its head is not a readable regular file (FIFO, device, symlink, ...)
  // The mode its run_started record gave, when the verified part of the journal holds it; a
  // journal unreadable from its first record counts as live, so it is never hidden among
  // tabletop exercises.
  bool dry_run = false;
};

// One runbook (id and IR digest) and the runs of it: twins share one entry.
struct RunbookRuns {
  std::string runbook;
  std::string digest;
  std::vector<std::string> files;  // sorted; the files its runs were compiled from
  int runs = 0;
};

// The figures of the runs of one mode.
struct ModeMetrics {
  std::vector<RunMetrics> runs;  // sorted by run id
  std::vector<ApprovalSample> approvals;
  StepCounts steps;
  RollbackCounts rollbacks;
  EvidenceCounts evidence;

  std::map<std::string, int> runs_by_status() const;  // every DESIGN §9 status, plus "unfinished"
  std::vector<RunbookRuns> runbooks() const;          // sorted by runbook id, then digest
  Distribution time_to_first_action() const;
  Distribution time_to_contain() const;
  Distribution detection_to_contain() const;
  std::map<std::string, Distribution> approval_latency_by_role() const;
  Distribution approval_latency() const;  // every decision, each counted once
  int approvals_refused() const;
  std::optional<double> approval_refusal_rate() const;    // refused / decided
  std::optional<double> automation_success_rate() const;  // automated / (steps not skipped)
  std::optional<double> evidence_compliance() const;      // verified / due
};

struct Metrics {
  ModeMetrics live;
  ModeMetrics tabletop;
  std::vector<UnreadableJournal> unreadable;  // in run-id order
  std::vector<std::string> macs_unchecked;    // runs whose keyed journal was read without the key

  ModeMetrics& of(bool dry_run) { return dry_run ? tabletop : live; }
  const ModeMetrics& of(bool dry_run) const { return dry_run ? tabletop : live; }
  std::vector<RunMetrics> runs() const;  // of both modes, sorted by run id
};

struct MetricsOptions {
  std::size_t max_record_bytes = RuntimeOptions{}.max_journal_record_bytes;
  // Where preserved objects are looked up (EVIDENCE/objects/sha256/<2>/<64>). When empty:
  // the `evidence_dir` the run journaled (run_started, run_resumed), else the `object` path
  // each evidence_preserved record names.
  std::optional<std::filesystem::path> evidence_dir;
  const JournalKey* key = nullptr;  // checks the journals' MACs (must outlive compute_metrics)
};

// Every run below STATE/runs, in run-id order. Throws MetricsError (see above).
Metrics compute_metrics(const std::filesystem::path& state_dir, const MetricsOptions& options);
// Every run of `store` (the PostgreSQL store of DESIGN §15, or a file store), in run-id order.
Metrics compute_metrics(const RunStore& store, const MetricsOptions& options);

// The JSON document of docs/report.md ("writ metrics --format json"): a `live` and a
// `tabletop` object, and the version-1 top-level figures, which are the live ones.
nlohmann::json metrics_to_json(const Metrics& metrics);
// Prometheus text exposition format 0.0.4: every family has # HELP and # TYPE lines, every
// series a mode="live" or mode="tabletop" label.
std::string metrics_to_prometheus(const Metrics& metrics);

}  // namespace writ::runtime
