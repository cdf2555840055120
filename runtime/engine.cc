#include "runtime/engine.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "common/regular_file.h"
#include "compiler/ir_json.h"
#include "runtime/connectors_config.h"
#include "runtime/deadlines.h"
#include "runtime/evidence/signing.h"
#include "runtime/evidence_sink.h"
#include "runtime/http_approval.h"
#include "runtime/interpreter.h"
#include "runtime/journal_key.h"
#include "runtime/router.h"
#include "runtime/static_approval.h"

namespace writ::runtime {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Everything the interpreter is handed for one start, resume or rollback.
struct Session {
  explicit Session(const RuntimeOptions& o) : options(o) {}
  RuntimeOptions options;
  SystemClock system_clock;
  HttpClient http{options.max_response_bytes, options.connect_timeout};
  Secrets secrets{options.max_error_excerpt_bytes};  // filled by the connectors and the gate
  ConnectorsConfig config;
  std::optional<ConnectorSet> connectors;
  std::unique_ptr<ApprovalGate> gate;
  std::unique_ptr<EvidenceSink> evidence;
  std::optional<writ::evidence::Ed25519PrivateKey> signing_key;
  EvidenceRoots evidence_roots;
  bool collect_evidence = true;
  nlohmann::json described = nlohmann::json::object();  // connectors/approvals/evidence, journaled

  Services services(Clock& clock, const std::atomic<bool>* stop) {
    return Services{*connectors, *gate, clock, evidence.get(), stop, &evidence_roots};
  }
};

JournalOptions journal_options(const std::optional<JournalKey>& key, const RuntimeOptions& runtime) {
  JournalOptions options;
  options.max_record_bytes = runtime.max_journal_record_bytes;
  options.key = key ? &*key : nullptr;
  return options;
}

std::optional<JournalKey> load_journal_key(const std::string& option, const std::optional<std::string>& configured) {
  const auto& path = option.empty() ? configured : std::optional<std::string>(option);
  if (!path) return std::nullopt;
  try {
    return JournalKey::load(*path);
  } catch (const JournalKeyError& e) {
    throw RunUsageError(e.what());
  }
}

ConnectorsConfig load_config(const std::string& path) {
  require_readable_input(path);
  try {
    return load_connectors_file(path);
  } catch (const ConfigError& e) {
    throw RunRefused(e.what());
  }
}

nlohmann::json typed_fields(const Event& event) {
  auto out = nlohmann::json::object();
  for (const auto& [name, value] : event.fields) out[name] = value_to_json(value);
  return out;
}

// Why a journal cannot be continued, as the user should read it.
[[noreturn]] void refuse_journal(const JournalError& e, const std::string& run_id) {
  switch (e.problem) {
    case JournalProblem::in_use:
      throw RunRefused(fmt::format("run {} is in use by another writ process", run_id));
    case JournalProblem::unreadable:
      throw RunUsageError(e.what());
    case JournalProblem::key:
    case JournalProblem::io:
    case JournalProblem::duplicate:
      throw RunRefused(e.what());
    case JournalProblem::corrupt:
      break;
  }
  throw RunRefused(fmt::format("corrupt journal, refusing to continue: {}", e.what()));
}

// Deadline clocks run from the event's detected_at, else from now (DESIGN §14).
WallTime clock_start(const Event& event, const Clock& clock) {
  const auto it = event.raw.find("detected_at");
  if (it != event.raw.end() && it->is_string()) {
    if (auto at = parse_rfc3339(it->get<std::string>())) return *at;
  }
  return clock.now();
}

}  // namespace

void require_readable_input(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw RunUsageError(path + ": no such file or directory");
  if (fs::is_directory(path, ec)) return;
  if (auto file = open_regular_file(path); !file) throw RunUsageError(file.error);
}

std::shared_ptr<const RunbookSet> RunbookSet::compile(const std::string& path, Catalog catalog) {
  auto set = std::make_shared<RunbookSet>();
  set->path_ = path;
  set->catalog_ = std::move(catalog);
  for (const auto& file : expand_inputs(path)) {
    set->files_.push_back(compile_file(file, set->catalog_, CompileOptions{}));
    for (const auto& d : set->files_.back().diagnostics) {
      if (!d.suppressed_by && d.severity == Severity::Error) set->errors_.push_back(d);
    }
  }
  sort_diagnostics(set->errors_);
  for (const auto& f : set->files_) {
    for (const auto& rb : f.runbooks) {
      set->runbooks_.push_back(&rb);
      set->file_of_[&rb] = absolute(f.source ? f.source->path() : path);
    }
  }
  return set;
}

