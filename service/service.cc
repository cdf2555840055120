#include "service/service.h"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "runtime/callback_approval.h"
#include "runtime/router.h"

namespace writ::service {

namespace fs = std::filesystem;
namespace rt = writ::runtime;

namespace {

constexpr std::string_view kOrigin = "serve:";  // event_origin of the runs the service started

void log_line(const std::string& message) { std::cerr << "writ serve: " << message << '\n'; }

}  // namespace

Service::Service(Authenticator& auth, rt::Clock& clock, ServiceOptions options)
    : auth_(auth), clock_(clock), options_(std::move(options)) {}

Service::~Service() { drain(); }

rt::EngineHooks Service::engine_hooks(rt::EngineHooks base) {
  base.stop = &stopping_;
  if (base.approvals_kind.empty() && !base.approvals) {
    base.approvals = [this](const rt::RunState& state) { return std::make_unique<rt::CallbackApprovalGate>(state, clock_); };
    base.approvals_kind = "callback";
  }
  return base;
}

void Service::start() {
  if (!engine_) throw std::logic_error("Service::start before attach");
  shared_ = engine_->store().shared();
  if (shared_) {
    // Other nodes may be driving any unfinished run: index them all, resume none here; the
    // sweep takes over those whose writer is gone.
    intake_.emplace(IntakeLog::open_shared(engine_->config().state_dir));
    refresh_index();
    for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker(); });
    threads_.emplace_back([this] { ticker(); });
    return;
  }
  intake_.emplace(IntakeLog::open(fs::path(engine_->config().state_dir) / "intake.jsonl"));
  for (const auto& id : engine_->store().runs()) {
    try {
      const auto state = engine_->read(id);
      if (state.start().value("event_origin", "").rfind(kOrigin, 0) != 0) continue;  // not a run of the service
      index_run(id);
      std::lock_guard lock(mutex_);
      if (!state.log().event_id.empty()) run_of_event_[state.log().event_id] = id;
      // Every unfinished run is resumed: one that waits for approval journals run_resumed, finds
      // its votes, and is announced if the crash came before its announcement.
      if (!state.finished() && queued_.insert(id).second) queue_.push_back(Job{JobKind::resume, id, ""});
    } catch (const std::exception& e) {
      log_line(fmt::format("run {}: not resumed: {}", id, e.what()));
    }
  }
  if (!queue_.empty()) log_line(fmt::format("resuming {} unfinished run(s)", queue_.size()));
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker(); });
  threads_.emplace_back([this] { ticker(); });
}

void Service::drain() {
  if (stopping_.exchange(true)) return;
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Service::reload(std::shared_ptr<const rt::RunbookSet> runbooks) { engine_->replace_runbooks(std::move(runbooks)); }

std::size_t Service::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Service::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return (queue_.empty() && busy_ == 0) || stopping_; });
}

bool Service::enqueue(Job job, bool force) {
  std::lock_guard lock(mutex_);
  if (!force && queue_.size() >= options_.queue_capacity) return false;
  if (!queued_.insert(job.run_id).second && job.kind == JobKind::proceed) return true;  // already on its way
  queue_.push_back(std::move(job));
  // notify_all: the ticker waits on wake_ too, and a notify_one that woke it would leave every
  // worker asleep with the job queued (a run continued only when something else woke them).
  wake_.notify_all();
  return true;
}

void Service::worker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // the queue's runs are journaled: the next start resumes them
      job = std::move(queue_.front());
      queue_.pop_front();
      queued_.erase(job.run_id);
      ++busy_;
    }
    run_job(job);
    std::lock_guard lock(mutex_);
    --busy_;
    if (queue_.empty() && busy_ == 0) idle_.notify_all();
  }
}

