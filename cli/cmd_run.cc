// `writ run` (new run, --resume) and `writ rollback` (DESIGN §8-§9). The verbs only wire
// things together: compile and route (compiler + runtime/router.h), build the connectors, the
// approval gate and the evidence sink, open the journal, and hand them to the interpreter.
// Exit: 0 only for a `completed` run (or a rollback that `rolled_back`); 1 for any other run
// status, an invalid runbook, event, connectors file, approvals file or journal, and a run in
// use by another writ process; 2 usage, including a journal, journal.head or --journal-key
// file that is not a regular file, and an unusable key file.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "cli/cli_support.h"
#include "common/text.h"
#include "compiler/emit/emit.h"
#include "compiler/ir_json.h"
#include "compiler/pipeline.h"
#include "runtime/approval.h"
#include "runtime/connectors_config.h"
#include "runtime/event.h"
#include "runtime/evidence/signing.h"
#include "runtime/evidence_sink.h"
#include "runtime/execution_log.h"
#include "runtime/http_approval.h"
#include "runtime/interpreter.h"
#include "runtime/journal_key.h"
#include "runtime/json_input.h"
#include "runtime/router.h"
#include "runtime/static_approval.h"

namespace writ::cli {

namespace {

namespace fs = std::filesystem;
namespace rt = writ::runtime;

// A run refused before or while it runs for a reason the user can fix: message, exit 1.
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunArgs {
  std::string runbook;
  std::string event;
  std::string approvals;
  std::string connectors;
  std::string evidence;
  std::string state = ".writ-state";
  std::string format = "text";
  std::string resume;
  std::string key;  // Ed25519 private key signing the evidence store's checkpoints
  std::string journal_key;
  std::vector<std::string> policies;
  std::string artifact_root;  // a tabletop's staged host image (--dry-run only)
  bool dry_run = false;
};

std::optional<std::string> env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

// --artifact-root DIR: a tabletop reads the runbook's artifact paths beneath DIR, as if DIR were
// "/" (main.sh stages synthetic artifacts there instead of writing to the real paths). A live run
// collects from the real host only. Resolved once, so --resume and rollback read the same place.
std::string host_root(const RunArgs& args) {
  if (args.artifact_root.empty()) return {};
  if (!args.dry_run) {
    throw UsageError(fmt::format("--artifact-root {}: a staged host image is for tabletop exercises and needs --dry-run",
                                 args.artifact_root));
  }
  std::error_code ec;
  if (!fs::is_directory(args.artifact_root, ec)) {
    throw UsageError(fmt::format("--artifact-root {}: {}", args.artifact_root,
                                 ec ? ec.message() : std::string("not a directory")));
  }
  return fs::canonical(args.artifact_root).string();
}

// Everything the interpreter is handed; lives as long as the invocation.
struct Session {
  rt::RuntimeOptions options;
  rt::SystemClock clock;
  rt::HttpClient http{options.max_response_bytes, options.connect_timeout};
  rt::Secrets secrets{options.max_error_excerpt_bytes};  // filled by the connectors and the gate
  rt::ConnectorsConfig config;
  std::optional<rt::ConnectorSet> connectors;
  std::unique_ptr<rt::ApprovalGate> gate;
  std::unique_ptr<rt::EvidenceSink> evidence;
  std::optional<writ::evidence::Ed25519PrivateKey> signing_key;
  rt::EvidenceRoots evidence_roots;
  bool collect_evidence = true;
  nlohmann::json described = nlohmann::json::object();  // connectors/approvals/evidence, journaled