RunbookSet::Routed RunbookSet::route(Event& event, const std::string& run_id) const {
  auto route = route_event(runbooks_, event, run_id);
  if (!route.runbook) throw RunRefused(route.error);
  return Routed{route.runbook, file_of_.at(route.runbook)};
}

Engine::Engine(std::shared_ptr<const RunbookSet> runbooks, EngineConfig config, Clock& clock, EngineHooks hooks)
    : runbooks_(std::move(runbooks)),
      config_(std::move(config)),
      clock_(clock),
      hooks_(std::move(hooks)),
      store_(config_.store ? config_.store : std::make_shared<FileRunStore>(config_.state_dir)) {
  if (runbooks_ && !runbooks_->errors().empty())
    throw std::invalid_argument("a runbook set with check errors never runs");
}

void Engine::replace_runbooks(std::shared_ptr<const RunbookSet> runbooks) {
  if (runbooks && !runbooks->errors().empty())
    throw std::invalid_argument("a runbook set with check errors never runs");
  std::lock_guard lock(mutex_);
  runbooks_ = std::move(runbooks);
}

std::shared_ptr<const RunbookSet> Engine::runbooks() const {
  std::lock_guard lock(mutex_);
  return runbooks_;
}

void Engine::note(const std::string& message) const {
  if (hooks_.note) hooks_.note(message);
}

void Engine::progress(const std::string& message) const {
  if (hooks_.progress) hooks_.progress(message);
}

// DESIGN §13: a static decisions file is a tabletop tool (a live run asks a service), and
// credentials never travel over plain http except to loopback. Usage errors, before anything.
void check_approvals_source(const std::string& source, bool dry_run) {
  if (source.empty()) return;
  if (source.find("://") != std::string::npos && !url_origin(source)) {  // shown redacted: it may hold a password
    throw RunUsageError(fmt::format("--approvals {}: not an http:// or https:// URL writ can use", redact_url(source)));
  }
  if (!url_origin(source)) {
    if (dry_run) return;
    throw RunUsageError(
        fmt::format("--approvals {}: a static decisions file is for tabletop exercises and needs --dry-run; "
                    "a live run asks an approval service (--approvals URL)",
                    source));
  }
  const bool token = env("WRIT_APPROVAL_TOKEN").has_value();
  if ((token || has_userinfo(source)) && !credentials_allowed(source)) {
    throw RunUsageError(
        fmt::format("--approvals {}: {} would travel over plain http to a host that is not loopback; use https",
                    redact_url(source), token ? "WRIT_APPROVAL_TOKEN" : "the URL's userinfo"));
  }
}

namespace {

void setup_connectors(Session& s, const std::string& path, bool dry_run, const EngineHooks& hooks) {
  const auto& note = hooks.note;
  if (hooks.connectors) {  // made by the caller (a drill): nothing to read
    s.config = default_connectors();
    s.connectors.emplace(hooks.connectors());
    if (dry_run) s.connectors->force_dry_run();
    s.described["connectors"] = {{"path", nullptr}, {"sha256", nullptr}, {"kind", hooks.connectors_kind}};
    s.described["dry_run"] = dry_run;
    return;
  }
  if (path.empty()) {
    s.config = default_connectors();
    if (!dry_run && note) note("no --connectors file: every action goes to the dry-run connector (nothing changes)");
  } else {
    s.config = load_config(path);
  }
  try {
    s.connectors.emplace(build_connectors(s.config, s.http, s.options, env, s.secrets));
  } catch (const ConfigError& e) {
    throw RunRefused(e.what());
  }
  if (dry_run) s.connectors->force_dry_run();
  s.described["connectors"] = {{"path", path.empty() ? nlohmann::json(nullptr) : nlohmann::json(absolute(path))},
                               {"sha256", path.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.config.sha256)}};
  s.described["dry_run"] = dry_run;
}

