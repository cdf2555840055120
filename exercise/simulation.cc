#include "exercise/simulation.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "exercise/virtual_clock.h"
#include "runtime/evidence/verify.h"
#include "runtime/plan.h"

namespace writ::exercise {

namespace {

namespace fs = std::filesystem;
namespace rt = writ::runtime;

// The journal and the evidence store fsync every record; in a throwaway store that costs
// wall time and buys nothing, so a memory file system is preferred when there is one.
fs::path default_parent(std::error_code& ec) {
  if (::access("/dev/shm", W_OK | X_OK) == 0 && fs::is_directory("/dev/shm", ec)) return "/dev/shm";
  return fs::temp_directory_path(ec);
}

// A fresh directory, removed with everything in it when done.
class TempDir {
 public:
  explicit TempDir(const std::string& parent) {
    std::error_code ec;
    const fs::path base = parent.empty() ? default_parent(ec) : fs::path(parent);
    if (ec) throw SimulationError(fmt::format("no temporary directory: {}", ec.message()));
    std::string pattern = (base / "writ-exercise.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw SimulationError(fmt::format("cannot create a directory in {}", base.string()));
    path_ = fs::canonical(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

fs::path staged(const fs::path& host, const std::string& artifact) { return host / fs::path(artifact).relative_path(); }

bool has_fault(const Exercise& x, const std::string& artifact, bool Fault::*kind) {
  return std::any_of(x.faults.begin(), x.faults.end(),
                     [&](const Fault& f) { return f.artifact == artifact && f.*kind; });
}

// Synthetic bytes for an artifact the plan preserves (unless the drill says it is missing).
void stage(const Exercise& x, const fs::path& host, const std::string& artifact) {
  if (has_fault(x, artifact, &Fault::missing)) return;
  const auto path = staged(host, artifact);
  std::error_code ec;
  if (fs::exists(path, ec)) return;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < 256; ++i) out << "writ exercise artifact " << artifact << " block " << i << '\n';
  if (!out) throw SimulationError(fmt::format("cannot stage {} in {}", artifact, host.string()));
}

struct Prepared {
  std::string refused;
  std::vector<std::string> artifacts;
};

// Routes and plans an incident as the engine will (both are deterministic), to stage what its
// plan preserves before the run begins.
Prepared prepare(const rt::RunbookSet& set, const Incident& incident, const std::string& run_id) {
  Prepared out;
  try {
    auto event = incident.event;
    const auto routed = set.route(event, run_id);
    for (const auto& step : rt::make_plan(*routed.runbook, event, run_id, rt::RuntimeOptions{}).steps) {
      if (!step.enabled) continue;
      // A for-each step preserves per element; a step rendered only when reached (it reads
      // steps.*) names no artifact yet, and its paths are staged by nobody (they fail as missing).
      for (std::size_t unit = 0; unit < step.units(); ++unit) {
        const auto& paths = step.artifacts(step.for_each ? static_cast<int>(unit) : -1);
        out.artifacts.insert(out.artifacts.end(), paths.begin(), paths.end());
      }
    }
  } catch (const std::runtime_error& e) {  // RunRefused, EventError, PlanError
    out.refused = e.what();
  }
  return out;
}

// A `changing` artifact grows while the store copies it, once per copy (its size at open is the
// copy's `total`): the store must refuse it as unstable.
void change_during_copy(const Exercise& x, const fs::path& host, const std::string& artifact, std::uint64_t total) {
  if (!has_fault(x, artifact, &Fault::changing)) return;
  const auto path = staged(host, artifact);
  std::error_code ec;
  if (fs::file_size(path, ec) != total || ec) return;
  std::ofstream(path, std::ios::binary | std::ios::app) << "written while the copy ran\n";
}

// The artifact faults as they struck, from the journal: where the store was asked for a missing
// or changing artifact (and refused it).
void artifact_faults(const Exercise& x, const RunOutcome& run, FaultLog& log) {
  for (const auto& r : run.records) {
    if (r.type != "evidence_failed") continue;
    const auto artifact = r.data.value("artifact", std::string());
    const auto at = rt::parse_rfc3339(r.at);
    const bool missing = has_fault(x, artifact, &Fault::missing);
    if (!at || (!missing && !has_fault(x, artifact, &Fault::changing))) continue;
    log.add({*at, run.run_id, r.data.value("step", std::string()), artifact,
             missing ? "missing from the host" : "changed while it was being copied"});
  }
}

rt::EngineHooks hooks(const Exercise& x, const fs::path& host, VirtualClock& clock, FaultLog& log) {
  rt::EngineHooks h;
  h.approvals = [&x, &clock](const rt::RunState&) {
    return std::make_unique<SimulatedApprovalGate>(x.approvals, clock);
  };
  h.approvals_kind = "exercise";
  h.connectors = [&x, &clock, &log] {
    rt::ConnectorSet set;
    set.add("simulated", std::make_unique<SimulatedConnector>(x.faults, clock, log));
    set.route("*", "simulated");
    return set;
  };
  h.connectors_kind = "exercise";
  h.evidence_progress = [&x, host](const std::string& artifact, std::uint64_t, std::uint64_t total) {
    change_during_copy(x, host, artifact, total);
  };
  return h;
}

void collect(rt::Engine& engine, RunOutcome& run) {
  engine.store().scan(run.run_id, rt::JournalOptions{},
                      [&](rt::JournalRecord&& r) { run.records.push_back(std::move(r)); });
  const auto state = engine.read(run.run_id);
  for (const auto& step : state.plan().steps) run.plan.emplace_back(step.id, step.effect);
}

EvidenceCheck check_evidence(const std::vector<RunOutcome>& runs, const fs::path& store) {
  EvidenceCheck out;
  for (const auto& run : runs) {
    for (const auto& r : run.records) {
      if (r.type == "evidence_requested") ++out.requested;
      if (r.type == "evidence_preserved") ++out.preserved;
      if (r.type == "evidence_failed") out.failures.push_back(r.data.value("error", std::string("not preserved")));
    }
  }
  std::error_code ec;
  if (!fs::exists(store / "custody.jsonl", ec)) {
    out.store_detail = "no evidence was collected";
    return out;
  }
  const auto report = evidence::verify_store(store);
  out.store_intact = report.status == evidence::VerifyStatus::intact;
  out.store_detail = out.store_intact
                         ? fmt::format("store intact: {} records, {} objects", report.records, report.objects)
                         : fmt::format("store damaged: {}",
                                       report.findings.empty()
                                           ? report.error
                                           : report.findings.front().item + ": " + report.findings.front().message);
  return out;
}

// The human task a parked run waits on, or nothing.
std::optional<std::string> waiting_task(const rt::RunState& state) {
  if (state.finished()) return std::nullopt;
  for (const auto& step : state.plan().steps) {
    const auto* p = state.find_step(step.id);
    if (step.task && p && p->task_pending && !p->task_done) return step.id;
  }
  return std::nullopt;
}

// A run parked on a human task, driven as `writ task done` and `writ run --resume` would: the
// assignee marks it done after the drill's `after`, or nobody does and, once its time is up,
// the resumed run fails the step. Each wait yields the virtual clock to the other incidents.
void drive_tasks(const Exercise& x, rt::Engine& engine, VirtualClock& clock, RunOutcome& run) {
  while (auto step = waiting_task(engine.read(run.run_id))) {
    auto script = x.tasks.find(*step);
    if (script == x.tasks.end()) script = x.tasks.find("*");
    if (script != x.tasks.end() && script->second.after) {
      clock.sleep_for(*script->second.after);
      engine.complete_task(run.run_id, *step, "drill", script->second.note, "writ test");
    } else {
      const auto due = rt::parse_rfc3339(engine.read(run.run_id).find_step(*step)->task_due_at);
      const auto now = clock.now();
      clock.sleep_for(std::chrono::duration_cast<Millis>((due && *due > now ? *due - now : rt::WallTime::duration{}) +
                                                         std::chrono::seconds(1)));
    }
    run.log = engine.resume(run.run_id);
  }
}

// The run of one incident, as an actor of the virtual clock: a refusal the user can fix is the
// run's outcome; anything else is writ's bug, rethrown once every actor has ended.
Actor actor_for(const Exercise& x, rt::Engine& engine, VirtualClock& clock, RunOutcome& run, std::exception_ptr& bug) {
  return {run.incident->at, [&x, &engine, &clock, &run, &bug] {
            try {
              run.log = engine.start(run.incident->event, run.incident->origin, run.run_id);
              drive_tasks(x, engine, clock, run);
              collect(engine, run);
            } catch (const rt::RunRefused& e) {
              run.refused = e.what();
            } catch (...) {
              bug = std::current_exception();
            }
          }};
}

}  // namespace

SimulationResult simulate(const Exercise& x, std::shared_ptr<const rt::RunbookSet> runbooks,
                          const std::string& temp_parent) {
  TempDir dir(temp_parent);
  const auto host = dir.path() / "host";
  fs::create_directories(host);
  VirtualClock clock(x.clock);
  FaultLog faults;
  rt::EngineConfig config;
  config.state_dir = (dir.path() / "state").string();
  config.evidence = (dir.path() / "evidence").string();
  config.artifact_root = host.string();
  rt::Engine engine(runbooks, config, clock, hooks(x, host, clock, faults));

  SimulationResult result;
  result.start = x.clock;
  result.runs.resize(x.incidents.size());
  std::vector<Actor> actors;
  std::vector<std::exception_ptr> bugs(x.incidents.size());
  for (std::size_t i = 0; i < x.incidents.size(); ++i) {
    auto& run = result.runs[i];
    run.incident = &x.incidents[i];
    run.run_id = fmt::format("drill-{:03}", i + 1);
    const auto prepared = prepare(*runbooks, *run.incident, run.run_id);
    for (const auto& artifact : prepared.artifacts) stage(x, host, artifact);
    run.refused = prepared.refused;
    if (run.refused.empty()) actors.push_back(actor_for(x, engine, clock, run, bugs[i]));
  }
  clock.run(std::move(actors));
  for (const auto& bug : bugs) {
    if (bug) std::rethrow_exception(bug);
  }
  result.end = clock.now();
  for (auto& run : result.runs) {
    rt::overdue_clocks(run.log.deadlines, result.end);
    artifact_faults(x, run, faults);
  }
  result.faults = faults.events();
  std::stable_sort(result.faults.begin(), result.faults.end(),
                   [](const FaultEvent& a, const FaultEvent& b) { return a.at < b.at; });
  result.evidence = check_evidence(result.runs, config.evidence);
  return result;
}

}  // namespace writ::exercise