  rt::Services services() { return rt::Services{*connectors, *gate, clock, evidence.get()}; }
};

void setup_connectors(Session& s, const std::string& path, bool dry_run) {
  if (path.empty()) {
    s.config = rt::default_connectors();
    if (!dry_run) std::cerr << "writ: note: no --connectors file: every action goes to the dry-run connector (nothing changes)\n";
  } else {
    require_readable(path);
    try {
      s.config = rt::load_connectors_file(path);
    } catch (const rt::ConfigError& e) {
      throw Refused(e.what());
    }
  }
  try {
    s.connectors.emplace(rt::build_connectors(s.config, s.http, s.options, env, s.secrets));
  } catch (const rt::ConfigError& e) {
    throw Refused(e.what());
  }
  if (dry_run) s.connectors->force_dry_run();
  s.described["connectors"] = {{"path", path.empty() ? nlohmann::json(nullptr) : nlohmann::json(absolute(path))},
                               {"sha256", path.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.config.sha256)}};
  s.described["dry_run"] = dry_run;
}

// DESIGN §13: a static decisions file is a tabletop tool (a live run asks a service), and
// credentials never travel over plain http except to loopback. Usage errors, before anything.
void check_approvals_source(const std::string& source, bool dry_run) {
  if (source.empty()) return;
  if (source.find("://") != std::string::npos && !rt::url_origin(source)) {  // shown redacted: it may hold a password
    throw UsageError(fmt::format("--approvals {}: not an http:// or https:// URL writ can use", rt::redact_url(source)));
  }
  if (!rt::url_origin(source)) {
    if (dry_run) return;
    throw UsageError(fmt::format("--approvals {}: a static decisions file is for tabletop exercises and needs --dry-run; "
                                 "a live run asks an approval service (--approvals URL)", source));
  }
  const bool token = env("WRIT_APPROVAL_TOKEN").has_value();
  if ((token || rt::has_userinfo(source)) && !rt::credentials_allowed(source)) {
    throw UsageError(fmt::format("--approvals {}: {} would travel over plain http to a host that is not loopback; use https",
                                 rt::redact_url(source), token ? "WRIT_APPROVAL_TOKEN" : "the URL's userinfo"));
  }
}

void setup_approvals(Session& s, const std::string& source, const rt::Plan* plan) {
  if (source.empty()) {
    s.gate = std::make_unique<rt::RefuseAllGate>();
    s.described["approvals"] = {{"kind", "none"}, {"source", nullptr}};
    return;
  }
  if (rt::url_origin(source)) {
    s.gate = std::make_unique<rt::HttpApprovalGate>(source, env("WRIT_APPROVAL_TOKEN"), s.http, s.clock, s.options, s.secrets);
    // Userinfo, query and fragment may hold credentials: never journaled (--resume asks again).
    const auto shown = rt::redact_url(source);
    s.described["approvals"] = {{"kind", "http"}, {"source", shown}, {"redacted", shown != source}};
    return;
  }
  require_readable(source);
  try {
    auto gate = rt::StaticApprovalGate::load(source, s.options);
    std::vector<std::string> unknown;
    for (const auto& step : gate.steps()) {
      if (plan && !plan->find(step)) unknown.push_back(step);
    }
    if (!unknown.empty()) {
      std::cerr << "writ: note: " << source << " decides steps runbook `" << plan->runbook << "` does not have: " << join(unknown, ", ")
                << '\n';
    }
    s.gate = std::make_unique<rt::StaticApprovalGate>(std::move(gate));
  } catch (const rt::ApprovalsFileError& e) {
    throw Refused(e.what());
  }
  s.described["approvals"] = {{"kind", "file"}, {"source", absolute(source)}};
}

// The store, confined to `roots`, signing with --key or else the connectors file's signing_key.
void setup_evidence(Session& s, const std::string& dir, rt::EvidenceRoots roots, const std::string& key) {
  const std::string key_path = key.empty() ? s.config.signing_key.value_or("") : key;
  if (!key_path.empty()) {
    std::string error;
    s.signing_key = writ::evidence::Ed25519PrivateKey::load(key_path, error);
    if (!s.signing_key) throw UsageError(error);
  }
  s.evidence_roots = std::move(roots);
  s.evidence = std::make_unique<rt::StoreEvidenceSink>(dir, s.clock, std::string("writ ") + WRIT_VERSION, s.evidence_roots,
                                                       s.signing_key ? &*s.signing_key : nullptr);
  s.described["evidence_dir"] = absolute(dir);
  s.described["evidence_roots"] = s.evidence_roots.to_json();
  s.described["evidence_key_id"] = s.signing_key ? nlohmann::json(s.signing_key->key_id()) : nlohmann::json(nullptr);
}

void refuse_if_unsafe(const rt::Plan& plan, Session& s, const std::string& run_id) {
  const auto problems =
      rt::preflight(plan, *s.connectors, s.evidence_roots, run_id, s.collect_evidence ? s.evidence.get() : nullptr);
  if (problems.empty()) return;
  std::string message = "the run cannot start:";
  for (const auto& p : problems) message += "\n  " + p;
  throw Refused(message);
}

fs::path journal_file(const std::string& state, const std::string& run_id) {
  return fs::path(state) / "runs" / run_id / "journal.jsonl";
}

// The journal key: --journal-key, else `journal_key` of a connectors file the user named.
std::optional<rt::JournalKey> load_journal_key(const std::string& option, const std::optional<std::string>& configured) {
  const auto& path = option.empty() ? configured : std::optional<std::string>(option);
  if (!path) return std::nullopt;
  try {
    return rt::JournalKey::load(*path);
  } catch (const rt::JournalKeyError& e) {
    throw UsageError(e.what());
  }
}

rt::JournalOptions journal_options(const std::optional<rt::JournalKey>& key) {
  rt::JournalOptions options;
  options.max_record_bytes = rt::RuntimeOptions{}.max_journal_record_bytes;
  options.key = key ? &*key : nullptr;
  return options;
}

int report(const rt::ExecutionLog& log, const std::string& format, const std::string& success) {
  if (format == "json") {
    std::cout << rt::to_json(log).dump(2) << '\n';
  } else {
    rt::print_text(std::cout, log);
  }
  return log.status == success ? 0 : 1;
}

// Compiles RUNBOOK (a file or directory) and routes the event. Check errors refuse the run.
// `identity_required`: the active policy says `approver_identity required`.
ir::Runbook compile_and_route(const RunArgs& args, const CliContext& ctx, rt::Event& event, const std::string& run_id,
                              bool& identity_required, std::vector<std::string>& policy_roots, std::string& runbook_file) {
  require_readable(args.runbook);
  Catalog catalog = load_catalog_or_report(ctx, args.policies);
  identity_required = catalog.policy().approver_identity_required;
  policy_roots = catalog.policy().evidence_roots;
  std::vector<CompiledFile> files;
  std::vector<Diagnostic> errors;
  for (const auto& path : expand_inputs(args.runbook)) {
    files.push_back(compile_file(path, catalog, CompileOptions{}));
    for (const auto& d : files.back().diagnostics) {
      if (!d.suppressed_by && d.severity == Severity::Error) errors.push_back(d);
    }
  }
  if (files.empty()) throw Refused(args.runbook + ": no runbook files (*.yaml, *.yml, *.writ)");
  if (!errors.empty()) {
    sort_diagnostics(errors);
    EmitOptions emit;
    emit.files = files.size();  // the summary line counts the files compiled, as `writ check` does
    emit_text(std::cerr, errors, emit);
    throw Refused(fmt::format("{} has check errors; a runbook that fails `writ check` is never run", args.runbook));
  }
  std::vector<const ir::Runbook*> runbooks;
  std::map<const ir::Runbook*, std::string> file_of;  // journaled, so that metrics can list a runbook's twin files
  for (const auto& f : files) {
    for (const auto& rb : f.runbooks) {
      runbooks.push_back(&rb);
      file_of[&rb] = absolute(f.source ? f.source->path() : args.runbook);
    }
  }
  auto route = rt::route_event(runbooks, event, run_id);
  if (!route.runbook) throw Refused(route.error);
  runbook_file = file_of[route.runbook];
  return *route.runbook;
}

nlohmann::json typed_fields(const rt::Event& event) {
  auto out = nlohmann::json::object();
  for (const auto& [name, value] : event.fields) out[name] = rt::value_to_json(value);
  return out;
}

int run_new(const RunArgs& args, const CliContext& ctx) {
  if (args.runbook.empty() || args.event.empty()) throw UsageError("run: give RUNBOOK and --event EVENT.json (or --resume RUN_ID)");
  check_approvals_source(args.approvals, args.dry_run);
  const std::string staged_host = host_root(args);
  require_readable(args.event);
  Session s;
  rt::Event event;
  try {
    event = rt::parse_event(rt::read_text_file(args.event, s.options.max_event_bytes), args.event, s.options.max_json_depth);
  } catch (const rt::JsonInputError& e) {
    throw Refused(e.what());
  }
  const auto run_id = rt::new_run_id(s.clock.now());
  bool identity_required = false;
  std::vector<std::string> policy_roots;
  std::string runbook_file;
  const auto runbook = compile_and_route(args, ctx, event, run_id, identity_required, policy_roots, runbook_file);
  const auto plan = rt::make_plan(runbook, event, run_id, s.options);
  setup_connectors(s, args.connectors, args.dry_run);
  setup_approvals(s, args.approvals, &plan);
  setup_evidence(s, args.evidence.empty() ? (fs::path(args.state) / "evidence").string() : args.evidence,
                 {policy_roots, s.config.evidence_roots, staged_host}, args.key);
  s.collect_evidence = !args.dry_run || !args.evidence.empty() || !staged_host.empty();
  s.described["collect_evidence"] = s.collect_evidence;
  refuse_if_unsafe(plan, s, run_id);
  const auto key = load_journal_key(args.journal_key, s.config.journal_key);

  auto data = s.described;
  data.update({{"run_id", run_id}, {"runbook", runbook.id}, {"runbook_file", runbook_file}, {"title", runbook.title},
               {"severity", runbook.severity},
               {"digest", plan.digest}, {"ir", ir::to_json(runbook)}, {"plan", rt::plan_to_json(plan)},
               {"event_text", event.text}, {"event_origin", absolute(args.event)}, {"event_id", event.id()},
               {"event_fields", typed_fields(event)}, {"writ_version", WRIT_VERSION},
               {"approver_identity", identity_required ? "required" : "optional"},
               {"journal_key_id", key ? nlohmann::json(key->id()) : nlohmann::json(nullptr)}});
  auto journal = rt::JournalWriter::create(journal_file(args.state, run_id), journal_options(key));
  std::cerr << "run " << run_id << " started\n";
  rt::RunState state;
  rt::Interpreter interpreter(state, journal, s.services(), s.options);
  interpreter.start(std::move(data));
  return report(state.log(), args.format, "completed");
}

// Why a journal cannot be continued, as the user should read it.
[[noreturn]] void refuse_journal(const rt::JournalError& e, const std::string& run_id) {
  switch (e.problem) {
    case rt::JournalProblem::in_use: throw Refused(fmt::format("run {} is in use by another writ process", run_id));
    case rt::JournalProblem::unreadable: throw UsageError(e.what());
    case rt::JournalProblem::key:
    case rt::JournalProblem::io: throw Refused(e.what());
    case rt::JournalProblem::corrupt: break;
  }
  throw Refused(fmt::format("corrupt journal, refusing to continue: {}", e.what()));
}

// The key of a run being continued. Never taken from the connectors file the journal names:
// whoever could rewrite the journal could name a file holding their own key.
std::optional<rt::JournalKey> resume_key(const RunArgs& args) {
  std::optional<std::string> configured;
  if (args.journal_key.empty() && !args.connectors.empty()) {
    require_readable(args.connectors);
    try {
      configured = rt::load_connectors_file(args.connectors).journal_key;
    } catch (const rt::ConfigError& e) {
      throw Refused(e.what());
    }
  }
  return load_journal_key(args.journal_key, configured);
}

// Rebuilds a run from STATE alone; the services default to what the run started with.
rt::RunState load_run(const RunArgs& args, std::optional<rt::JournalWriter>& journal) {
  if (!rt::valid_run_id(args.resume)) throw UsageError(fmt::format("`{}` is not a run id", args.resume));
  const auto file = journal_file(args.state, args.resume);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) throw UsageError(fmt::format("no run {} under {}", args.resume, args.state));
  const auto key = resume_key(args);
  rt::RunState state;
  rt::JournalStatus status;
  try {
    journal.emplace(rt::JournalWriter::open(file, journal_options(key), [&](rt::JournalRecord&& r) { state.apply(r); }, &status));
    if (status.record_count == 0) throw rt::JournalError(file.string() + ": the journal is empty");
    if (state.run_id() != args.resume) {  // a whole journal (and head) moved from another run's directory
      throw rt::JournalError(fmt::format("{}: the journal is run {}'s, not run {}'s", file.string(), state.run_id(), args.resume));
    }
  } catch (const rt::JournalError& e) {
    refuse_journal(e, args.resume);
  }
  if (status.torn_tail) std::cerr << "writ: note: " << file.string() << ": dropped an unfinished last line (crash while writing)\n";
  if (status.past_head > 0) {
    std::cerr << "writ: note: " << file.string() << ": journal.head was one record behind (crash between an append and the "
                 "head's update); brought up to date\n";
  }
  return state;
}