void setup_approvals(Session& s, const std::string& source, const Plan& plan,
                     const std::function<void(const std::string&)>& note) {
  if (source.empty()) {
    s.gate = std::make_unique<RefuseAllGate>();
    s.described["approvals"] = {{"kind", "none"}, {"source", nullptr}};
    return;
  }
  if (url_origin(source)) {
    s.gate = std::make_unique<HttpApprovalGate>(source, env("WRIT_APPROVAL_TOKEN"), s.http, s.system_clock, s.options,
                                                s.secrets);
    // Userinfo, query and fragment may hold credentials: never journaled (--resume asks again).
    const auto shown = redact_url(source);
    s.described["approvals"] = {{"kind", "http"}, {"source", shown}, {"redacted", shown != source}};
    return;
  }
  require_readable_input(source);
  try {
    auto gate = StaticApprovalGate::load(source, s.options);
    std::vector<std::string> unknown;
    for (const auto& step : gate.steps()) {
      if (!plan.find(step)) unknown.push_back(step);
    }
    if (!unknown.empty() && note)
      note(fmt::format("{} decides steps runbook `{}` does not have: {}", source, plan.runbook, joined(unknown)));
    s.gate = std::make_unique<StaticApprovalGate>(std::move(gate));
  } catch (const ApprovalsFileError& e) {
    throw RunRefused(e.what());
  }
  s.described["approvals"] = {{"kind", "file"}, {"source", absolute(source)}};
}

// The store, confined to `roots`, signing with --key or else the connectors file's signing_key.
void setup_evidence(Session& s, Clock& clock, const std::string& dir, EvidenceRoots roots, const std::string& key,
                    const EngineHooks& hooks) {
  const std::string key_path = key.empty() ? s.config.signing_key.value_or("") : key;
  if (!key_path.empty()) {
    std::string error;
    s.signing_key = writ::evidence::Ed25519PrivateKey::load(key_path, error);
    if (!s.signing_key) throw RunUsageError(error);
  }
  s.evidence_roots = std::move(roots);
  s.evidence = std::make_unique<StoreEvidenceSink>(dir, clock, std::string("writ ") + WRIT_VERSION, s.evidence_roots,
                                                   s.signing_key ? &*s.signing_key : nullptr, hooks.evidence_progress);
  s.described["evidence_dir"] = absolute(dir);
  s.described["evidence_roots"] = s.evidence_roots.to_json();
  s.described["evidence_key_id"] = s.signing_key ? nlohmann::json(s.signing_key->key_id()) : nlohmann::json(nullptr);
}

void refuse_if_unsafe(const Plan& plan, Session& s, const std::string& run_id) {
  const auto problems =
      preflight(plan, *s.connectors, s.evidence_roots, run_id, s.collect_evidence ? s.evidence.get() : nullptr);
  if (problems.empty()) return;
  std::string message = "the run cannot start:";
  for (const auto& p : problems) message += "\n  " + p;
  throw RunRefused(message);
}

}  // namespace