void Service::run_job(const Job& job) {
  const auto lock = run_lock(job.run_id);
  std::lock_guard guard(*lock);
  try {
    switch (job.kind) {
      case JobKind::proceed: engine_->proceed(job.run_id); break;
      case JobKind::resume: engine_->resume(job.run_id); break;
      case JobKind::rollback: engine_->rollback(job.run_id); break;
      case JobKind::remind: engine_->announce(job.run_id, job.step, true, options_.public_url + "/v1/runs/" + job.run_id); break;
    }
  } catch (const std::exception& e) {
    log_line(fmt::format("run {}: {}", job.run_id, e.what()));
  }
  try {
    index_run(job.run_id);
    announce(job.run_id);
  } catch (const std::exception& e) {
    log_line(fmt::format("run {}: cannot be read: {}", job.run_id, e.what()));
  }
}

// A step that starts waiting is announced once (DESIGN §14), from the worker that left it.
void Service::announce(const std::string& run_id) {
  std::vector<std::string> steps;
  {
    std::lock_guard lock(mutex_);
    steps = runs_[run_id].unannounced;
  }
  if (steps.empty()) return;
  for (const auto& step : steps) engine_->announce(run_id, step, false, options_.public_url + "/v1/runs/" + run_id);
  index_run(run_id);
}

// Runs waiting for a quorum whose approval timeout passed are queued (the gate refuses them),
// and so are waiting runs with a deadline clock that ran out (the overdue is journaled).
void Service::ticker() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.tick);
    if (stopping_) return;
    if (shared_) {
      lock.unlock();
      try {
        refresh_index();
        sweep();
      } catch (const std::exception& e) {
        log_line(fmt::format("the shared store cannot be read: {}", e.what()));
      }
      lock.lock();
    }
    std::vector<std::string> due;
    std::vector<Job> reminders;
    for (auto& [id, summary] : runs_) {
      if (summary.approval_expires && clock_.now() >= *summary.approval_expires) {
        summary.approval_expires.reset();
        due.push_back(id);
      } else if (summary.remind && clock_.now() >= summary.remind->first) {
        reminders.push_back(Job{JobKind::remind, id, summary.remind->second});
        summary.remind.reset();
      } else if (!summary.awaiting.empty() && summary.next_due && clock_.now() >= *summary.next_due) {
        summary.next_due.reset();  // a waiting run journals its clock's overdue transition
        due.push_back(id);
      }
    }
    lock.unlock();
    for (const auto& id : due) enqueue(Job{JobKind::proceed, id, ""}, true);
    for (auto& job : reminders) enqueue(std::move(job), true);
    lock.lock();
  }
}

void Service::index_run(const std::string& run_id) {
  const auto state = engine_->read(run_id);
  if (state.start().value("event_origin", "").rfind(kOrigin, 0) != 0) return;  // not a run of the service
  RunSummary summary;
  summary.status = state.finished() ? *state.finished() : "running";
  summary.runbook = state.plan().runbook;
  summary.event_id = state.log().event_id;
  summary.deadlines = state.log().deadlines;
  for (const auto& c : summary.deadlines) {
    const auto due = rt::parse_rfc3339(c.due_at);
    if (c.status == "pending" && due && (!summary.next_due || *due < *summary.next_due)) summary.next_due = due;
  }
  for (const auto& step : state.plan().steps) {
    const auto* p = state.find_step(step.id);
    if (p && p->task_pending && !state.finished()) {  // a parked task: woken at its due time to fail it
      summary.awaiting.push_back(step.id);
      const auto due = rt::parse_rfc3339(p->task_due_at);
      if (due && (!summary.approval_expires || *due < *summary.approval_expires)) summary.approval_expires = due;
      continue;
    }
    if (!p || !p->approval_pending || p->decision || state.finished()) continue;
    summary.awaiting.push_back(step.id);
    if (!p->announced) summary.unannounced.push_back(step.id);
    const auto asked = rt::parse_rfc3339(p->approval_requested_at);
    if (!asked || !step.approval) continue;
    const auto timeout = std::chrono::seconds(step.approval->timeout_seconds);
    if (!summary.approval_expires || *asked + timeout < *summary.approval_expires) summary.approval_expires = *asked + timeout;
    if (p->announced && !p->reminded) summary.remind = std::make_pair(*asked + timeout / 2, step.id);
  }
  std::lock_guard lock(mutex_);
  if (!summary.event_id.empty()) run_of_event_.emplace(summary.event_id, run_id);
  runs_[run_id] = std::move(summary);
}

