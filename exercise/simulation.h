// Runs an exercise (DESIGN §16): every incident of the timeline through the real engine
// (runtime/engine.h, the interpreter `writ run` and `writ serve` use), on one virtual clock
// (virtual_clock.h), with
//   - simulated connectors (SimulatedConnector) that apply the drill's faults: failing attempts,
//     latency that advances the virtual clock (and times out like a slow service), permanent
//     failures, malformed replies; every other call succeeds without touching anything;
//   - a simulated approver (SimulatedApprovalGate) who answers after a delay on the virtual
//     clock — approved, refused, refused with rollback, malformed — or never (timeout);
//   - a real evidence store in a temporary directory, the artifacts each plan preserves staged
//     in a host image beside it (a `missing` artifact is not staged; a `changing` one is
//     rewritten while the store copies it, which the store must refuse as unstable).
// The temporary directory is removed when the simulation ends; what the reports need (logs,
// journal records, fault events, the store's verification) is returned.
// Errors: a problem of the drill the runbooks reveal (no runbook routes an event, an event
// that does not fit its runbook) is a refused run in the result, never an exception; a failure
// of the temporary directory throws SimulationError.
#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "exercise/exercise.h"
#include "runtime/connector.h"
#include "runtime/engine.h"

namespace writ::exercise {

struct SimulationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One injected fault as it happened, for the timeline.
struct FaultEvent {
  runtime::WallTime at;
  std::string run_id;
  std::string step;
  std::string subject;  // the action or the artifact
  std::string what;     // "attempt 1 failed (HTTP 503, 2 failing)", "latency 3m", "missing"
};

class FaultLog {
 public:
  void add(FaultEvent event);
  std::vector<FaultEvent> events() const;

 private:
  mutable std::mutex mutex_;
  std::vector<FaultEvent> events_;
};

// Connector faults by action; attempts are counted per run, step and action.
class SimulatedConnector final : public runtime::Connector {
 public:
  SimulatedConnector(std::vector<Fault> faults, runtime::Clock& clock, FaultLog& log);
  std::string_view kind() const override { return "simulated"; }
  runtime::ConnectorResult call(const runtime::ConnectorCall& call) override;

 private:
  std::vector<Fault> faults_;
  runtime::Clock& clock_;
  FaultLog& log_;
  std::map<std::string, int> attempts_;
};

// Answers as the drill's `approvals:` say (a step's own entry, else "*", else never).
class SimulatedApprovalGate final : public runtime::ApprovalGate {
 public:
  SimulatedApprovalGate(const std::map<std::string, ApprovalScript>& scripts, runtime::Clock& clock);
  std::string_view kind() const override { return "exercise"; }
  runtime::ApprovalDecision decide(const runtime::ApprovalRequest& request,
                                   std::chrono::milliseconds time_left) override;

 private:
  const std::map<std::string, ApprovalScript>& scripts_;
  runtime::Clock& clock_;
};

struct RunOutcome {
  const Incident* incident = nullptr;
  std::string run_id;
  std::string refused;  // why no run happened (then `log` is empty)
  runtime::ExecutionLog log;
  std::vector<std::pair<std::string, std::string>> plan;  // step id, effect, in plan order
  std::vector<runtime::JournalRecord> records;
  bool ran() const { return refused.empty(); }
};

struct EvidenceCheck {
  std::size_t requested = 0;  // artifacts the runs asked to preserve
  std::size_t preserved = 0;
  std::vector<std::string> failures;  // "path: why" for each not preserved
  bool store_intact = true;           // verify_store found no damage (or there was no store)
  std::string store_detail;           // "3 records, 2 objects, intact"
  bool verified() const { return store_intact && preserved == requested; }
};

struct SimulationResult {
  runtime::WallTime start{};
  runtime::WallTime end{};  // the virtual clock when the last run ended
  std::vector<RunOutcome> runs;
  std::vector<FaultEvent> faults;
  EvidenceCheck evidence;
};

// `runbooks` must have no check errors. `temp_parent`: where the temporary directory goes
// (empty: /dev/shm when it is a writable directory — the throwaway journal and store fsync
// every record — else the system's temporary directory).
SimulationResult simulate(const Exercise& exercise, std::shared_ptr<const runtime::RunbookSet> runbooks,
                          const std::string& temp_parent = {});

}  // namespace writ::exercise