ExecutionLog Engine::start(Event event, const std::string& origin, const std::string& run_id, bool run_now) {
  if (!hooks_.approvals) check_approvals_source(config_.approvals, config_.dry_run);
  const auto set = runbooks();
  if (!set) throw std::logic_error("Engine::start without runbooks");
  const auto routed = set->route(event, run_id);
  const auto& runbook = *routed.runbook;
  const auto& policy = set->catalog().policy();
  const auto plan = make_plan(runbook, event, run_id, config_.options);
  Session s(config_.options);
  setup_connectors(s, config_.connectors, config_.dry_run, hooks_);
  RunState state;
  if (hooks_.approvals) {
    s.gate = hooks_.approvals(state);
    s.described["approvals"] = {{"kind", hooks_.approvals_kind}, {"source", nullptr}};
  } else {
    setup_approvals(s, config_.approvals, plan, hooks_.note);
  }
  setup_evidence(s, clock_,
                 config_.evidence.empty() ? (fs::path(config_.state_dir) / "evidence").string() : config_.evidence,
                 {policy.evidence_roots, s.config.evidence_roots, config_.artifact_root}, config_.key, hooks_);
  s.collect_evidence = !config_.dry_run || !config_.evidence.empty() || !config_.artifact_root.empty();
  s.described["collect_evidence"] = s.collect_evidence;
  refuse_if_unsafe(plan, s, run_id);
  const auto key = load_journal_key(config_.journal_key, s.config.journal_key);

  auto data = s.described;
  data.update({{"run_id", run_id},
               {"runbook", runbook.id},
               {"runbook_file", routed.file},
               {"title", runbook.title},
               {"severity", runbook.severity},
               {"digest", plan.digest},
               {"ir", ir::to_json(runbook)},
               {"plan", plan_to_json(plan)},
               {"event_text", event.text},
               {"event_origin", origin},
               {"event_id", event.id()},
               {"event_fields", typed_fields(event)},
               {"writ_version", WRIT_VERSION},
               {"approver_identity", policy.approver_identity_required ? "required" : "optional"},
               {"journal_key_id", key ? nlohmann::json(key->id()) : nlohmann::json(nullptr)},
               {"deadlines", clocks_to_json(start_clocks(runbook, set->catalog(), clock_start(event, clock_)))}});
  auto options = journal_options(key, config_.options);
  if (config_.claim_events) options.claim_event = event.id();
  auto journal = store_->create(run_id, options);
  progress(fmt::format("run {} started", run_id));
  Interpreter interpreter(state, *journal, s.services(clock_, hooks_.stop), s.options);
  if (run_now) {
    interpreter.start(std::move(data));
  } else {
    interpreter.begin(std::move(data));
  }
  return state.log();
}

namespace {

// The key of a run being continued. Never taken from the connectors file the journal names:
// whoever could rewrite the journal could name a file holding their own key.
std::optional<JournalKey> resume_key(const EngineConfig& config) {
  std::optional<std::string> configured;
  if (config.journal_key.empty() && !config.connectors.empty()) configured = load_config(config.connectors).journal_key;
  return load_journal_key(config.journal_key, configured);
}

// Rebuilds a run from its journal alone, holding the journal open (and locked) in `journal`.
RunState load_run(RunStore& store, const EngineConfig& config, const std::string& run_id,
                  std::unique_ptr<JournalSink>& journal, const std::function<void(const std::string&)>& note) {
  if (!valid_run_id(run_id)) throw RunUsageError(fmt::format("`{}` is not a run id", run_id));
  if (!store.exists(run_id)) throw RunUsageError(fmt::format("no run {} under {}", run_id, store.describe()));
  const auto key = resume_key(config);
  const auto where = store.locate(run_id);
  RunState state;
  JournalStatus status;
  try {
    journal = store.open(
        run_id, journal_options(key, config.options), [&](JournalRecord&& r) { state.apply(r); }, &status);
    if (status.record_count == 0) throw JournalError(where + ": the journal is empty");
    if (state.run_id() != run_id) {  // a whole journal (and head) moved from another run's directory
      throw JournalError(fmt::format("{}: the journal is run {}'s, not run {}'s", where, state.run_id(), run_id));
    }
  } catch (const JournalError& e) {
    refuse_journal(e, run_id);
  }
  if (!note) return state;
  if (status.torn_tail) note(where + ": dropped an unfinished last line (crash while writing)");
  if (status.past_head > 0) {
    note(where +
         ": journal.head was one record behind (crash between an append and the head's update); brought up to date");
  }
  return state;
}

// The services a continued run had, as its run_started record says; `asks`: the run may ask
// approvals (a rollback never does).
void setup_from_record(Session& s, Clock& clock, const EngineConfig& config, const EngineHooks& hooks,
                       const RunState& state, bool asks) {
  const auto& start = state.start();
  const bool dry_run = start.value("dry_run", false);
  auto connectors = config.connectors;
  const auto recorded = start.value("connectors", nlohmann::json::object());
  if (connectors.empty() && recorded.value("path", nlohmann::json()).is_string()) {
    connectors = recorded["path"].get<std::string>();
    if (load_config(connectors).sha256 != recorded.value("sha256", "")) {
      throw RunRefused(
          fmt::format("{} changed since the run started; pass --connectors to use it as it is now", connectors));
    }
  }
  if (hooks.approvals) {
    setup_connectors(s, connectors, dry_run, hooks);
    s.gate = hooks.approvals(state);
  } else {
    auto approvals = config.approvals;
    const auto gate = start.value("approvals", nlohmann::json::object());
    if (approvals.empty() && gate.value("source", nlohmann::json()).is_string()) {
      if (asks && gate.value("redacted", false)) {
        throw RunUsageError(
            fmt::format("run {}: its approval URL held userinfo, a query or a fragment, which are never "
                        "journaled; give --approvals URL again",
                        state.run_id()));
      }
      approvals = gate["source"].get<std::string>();
    }
    check_approvals_source(approvals, dry_run);
    setup_connectors(s, connectors, dry_run, hooks);
    setup_approvals(s, approvals, state.plan(), hooks.note);
  }
  // The roots the run started with, never recomputed (a journal from before they were
  // recorded: the connectors file's).
  auto roots = EvidenceRoots::from_json(start.value("evidence_roots", nlohmann::json()));
  setup_evidence(s, clock,
                 config.evidence.empty()
                     ? start.value("evidence_dir", (fs::path(config.state_dir) / "evidence").string())
                     : config.evidence,
                 roots.value_or(EvidenceRoots{{}, s.config.evidence_roots, {}}), config.key, hooks);
  s.collect_evidence = start.value("collect_evidence", !dry_run);
}

}  // namespace

