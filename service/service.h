// `writ serve` without the HTTP transport (DESIGN §14): routes a request (method, path,
// credentials, body) to a response, and drives runs on a pool of workers through the one
// runtime::Engine. The store is the §9 file layout: STATE/runs/RUN_ID/journal.jsonl per run
// and STATE/intake.jsonl for what did not become a run (intake_log.h).
//
// Guarantees: an event is answered 202 only once its run's run_started is journaled (fsynced),
// so a crash after the answer loses nothing — start() resumes it; an event id seen before
// answers 200 with the same run and is counted; a run waiting for approval holds no worker
// (role-bound votes arrive by POST and are journaled; the last one needed queues the run);
// drain() stops intake and every run before its next step, leaving them to the next start().
// Thread-safety: handle() may be called from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/clock.h"
#include "runtime/deadlines.h"
#include "runtime/engine.h"
#include "service/auth.h"
#include "service/intake_log.h"

namespace writ::service {

// Every limit of the service, in one place (each tested in tests/unit/service/service_test.cc).
struct ServiceOptions {
  std::size_t max_body_bytes = 1024 * 1024;  // larger request bodies: 413
  std::size_t queue_capacity = 1000;         // runs waiting for a worker; more: 429
  int workers = 4;
  std::chrono::seconds retry_after{1};             // Retry-After of a 429
  std::chrono::milliseconds tick{std::chrono::milliseconds(250)};  // approval timeouts are checked this often
  std::size_t max_json_depth = 64;
  std::string public_url = "http://127.0.0.1:8080";  // status_url and approval links
  // Shared store (DESIGN §15): a running run no node has held for this long is resumed here.
  std::chrono::milliseconds orphan_grace{std::chrono::seconds(15)};
};

struct Request {
  std::string method;
  std::string path;  // without the query
  std::map<std::string, std::string> query;
  std::string authorization;  // header values, "" when absent
  std::string signature;
  std::string body;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
};

class Service {
 public:
  // `auth` and `clock` outlive the service.
  Service(Authenticator& auth, runtime::Clock& clock, ServiceOptions options);
  ~Service();

  // `base` plus what the engine's runs must use under the service: its stop flag and, unless
  // `base` brings a gate (--approvals URL: approvals_kind set), role-bound callback approvals.
  runtime::EngineHooks engine_hooks(runtime::EngineHooks base);
  // The engine made with engine_hooks(); it outlives the service. Before start().
  void attach(runtime::Engine& engine) { engine_ = &engine; }

  // Opens the intake log, indexes STATE/runs, queues every unfinished run of the service, and
  // starts the workers. Throws IntakeError for a corrupt intake log.
  void start();
  Response handle(const Request& request);
  // Replaces the runbook set (already checked by the caller: SIGHUP).
  void reload(std::shared_ptr<const runtime::RunbookSet> runbooks);
  // Stops intake (503) and every run before its next step; joins the workers.
  void drain();

  std::size_t queue_depth() const;
  // Blocks until the queue is empty and no worker is busy (tests, benchmarks).
  void wait_idle();

 private:
  enum class JobKind { proceed, resume, rollback, remind };
  struct Job {
    JobKind kind;
    std::string run_id;
    std::string step;  // remind
  };
  struct RunSummary {
    std::string status = "running";
    std::string runbook;
    std::string event_id;
    std::vector<std::string> awaiting;
    std::optional<runtime::WallTime> approval_expires;  // the first waiting approval's timeout or task's due time
    std::vector<std::string> unannounced;  // awaiting steps whose request was not sent yet
    std::optional<std::pair<runtime::WallTime, std::string>> remind;  // when, which step
    std::vector<runtime::DeadlineClock> deadlines;
    std::optional<runtime::WallTime> next_due;  // earliest due_at of a pending clock
  };

  Response route(const Request& request, const Principal& who);
  Response post_events(const Request& request);
  Response intake_one(const nlohmann::json& event, nlohmann::json& runs, nlohmann::json& unrouted, bool& accepted);
  Response get_runs(const Request& request);
  Response get_run(const std::string& run_id);
  Response post_approval(const std::string& run_id, const std::string& step, const Request& request, const Principal& who);
  Response post_complete(const std::string& run_id, const std::string& step, const Request& request, const Principal& who);
  Response post_rollback(const std::string& run_id);
  Response get_intake(const Request& request);
  Response replay(const std::string& id);
  Response metrics();
  Response ready();
  Response guarded(const Request& request, const Principal& who);

  // Shared store: indexes the runs other nodes wrote since the last look, and resumes the
  // runs whose writer is gone (running, not waiting, unheld for orphan_grace).
  void refresh_index();
  void sweep();
  bool store_down() const;

  // A new run for `event_text` (typed and routed now). Sets `status`/`error` on failure:
  // 400 bad event, 422 unroutable or unrunnable, 429 queue full.
  // `duplicate_of`: the run that already holds the event's id (shared store; status 200).
  std::optional<std::string> begin_run(const std::string& event_text, int& status, std::string& error, bool& unroutable,
                                       std::string* duplicate_of = nullptr);
  bool enqueue(Job job, bool force = false);
  void worker();
  void ticker();
  void run_job(const Job& job);
  void index_run(const std::string& run_id);
  void announce(const std::string& run_id);
  std::shared_ptr<std::mutex> run_lock(const std::string& run_id);
  nlohmann::json run_entry(const std::string& run_id, const RunSummary& summary) const;

  runtime::Engine* engine_ = nullptr;
  Authenticator& auth_;
  runtime::Clock& clock_;
  ServiceOptions options_;
  std::atomic<bool> stopping_{false};

  std::mutex intake_mutex_;  // serialises intake: dedupe and the intake log
  std::optional<IntakeLog> intake_;
  std::map<std::string, std::string> run_of_event_;

  mutable std::mutex mutex_;  // the index, the queue, the run locks
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::map<std::string, RunSummary> runs_;
  std::deque<Job> queue_;
  std::set<std::string> queued_;
  int busy_ = 0;
  std::map<std::string, std::shared_ptr<std::mutex>> run_locks_;
  std::map<std::string, std::uint64_t> events_;  // accepted, duplicate, unrouted, invalid
  std::vector<std::thread> threads_;

  bool shared_ = false;                                 // the store is shared by several nodes
  std::mutex refresh_mutex_;                            // one refresh at a time
  std::map<std::string, runtime::RunStore::Head> seen_;  // heads as last indexed (shared store)
  std::map<std::string, runtime::WallTime> unheld_since_;
};

}  // namespace writ::service