// `resuming`: the run may ask approvals (a rollback never does).
void setup_from_record(Session& s, const RunArgs& args, const rt::RunState& state, bool resuming) {
  const auto& start = state.start();
  auto approvals = args.approvals;
  const auto gate = start.value("approvals", nlohmann::json::object());
  if (approvals.empty() && gate.value("source", nlohmann::json()).is_string()) {
    if (resuming && gate.value("redacted", false)) {
      throw UsageError(fmt::format("run {}: its approval URL held userinfo, a query or a fragment, which are never journaled; "
                                   "give --approvals URL again", args.resume));
    }
    approvals = gate["source"].get<std::string>();
  }
  check_approvals_source(approvals, start.value("dry_run", false));
  auto connectors = args.connectors;
  const auto recorded = start.value("connectors", nlohmann::json::object());
  if (connectors.empty() && recorded.value("path", nlohmann::json()).is_string()) {
    connectors = recorded["path"].get<std::string>();
    require_readable(connectors);
    if (rt::load_connectors_file(connectors).sha256 != recorded.value("sha256", "")) {
      throw Refused(fmt::format("{} changed since the run started; pass --connectors to use it as it is now", connectors));
    }
  }
  setup_connectors(s, connectors, start.value("dry_run", false));
  setup_approvals(s, approvals, &state.plan());
  // The roots the run started with, never recomputed (a journal from before they were
  // recorded: the connectors file's).
  auto roots = rt::EvidenceRoots::from_json(start.value("evidence_roots", nlohmann::json()));
  setup_evidence(s, args.evidence.empty() ? start.value("evidence_dir", (fs::path(args.state) / "evidence").string()) : args.evidence,
                 roots.value_or(rt::EvidenceRoots{{}, s.config.evidence_roots, {}}), args.key);
  s.collect_evidence = start.value("collect_evidence", !start.value("dry_run", false));
}