ExecutionLog Engine::resume(const std::string& run_id, bool* finished) {
  return continue_run(run_id, Mode::resume, finished);
}

ExecutionLog Engine::proceed(const std::string& run_id) { return continue_run(run_id, Mode::proceed, nullptr); }

ExecutionLog Engine::rollback(const std::string& run_id, bool* already) {
  return continue_run(run_id, Mode::rollback, already);
}

ExecutionLog Engine::continue_run(const std::string& run_id, Mode mode, bool* flag) {
  std::unique_ptr<JournalSink> journal;
  auto state = load_run(*store_, config_, run_id, journal, hooks_.note);
  if (flag) *flag = false;
  if (mode == Mode::rollback) {
    if (!state.finished() && !state.rollback_trigger()) {
      throw RunRefused(fmt::format("run {} has not finished; finish it first with `writ run --resume {} --state {}`",
                                   run_id, run_id, config_.state_dir));
    }
    if (state.finished() == std::optional<std::string>("rolled_back")) {
      if (flag) *flag = true;
      return state.log();
    }
  } else if (state.finished()) {
    if (flag) *flag = true;
    return state.log();
  }
  Session s(config_.options);
  setup_from_record(s, clock_, config_, hooks_, state, mode != Mode::rollback);
  if (mode != Mode::rollback) refuse_if_unsafe(state.plan(), s, run_id);
  Interpreter interpreter(state, *journal, s.services(clock_, hooks_.stop), s.options);
  switch (mode) {
    case Mode::resume:
      progress(fmt::format("run {} resumed", run_id));
      interpreter.resume(s.described);
      break;
    case Mode::proceed:
      interpreter.proceed();
      break;
    case Mode::rollback:
      progress(fmt::format("run {} rolling back", run_id));
      interpreter.rollback();
      break;
  }
  return state.log();
}

namespace {

nlohmann::json announcement(const RunState& state, const PlannedStep& step, bool reminder, const std::string& url,
                            const std::string& requested_at) {
  const auto& plan = state.plan();
  const auto asked = parse_rfc3339(requested_at);
  const auto expires =
      asked ? format_rfc3339(*asked + std::chrono::seconds(step.approval->timeout_seconds)) : std::string();
  nlohmann::json out = {{"type", "approval_request"},
                        {"run_id", state.run_id()},
                        {"step", step.id},
                        {"required_roles", step.approval->roles},
                        {"context",
                         {{"event", state.event()},
                          {"action", step.action},
                          {"args", step.args},
                          {"runbook", {{"id", plan.runbook}, {"title", plan.title}, {"severity", plan.severity}}}}},
                        {"url", url},
                        {"expires_at", expires}};
  if (step.for_each) {  // one approval covers every element: the approvers see them all
    out["context"]["targets"] = step.targets();
    out["context"]["elements"] = step.element_args();
  }
  if (reminder) out["reminder"] = true;
  return out;
}

}  // namespace

