// Helpers for the runtime tests: compile small DSL runbooks against the real stdlib, a
// temporary directory, a scripted connector and a scripted approval gate (the fakes STYLE 8
// asks tests to hand the interpreter), and a harness that runs a plan with a journal.
#pragma once

#include <mutex>

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "compiler/emit/emit.h"
#include "compiler/pipeline.h"
#include "runtime/approval.h"
#include "runtime/clock.h"
#include "runtime/connector.h"
#include "runtime/event.h"
#include "runtime/interpreter.h"
#include "runtime/journal.h"
#include "runtime/journal_head.h"
#include "runtime/plan.h"
#include "runtime/run_state.h"

namespace writ::runtime::testing {

inline const Catalog& stdlib_catalog() {
  static const Catalog catalog = [] {
    DiagnosticSink sink;
    auto c = load_catalog(WRIT_SOURCE_DIR "/stdlib", {}, sink);
    if (sink.has_errors()) {
      std::string messages;
      for (const auto& d : sink.diagnostics()) messages += format_diagnostic(d) + "\n";
      throw std::runtime_error("stdlib has errors:\n" + messages);
    }
    return c;
  }();
  return catalog;
}

// Compiles DSL text; fails the test on any check error.
inline std::vector<ir::Runbook> compile_all(const std::string& text, const std::string& path = "test.writ") {
  auto source = std::make_shared<SourceFile>(path, text);
  auto compiled = compile_source(source, stdlib_catalog(), CompileOptions{});
  std::string messages;
  for (const auto& d : compiled.diagnostics) {
    if (d.severity == Severity::Error && !d.suppressed_by) messages += format_diagnostic(d) + "\n";
  }
  INFO(messages);
  REQUIRE(!compiled.has_errors());
  return compiled.runbooks;
}

inline ir::Runbook compile_runbook(const std::string& text) { return compile_all(text).at(0); }

inline const char* kCriticalEvent =
    R"({"id":"evt-1001","severity":"critical","host_id":"ws-042","user_account":"jdoe","user_id":"jdoe",)"
    R"("segment_id":"seg-finance","source_ip":"203.0.113.7","confidence":0.92,"impact":"ransomware",)"
    R"("detected_at":"2026-11-27T08:00:00Z"})";

inline Event typed_event(const std::string& text, const ir::Runbook& runbook) {
  auto event = parse_event(text, "event.json", 64);
  type_event(event, runbook.event);
  return event;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "writ-runtime-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    // Preserved evidence objects are read-only: make them writable so they can be removed.
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec); it != std::filesystem::recursive_directory_iterator(); ++it) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    }
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name, const std::string& content) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::filesystem::path path_;
};

// Returns scripted results per action (default: success) and records every call.
class ScriptedConnector final : public Connector {
 public:
  explicit ScriptedConnector(Clock* clock = nullptr, Millis cost = Millis(0)) : clock_(clock), cost_(cost) {}
  std::string_view kind() const override { return "scripted"; }
  // Branches of a parallel block call it from their threads: the record and the script are
  // guarded (the clock's sleep is not: it is the clock's business).
  ConnectorResult call(const ConnectorCall& call) override {
    {
      std::lock_guard lock(mutex_);
      calls.push_back(call);
    }
    if (on_call) on_call(call);
    if (clock_) clock_->sleep_for(cost_);
    std::lock_guard lock(mutex_);
    auto& queue = script[call.action];
    if (queue.empty()) return ConnectorResult{true, false, "ok", ""};
    auto result = queue.front();
    queue.pop_front();
    return result;
  }
  std::vector<std::string> actions() const {
    std::vector<std::string> out;
    for (const auto& c : calls) out.push_back(c.action);
    return out;
  }
  void charge(Clock* clock, Millis cost) {
    clock_ = clock;
    cost_ = cost;
  }
  std::map<std::string, std::deque<ConnectorResult>> script;
  std::vector<ConnectorCall> calls;
  std::function<void(const ConnectorCall&)> on_call;  // runs before the result: may throw (a crash)

 private:
  Clock* clock_;
  Millis cost_;
  std::mutex mutex_;
};