void Service::refresh_index() {
  if (!shared_) return;
  std::lock_guard refreshing(refresh_mutex_);
  const auto heads = engine_->store().heads();
  std::vector<std::string> changed;
  for (const auto& [id, head] : heads) {
    auto it = seen_.find(id);
    if (it == seen_.end() || it->second.seq != head.seq) changed.push_back(id);
  }
  for (const auto& id : changed) {
    if (!rt::valid_run_id(id)) continue;
    try {
      index_run(id);
    } catch (const std::exception& e) {
      log_line(fmt::format("run {}: cannot be read: {}", id, e.what()));
    }
  }
  std::lock_guard lock(mutex_);
  seen_ = heads;
}

// Orphans: running, not waiting for a person, and unheld by any node for orphan_grace (its
// writer died or drained). Claimed with SKIP LOCKED, so two nodes never take the same one.
void Service::sweep() {
  std::vector<std::string> candidates;
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, head] : seen_) {
      auto it = runs_.find(id);
      const bool orphan = it != runs_.end() && it->second.status == "running" && it->second.awaiting.empty() && !head.leased &&
                          !queued_.count(id);
      if (!orphan) {
        unheld_since_.erase(id);
        continue;
      }
      const auto since = unheld_since_.emplace(id, now).first->second;
      if (now - since >= options_.orphan_grace) candidates.push_back(id);
    }
  }
  for (const auto& id : engine_->store().claim_unheld(candidates, static_cast<std::size_t>(options_.workers))) {
    log_line(fmt::format("run {}: its writer is gone; resuming it here", id));
    {
      std::lock_guard lock(mutex_);
      unheld_since_.erase(id);
    }
    enqueue(Job{JobKind::resume, id, ""}, true);
  }
}

bool Service::store_down() const { return shared_ && !engine_->store().writable(); }

std::shared_ptr<std::mutex> Service::run_lock(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  auto& slot = run_locks_[run_id];
  if (!slot) slot = std::make_shared<std::mutex>();
  return slot;
}

std::optional<std::string> Service::begin_run(const std::string& event_text, int& status, std::string& error, bool& unroutable,
                                              std::string* duplicate_of) {
  rt::Event event;
  try {
    event = rt::parse_event(event_text, "event", options_.max_json_depth);
  } catch (const std::exception& e) {
    status = 400;
    error = e.what();
    return std::nullopt;
  }
  const auto run_id = rt::new_run_id(clock_.now());
  const auto set = engine_->runbooks();
  try {
    auto probe = event;
    set->route(probe, run_id);
  } catch (const rt::RunRefused& e) {
    status = 422;
    error = e.what();
    unroutable = true;
    return std::nullopt;
  } catch (const rt::EventError& e) {
    status = 400;
    error = fmt::format("invalid event: {}", e.what());
    return std::nullopt;
  }
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.queue_capacity) {
      status = 429;
      error = fmt::format("the queue is full ({} runs waiting for a worker)", queue_.size());
      return std::nullopt;
    }
  }
  try {
    engine_->start(std::move(event), std::string(kOrigin) + "intake", run_id, false);
  } catch (const rt::PlanError& e) {
    status = 422;
    error = fmt::format("the runbook cannot run for this event: {}", e.what());
    return std::nullopt;
  } catch (const rt::JournalError& e) {  // nothing of this run was stored
    status = e.problem == rt::JournalProblem::duplicate ? 200 : e.problem == rt::JournalProblem::io ? 503 : 422;
    error = e.what();
    if (duplicate_of && e.problem == rt::JournalProblem::duplicate) *duplicate_of = e.other_run;
    return std::nullopt;
  } catch (const std::exception& e) {  // preflight, connectors, journal: nothing was started
    status = 422;
    error = e.what();
    return std::nullopt;
  }
  index_run(run_id);
  enqueue(Job{JobKind::proceed, run_id, ""}, true);
  return run_id;
}

}  // namespace writ::service