bool Engine::announce(const std::string& run_id, const std::string& step_id, bool reminder, const std::string& url) {
  std::unique_ptr<JournalSink> journal;
  auto state = load_run(*store_, config_, run_id, journal, nullptr);
  const auto* step = state.plan().find(step_id);
  const auto* p = state.find_step(step_id);
  if (!step || !step->approval || !p || !p->approval_pending || p->decision || state.finished()) return false;
  if (reminder ? p->reminded : p->announced) return false;
  Session s(config_.options);
  setup_from_record(s, clock_, config_, hooks_, state, false);
  const auto route = s.config.routes.find("approval_request");
  if (route == s.config.routes.end() || !s.connectors->route_of("approval_request")) return false;
  const auto connector = *s.connectors->route_of("approval_request");
  ConnectorCall call{run_id,
                     step_id,
                     "approval_request",
                     announcement(state, *step, reminder, url, p->approval_requested_at),
                     idempotency_key(run_id, step_id, reminder ? "approval_reminder" : "approval_request"),
                     1,
                     std::chrono::seconds(10)};
  const auto result = s.connectors->get(connector).call(call);
  try {
    journal->append("approval_announced", clock_.now(),
                    {{"step", step_id},
                     {"reminder", reminder},
                     {"connector", connector},
                     {"ok", result.ok},
                     {"error", result.ok ? nlohmann::json(nullptr) : nlohmann::json(result.error)}});
  } catch (const JournalError& e) {
    refuse_journal(e, run_id);
  }
  return result.ok;
}

std::optional<std::string> task_refusal(const RunState& state, const std::string& step) {
  const auto& run = state.run_id();
  const auto* planned = state.plan().find(step);
  if (!planned) return fmt::format("run {} has no step `{}`", run, step);
  if (!planned->task) return fmt::format("step `{}` of run {} is not a task (action `{}`)", step, run, planned->action);
  const auto* p = state.find_step(step);
  if (p && p->task_done)
    return fmt::format("task `{}` of run {} was already marked done by {} at {}", step, run, p->task_done->by,
                       p->task_done->at);
  if (state.finished())
    return fmt::format("run {} has finished ({}): task `{}` can no longer be marked done", run, *state.finished(),
                       step);
  if (!p || !p->task_pending || p->status)
    return fmt::format("task `{}` of run {} is not waiting to be done (the run has not reached it)", step, run);
  return std::nullopt;
}

RunState Engine::complete_task(const std::string& run_id, const std::string& step, const std::string& by,
                               const std::string& note, const std::string& via) {
  if (note.size() > 1024) throw RunUsageError(fmt::format("the note has {} bytes, more than 1024", note.size()));
  if (note.find('\0') != std::string::npos) throw RunUsageError("the note holds a NUL character (U+0000)");
  if (!valid_run_id(run_id)) throw RunUsageError(fmt::format("`{}` is not a run id", run_id));
  if (!store_->exists(run_id)) throw RunUsageError(fmt::format("no run {} under {}", run_id, store_->describe()));
  if (auto why = task_refusal(read(run_id), step)) throw RunRefused(*why);
  return append(run_id, "task_done", {{"step", step}, {"by", by}, {"note", note}, {"via", via}});
}

RunState Engine::read(const std::string& run_id) const {
  if (!valid_run_id(run_id)) throw RunUsageError(fmt::format("`{}` is not a run id", run_id));
  RunState state;
  try {
    store_->scan(run_id, journal_options(std::nullopt, config_.options), [&](JournalRecord&& r) { state.apply(r); });
  } catch (const JournalError& e) {
    refuse_journal(e, run_id);
  }
  return state;
}

RunState Engine::append(const std::string& run_id, const std::string& type, nlohmann::json data) {
  std::unique_ptr<JournalSink> journal;
  auto state = load_run(*store_, config_, run_id, journal, nullptr);
  try {
    auto probe = state;  // a record the run would refuse is never written
    probe.apply(JournalRecord{journal->last_seq() + 1, type, format_rfc3339(clock_.now()), data, "", ""});
  } catch (const JournalError& e) {
    throw RunRefused(fmt::format("run {}: {}", run_id, e.what()));
  }
  try {
    state.apply(journal->append(type, clock_.now(), std::move(data)));
  } catch (const JournalError& e) {
    refuse_journal(e, run_id);
  }
  return state;
}

}  // namespace writ::runtime