inline ConnectorResult failure(std::string error, bool retryable = true) {
  return ConnectorResult{false, retryable, "HTTP 500", std::move(error)};
}

// Decides per step from a map (absent: refused); records requests.
class ScriptedGate final : public ApprovalGate {
 public:
  std::string_view kind() const override { return "scripted"; }
  ApprovalDecision decide(const ApprovalRequest& request, std::chrono::milliseconds time_left) override {
    requests.push_back(request);
    waits.push_back(time_left);
    if (clock) clock->sleep_for(cost);
    auto it = decisions.find(request.step);
    if (it == decisions.end()) return ApprovalDecision{false, false, {}, "no decision"};
    return it->second;
  }
  std::map<std::string, ApprovalDecision> decisions;
  std::vector<ApprovalRequest> requests;
  std::vector<std::chrono::milliseconds> waits;
  Clock* clock = nullptr;
  Millis cost{0};
};

inline ApprovalDecision approve() { return ApprovalDecision{true, false, {}, ""}; }
inline ApprovalDecision refuse(bool rollback = false) { return ApprovalDecision{false, rollback, {}, "false positive"}; }

// Leaves `journal` holding only `kept` (its first whole records) and the head a crash right
// after writing the last of them leaves, so a test can simulate that crash: cutting the
// journal alone is what tampering looks like (docs/journal.md).
inline void keep_journal_prefix(const std::filesystem::path& journal, const std::string& kept) {
  std::ofstream(journal, std::ios::binary | std::ios::trunc) << kept;
  std::uint64_t seq = 0;
  std::string hash(64, '0');
  if (!kept.empty()) {
    const auto last = nlohmann::json::parse(kept.substr(kept.rfind('\n', kept.size() - 2) + 1));
    seq = last["seq"].get<std::uint64_t>();
    hash = last["hash"].get<std::string>();
  }
  write_head(journal, kept.size(), seq, hash, nullptr);
}

// A plan, a journal in a temp dir, and the services: start() runs it through the interpreter.
struct Harness {
  explicit Harness(const ir::Runbook& runbook, const std::string& event_text = kCriticalEvent, bool dry_run = false)
      : event(typed_event(event_text, runbook)), dry(dry_run) {
    plan = make_plan(runbook, event, run_id, options);
    auto owned = std::make_unique<ScriptedConnector>();
    connector = owned.get();
    connectors.add("fake", std::move(owned));
    connectors.route("*", "fake");
  }
  std::filesystem::path journal_path() const { return dir.path() / "runs" / run_id / "journal.jsonl"; }
  nlohmann::json start_data() const {
    return {{"run_id", run_id}, {"event_id", event.id()}, {"event_text", event.text}, {"plan", plan_to_json(plan)}, {"dry_run", dry}};
  }
  Services services() { return Services{connectors, gate, clock, evidence}; }
  const RunState& start() {
    journal.emplace(JournalWriter::create(journal_path()));
    Interpreter interpreter(state, *journal, services(), options);
    interpreter.start(start_data());
    return state;
  }
  // Re-reads the journal into a fresh state (as --resume does); the previous writer is closed.
  RunState reload(JournalContents* contents_out = nullptr) {
    journal.reset();
    JournalContents contents;
    journal.emplace(JournalWriter::open(journal_path(), JournalOptions{options.max_journal_record_bytes}, contents));
    RunState fresh;
    for (const auto& r : contents.records) fresh.apply(r);
    if (contents_out) *contents_out = contents;
    return fresh;
  }
  std::vector<std::string> statuses() const {
    std::vector<std::string> out;
    for (const auto& s : state.log().steps) out.push_back(s.step + ":" + s.status);
    return out;
  }

  TempDir dir;
  RuntimeOptions options;
  ManualClock clock;
  std::string run_id = "20261127T080000Z-00000001";
  Event event;
  bool dry;
  Plan plan;
  ConnectorSet connectors;
  ScriptedConnector* connector = nullptr;
  ScriptedGate gate;
  EvidenceSink* evidence = nullptr;
  std::optional<JournalWriter> journal;
  RunState state;
};

}  // namespace writ::runtime::testing