int run_resume(const RunArgs& args) {
  if (!args.runbook.empty() || !args.event.empty()) throw UsageError("run --resume RUN_ID takes no RUNBOOK or --event: the journal has both");
  if (args.dry_run) throw UsageError("run --resume keeps the run's own --dry-run setting");
  if (!args.artifact_root.empty()) throw UsageError("run --resume keeps the run's own --artifact-root");
  std::optional<rt::JournalWriter> journal;
  auto state = load_run(args, journal);
  if (state.finished()) {
    std::cerr << "writ: run " << args.resume << " has already finished (" << *state.finished() << "); nothing to resume\n";
    return report(state.log(), args.format, "completed");
  }
  Session s;
  setup_from_record(s, args, state, true);
  refuse_if_unsafe(state.plan(), s, args.resume);
  std::cerr << "run " << args.resume << " resumed\n";
  rt::Interpreter interpreter(state, *journal, s.services(), s.options);
  interpreter.resume(s.described);
  return report(state.log(), args.format, "completed");
}

int run_rollback(const RunArgs& args) {
  std::optional<rt::JournalWriter> journal;
  auto state = load_run(args, journal);
  if (!state.finished() && !state.rollback_trigger()) {
    throw Refused(fmt::format("run {} has not finished; finish it first with `writ run --resume {} --state {}`", args.resume,
                              args.resume, args.state));
  }
  if (state.finished() == std::optional<std::string>("rolled_back")) {
    std::cerr << "writ: run " << args.resume << " is already rolled back\n";
    return report(state.log(), args.format, "rolled_back");
  }
  Session s;
  setup_from_record(s, args, state, false);
  std::cerr << "run " << args.resume << " rolling back\n";
  rt::Interpreter interpreter(state, *journal, s.services(), s.options);
  interpreter.rollback();
  return report(state.log(), args.format, "rolled_back");
}

