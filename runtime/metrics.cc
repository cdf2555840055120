#include "runtime/metrics.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "common/regular_file.h"
#include "common/sha256.h"
#include "runtime/clock.h"
#include "runtime/run_state.h"
#include "runtime/run_store.h"

namespace writ::runtime {

namespace {

using StepArtifact = std::pair<std::string, std::string>;

struct PreservedObject {
  std::string sha256;
  std::uint64_t size = 0;
  std::string object;
};

// Why a stored object does not prove the artifact, or nothing when it does. The object is
// looked for in `store` (--evidence, else the run's journaled evidence_dir), else at the path
// the journal recorded.
std::optional<std::string> check_object(const PreservedObject& p, const std::optional<std::filesystem::path>& store) {
  const bool hex = p.sha256.size() == 64 && std::all_of(p.sha256.begin(), p.sha256.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
  if (!hex) return fmt::format("the journal's sha256 \"{}\" is not a SHA-256", p.sha256);
  const std::filesystem::path object =
      store ? *store / "objects" / "sha256" / p.sha256.substr(0, 2) / p.sha256 : std::filesystem::path(p.object);
  // Never blocks: the object path comes from the journal, and the store may hold a FIFO.
  auto file = open_regular_file(object.string(), O_NOFOLLOW);
  if (!file) return fmt::format("stored object {} cannot be read ({})", object.string(), file.error);
  Sha256 hasher;
  std::vector<char> buffer(1 << 20);
  std::uint64_t size = 0;
  for (;;) {
    const ssize_t n = ::read(file.fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fmt::format("stored object {} cannot be read", object.string());
    if (n == 0) break;
    hasher.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    size += static_cast<std::size_t>(n);
  }
  const auto digest = hasher.finish();
  const auto actual = to_hex(digest);
  if (actual != p.sha256 || size != p.size) {
    return fmt::format("stored object {} does not match the journal (sha256 {}, {} bytes)", object.string(), actual,
                       size);
  }
  return std::nullopt;
}

// An optional string field of a journal record's data; anything else reads as absent.
std::string string_or_empty(const nlohmann::json& d, const char* key) {
  const auto it = d.find(key);
  return it != d.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> millis_since(const std::optional<WallTime>& start, const std::string& at) {
  const auto t = parse_rfc3339(at);
  if (!start || !t) return std::nullopt;
  return std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(*t - *start).count());
}

// One run's records, read in order on top of RunState (which checks that they form a run).
class RunScan {
 public:
  RunScan(ModeMetrics& metrics, std::string run_id, const MetricsOptions& options)
      : metrics_(metrics), options_(options) {
    run_.run_id = std::move(run_id);
  }

  void read(const JournalRecord& record) {
    state_.apply(record);
    const auto& t = record.type;
    const auto& d = record.data;
    run_.last_record_at = record.at;
    if (t == "run_started") {
      start_ = parse_rfc3339(record.at);
      run_.started_at = record.at;
      run_.runbook = state_.plan().runbook;
      run_.digest = state_.plan().digest;
      run_.runbook_file = string_or_empty(d, "runbook_file");
      run_.dry_run = d.value("dry_run", false);
      note_evidence_dir(d);
      note_detection(d);
    } else if (t == "run_resumed") {
      note_evidence_dir(d);
    } else if (t == "approval_requested") {
      required_[d.at("step").get<std::string>()] = d.at("required_roles").get<std::vector<std::string>>();
    } else if (t == "approval_decided") {
      on_decision(d);
    } else if (t == "connector_call" && d.value("phase", "execute") == "execute") {
      if (!run_.time_to_first_action_ms) run_.time_to_first_action_ms = millis_since(start_, record.at);
    } else if (t == "connector_result" && d.value("phase", "execute") == "execute" && d.at("ok").get<bool>()) {
      const auto* step = state_.plan().find(d.at("step").get<std::string>());
      if (step && step->effect == "contain" && !run_.time_to_contain_ms) on_contained(record.at);
    } else if (t == "evidence_skipped") {
      skipped_.insert(step_artifact(d));
    } else if (t == "evidence_failed") {
      failed_[step_artifact(d)] = d.value("error", std::string("not preserved"));
    } else if (t == "evidence_preserved") {
      preserved_[step_artifact(d)] = {d.at("sha256").get<std::string>(), d.at("size").get<std::uint64_t>(),
                                      d.value("object", std::string())};
    } else if (t == "step_finished") {
      status_[d.at("step").get<std::string>()] = d.at("status").get<std::string>();
    } else if (t == "rollback_requested") {
      ++metrics_.rollbacks.requests_by_trigger[d.at("trigger").get<std::string>()];
    } else if (t == "rollback_finished") {
      (d.at("status").get<std::string>() == "executed" ? metrics_.rollbacks.executed : metrics_.rollbacks.failed) += 1;
    } else if (t == "rollback_skipped") {
      ++metrics_.rollbacks.skipped;
    }
  }

  // Adds what the run's records showed to the totals.
  void finish() {
    if (!state_.started()) throw JournalError("the journal holds no record");
    run_.status = state_.finished().value_or("unfinished");
    for (const auto& [step, status] : status_) count_step(step, status);
    count_evidence();
    metrics_.runs.push_back(run_);
  }

  bool dry_run() const { return run_.dry_run; }

 private:
  static StepArtifact step_artifact(const nlohmann::json& d) {
    return {d.at("step").get<std::string>(), d.at("artifact").get<std::string>()};
  }

  void note_detection(const nlohmann::json& d) {
    const auto fields = d.find("event_fields");
    if (fields == d.end() || !fields->is_object()) return;
    const auto at = fields->find("detected_at");
    if (at == fields->end() || !at->is_string()) return;
    detected_ = parse_rfc3339(at->get<std::string>());
    if (detected_) run_.detected_at = at->get<std::string>();
  }

  void on_contained(const std::string& at) {
    run_.time_to_contain_ms = millis_since(start_, at);
    const auto contained = parse_rfc3339(at);
    if (detected_ && contained && *detected_ < *contained) {
      run_.detection_to_contain_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(*contained - *detected_).count();
    }
  }

  void note_evidence_dir(const nlohmann::json& d) {
    if (auto dir = string_or_empty(d, "evidence_dir"); !dir.empty()) evidence_dir_ = dir;
  }

  void on_decision(const nlohmann::json& d) {
    ApprovalSample sample{run_.run_id,
                          d.at("step").get<std::string>(),
                          {},
                          d.at("latency_ms").get<std::int64_t>(),
                          d.at("approved").get<bool>()};
    asked_.insert(sample.step);
    sample.roles = required_[sample.step];
    if (sample.roles.empty()) {
      for (const auto& a : d.at("approvers")) {
        const auto role = a.value("role", std::string());
        if (!role.empty() && std::find(sample.roles.begin(), sample.roles.end(), role) == sample.roles.end()) {
          sample.roles.push_back(role);
        }
      }
    }
    if (sample.roles.empty()) sample.roles.push_back("any");
    metrics_.approvals.push_back(std::move(sample));
  }

  void count_step(const std::string& step, const std::string& status) {
    auto& s = metrics_.steps;
    if (status == "executed")
      ++(asked_.count(step) ? s.approved : s.automated);
    else if (status == "refused")
      ++s.refused;
    else if (status == "failed")
      ++s.failed;
    else if (status == "skipped")
      ++s.skipped;
  }

  void count_evidence() {
    auto& e = metrics_.evidence;
    std::set<std::pair<std::string, int>> applied;
    for (const auto& unit : state_.applied_units()) {  // a for-each step: each element's artifacts
      if (!applied.insert(unit).second) continue;
      const auto& id = unit.first;
      const auto* step = state_.plan().find(id);
      if (!step || (unit.second >= 0 && static_cast<std::size_t>(unit.second) >= step->elements.size())) continue;
      for (const auto& artifact : step->artifacts(unit.second)) {
        ++e.declared;
        const StepArtifact key{id, artifact};
        auto problem = [&](std::string what) { e.problems.push_back({run_.run_id, id, artifact, std::move(what)}); };
        if (skipped_.count(key)) {
          ++e.skipped;
        } else if (auto p = preserved_.find(key); p != preserved_.end()) {
          ++e.preserved;
          if (auto why = check_object(p->second, options_.evidence_dir ? options_.evidence_dir : evidence_dir_))
            problem(*why);
          else
            ++e.verified;
        } else if (auto f = failed_.find(key); f != failed_.end()) {
          ++e.failed;
          problem("not preserved: " + f->second);
        } else {
          problem("no evidence record (the run stopped before preserving it)");
        }
      }
    }
  }

  ModeMetrics& metrics_;
  const MetricsOptions& options_;
  RunState state_;
  RunMetrics run_;
  std::optional<WallTime> start_;
  std::optional<WallTime> detected_;
  std::optional<std::filesystem::path> evidence_dir_;  // journaled by run_started / run_resumed
  std::map<std::string, std::vector<std::string>> required_;
  std::set<std::string> asked_;
  std::map<std::string, std::string> status_;
  std::set<StepArtifact> skipped_;
  std::map<StepArtifact, std::string> failed_;
  std::map<StepArtifact, PreservedObject> preserved_;
};

template <typename T>
void append(std::vector<T>& into, std::vector<T>&& part) {
  into.insert(into.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
}

void merge(ModeMetrics& into, ModeMetrics&& part) {
  append(into.runs, std::move(part.runs));
  append(into.approvals, std::move(part.approvals));
  auto& s = into.steps;
  s.automated += part.steps.automated;
  s.approved += part.steps.approved;
  s.refused += part.steps.refused;
  s.failed += part.steps.failed;
  s.skipped += part.steps.skipped;
  auto& r = into.rollbacks;
  r.executed += part.rollbacks.executed;
  r.failed += part.rollbacks.failed;
  r.skipped += part.rollbacks.skipped;
  for (const auto& [trigger, n] : part.rollbacks.requests_by_trigger) r.requests_by_trigger[trigger] += n;
  auto& e = into.evidence;
  e.declared += part.evidence.declared;
  e.skipped += part.evidence.skipped;
  e.preserved += part.evidence.preserved;
  e.verified += part.evidence.verified;
  e.failed += part.evidence.failed;
  append(e.problems, std::move(part.evidence.problems));
}

std::optional<double> ratio(int numerator, int denominator) {
  if (denominator <= 0) return std::nullopt;
  return static_cast<double>(numerator) / denominator;
}

}  // namespace

std::int64_t nearest_rank(std::vector<std::int64_t> values, int percent) {
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  std::size_t rank = (static_cast<std::size_t>(percent) * n + 99) / 100;  // ceil(p/100 * N)
  rank = std::clamp<std::size_t>(rank, 1, n);
  return values[rank - 1];
}

Distribution summarize(const std::vector<std::int64_t>& values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  for (auto v : values) d.sum_ms += v;
  d.p50_ms = nearest_rank(values, 50);
  d.p95_ms = nearest_rank(values, 95);
  d.max_ms = *std::max_element(values.begin(), values.end());
  return d;
}

std::map<std::string, int> ModeMetrics::runs_by_status() const {
  std::map<std::string, int> out{{"completed", 0},   {"halted_by_approval", 0},  {"failed", 0},
                                 {"rolled_back", 0}, {"rollback_incomplete", 0}, {"unfinished", 0}};
  for (const auto& run : runs) ++out[run.status];
  return out;
}

Distribution ModeMetrics::time_to_first_action() const {
  std::vector<std::int64_t> values;
  for (const auto& run : runs) {
    if (run.time_to_first_action_ms) values.push_back(*run.time_to_first_action_ms);
  }
  return summarize(values);
}

Distribution ModeMetrics::time_to_contain() const {
  std::vector<std::int64_t> values;
  for (const auto& run : runs) {
    if (run.time_to_contain_ms) values.push_back(*run.time_to_contain_ms);
  }
  return summarize(values);
}

Distribution ModeMetrics::detection_to_contain() const {
  std::vector<std::int64_t> values;
  for (const auto& run : runs) {
    if (run.detection_to_contain_ms) values.push_back(*run.detection_to_contain_ms);
  }
  return summarize(values);
}

std::map<std::string, Distribution> ModeMetrics::approval_latency_by_role() const {
  std::map<std::string, std::vector<std::int64_t>> by_role;
  for (const auto& a : approvals) {
    for (const auto& role : a.roles) by_role[role].push_back(a.latency_ms);
  }
  std::map<std::string, Distribution> out;
  for (const auto& [role, values] : by_role) out[role] = summarize(values);
  return out;
}

Distribution ModeMetrics::approval_latency() const {
  std::vector<std::int64_t> values;
  for (const auto& a : approvals) values.push_back(a.latency_ms);
  return summarize(values);
}

int ModeMetrics::approvals_refused() const {
  return static_cast<int>(
      std::count_if(approvals.begin(), approvals.end(), [](const ApprovalSample& a) { return !a.approved; }));
}

std::optional<double> ModeMetrics::approval_refusal_rate() const {
  return ratio(approvals_refused(), static_cast<int>(approvals.size()));
}

std::optional<double> ModeMetrics::automation_success_rate() const {
  return ratio(steps.automated, steps.automated + steps.approved + steps.refused + steps.failed);
}

std::optional<double> ModeMetrics::evidence_compliance() const { return ratio(evidence.verified, evidence.due()); }

std::vector<RunbookRuns> ModeMetrics::runbooks() const {
  std::map<std::pair<std::string, std::string>, RunbookRuns> by_key;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> files;
  for (const auto& run : runs) {
    const std::pair key{run.runbook, run.digest};
    auto& entry = by_key.try_emplace(key, RunbookRuns{run.runbook, run.digest, {}, 0}).first->second;
    ++entry.runs;
    if (!run.runbook_file.empty()) files[key].insert(run.runbook_file);
  }
  std::vector<RunbookRuns> out;
  for (auto& [key, entry] : by_key) {
    entry.files.assign(files[key].begin(), files[key].end());
    out.push_back(std::move(entry));
  }
  return out;
}

std::string_view mode_name(bool dry_run) { return dry_run ? "tabletop" : "live"; }

std::vector<RunMetrics> Metrics::runs() const {
  std::vector<RunMetrics> out = live.runs;
  out.insert(out.end(), tabletop.runs.begin(), tabletop.runs.end());
  std::sort(out.begin(), out.end(), [](const RunMetrics& a, const RunMetrics& b) { return a.run_id < b.run_id; });
  return out;
}

namespace {

// Scans one run into a fresh part, so that a run refused half-way adds nothing to the figures;
// `feed` hands every record to the scan in order. A refused run is listed as unreadable,
// under the mode its verified records gave.
template <typename Feed>
void scan_run(Metrics& metrics, const std::string& run_id, const MetricsOptions& options, Feed feed) {
  ModeMetrics part;
  RunScan scan(part, run_id, options);
  try {
    try {
      feed([&](const JournalRecord& record) { scan.read(record); });
    } catch (const nlohmann::json::exception& e) {
      throw JournalError(fmt::format("a record does not have the fields writ writes ({})", e.what()));
    }
    scan.finish();
  } catch (const JournalError& e) {
    metrics.unreadable.push_back({run_id, e.what(), e.problem == JournalProblem::unreadable, scan.dry_run()});
    return;
  }
  merge(metrics.of(scan.dry_run()), std::move(part));
}

}  // namespace

Metrics compute_metrics(const std::filesystem::path& state_dir, const MetricsOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(state_dir, ec)) {
    throw MetricsError(fmt::format("{}: not a state directory (no such directory)", state_dir.string()));
  }
  Metrics metrics;
  const auto runs_dir = state_dir / "runs";
  std::vector<std::filesystem::path> run_dirs;
  if (std::filesystem::is_directory(runs_dir, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(runs_dir, ec)) {
      if (entry.is_directory(ec)) run_dirs.push_back(entry.path());
    }
  }
  std::sort(run_dirs.begin(), run_dirs.end());
  for (const auto& dir : run_dirs) {
    const auto run_id = dir.filename().string();
    JournalStatus status;  // stays unkeyed when the journal is refused
    scan_run(metrics, run_id, options, [&](const auto& read) {
      status = scan_journal(dir / "journal.jsonl", JournalOptions{options.max_record_bytes, options.key},
                            [&](JournalRecord&& record) { read(record); });
    });
    if (status.keyed && !status.macs_checked) metrics.macs_unchecked.push_back(run_id);
  }
  return metrics;
}

Metrics compute_metrics(const RunStore& store, const MetricsOptions& options) {
  Metrics metrics;
  for (const auto& run_id : store.runs()) {
    JournalStatus status;
    scan_run(metrics, run_id, options, [&](const auto& read) {
      status = store.scan(run_id, JournalOptions{options.max_record_bytes, options.key},
                          [&](JournalRecord&& record) { read(record); });
    });
    if (status.keyed && !status.macs_checked) metrics.macs_unchecked.push_back(run_id);
  }
  return metrics;
}

}  // namespace writ::runtime