// Runs `body`, turning refusals into "writ: message" and exit 1.
template <typename F>
void guarded(CliContext& ctx, F body) {
  try {
    ctx.exit_code = body();
  } catch (const CatalogError&) {
    ctx.exit_code = 1;
  } catch (const Refused& e) {
    std::cerr << "writ: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::EventError& e) {
    std::cerr << "writ: invalid event: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::PlanError& e) {
    std::cerr << "writ: the runbook cannot run for this event: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::ConfigError& e) {
    std::cerr << "writ: " << e.what() << '\n';
    ctx.exit_code = 1;
  } catch (const rt::JournalError& e) {
    std::cerr << "writ: journal: " << e.what() << " (the run stopped before any further effect)\n";
    ctx.exit_code = 1;
  }
}

void add_common(CLI::App* cmd, RunArgs& args) {
  cmd->add_option("--connectors", args.connectors, "connectors file (YAML); default: every action to dry-run");
  cmd->add_option("--approvals", args.approvals, "approval service URL, or a static decisions file (JSON; --dry-run only)");
  cmd->add_option("--evidence", args.evidence, "evidence store directory (default: STATE/evidence)");
  cmd->add_option("--key", args.key,
                  "Ed25519 private key (PEM) signing the evidence store's checkpoints (default: signing_key of the "
                  "connectors file)");
  cmd->add_option("--state", args.state, "state directory holding runs/RUN_ID/journal.jsonl")->capture_default_str();
  cmd->add_option("--format", args.format, "output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->add_option("--journal-key", args.journal_key,
                  "HMAC key file (>= 32 bytes, mode 600) for the run journal; default: journal_key of --connectors");
}

}  // namespace

void register_run_commands(CLI::App& app, CliContext& ctx) {
  auto run = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("run", "execute a runbook for an event (approvals, connectors, journal, evidence)");
  cmd->add_option("runbook", run->runbook, "runbook file, or a directory to route among");
  cmd->add_option("--event", run->event, "the event (JSON object)");
  cmd->add_flag("--dry-run", run->dry_run, "route every action to the dry-run connector (approvals are still asked)");
  cmd->add_option("--resume", run->resume, "continue a crashed run from its journal");
  cmd->add_option("--policy", run->policies, "policy file overriding the default policy");
  cmd->add_option("--artifact-root", run->artifact_root,
                  "tabletop (--dry-run): read artifacts beneath DIR as if it were / (a staged host image)");
  add_catalog_option(cmd, ctx);
  add_common(cmd, *run);
  cmd->callback([run, &ctx] { guarded(ctx, [&] { return run->resume.empty() ? run_new(*run, ctx) : run_resume(*run); }); });

  auto rollback = std::make_shared<RunArgs>();
  auto* rb = app.add_subcommand("rollback", "compensate a finished or halted run's executed steps, in reverse order");
  rb->add_option("run_id", rollback->resume, "the run id (printed when the run started)")->required();
  add_common(rb, *rollback);
  rb->callback([rollback, &ctx] { guarded(ctx, [&] { return run_rollback(*rollback); }); });
}

}  // namespace writ::cli
