// writ metrics: figures computed from journals the real interpreter writes (JournalWriter,
// ManualClock, scripted connector and approval gate costs), checked to the millisecond.
// Percentiles are nearest-rank: rank ceil(p/100 * N) of the sorted values.
#include "runtime/metrics.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <regex>
#include <set>
#include <sstream>

#include "common/sha256.h"
#include "compiler/ir_json.h"
#include "runtime/evidence_sink.h"
#include "runtime_test_support.h"

using namespace writ;
using namespace writ::runtime;
using namespace writ::runtime::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Catch::Matchers::Contains;

namespace {

// notify (no approval), isolate (reversible contain: no approval), revoke (ciso + legal).
const char* kContainment = R"(
runbook containment {
  title    "Containment"
  severity critical
  step notify = notify_ciso_and_legal(channels: [slack])
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 2m
  }
}
)";

// The first step waits for its approval: the first action comes after it.
const char* kRevokeFirst = R"(
runbook revoke_first {
  title    "Revoke first"
  severity critical
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 2m
  }
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
}
)";

struct RunSpec {
  milliseconds connector_cost{100};
  milliseconds approval_cost{0};
  std::map<std::string, ApprovalDecision> decisions;
  bool dry_run = false;
  std::optional<std::filesystem::path> evidence_store;
  std::string event = kCriticalEvent;
  const JournalKey* key = nullptr;
  std::string runbook_file;  // journaled as `writ run` does; empty leaves it out (an older journal)
};

// Runs `runbook` through the real interpreter into STATE/runs/RUN_ID/journal.jsonl.
void run_into(const std::filesystem::path& state, const std::string& run_id, const ir::Runbook& runbook, const RunSpec& spec) {
  RuntimeOptions options;
  ManualClock clock;
  const auto event = typed_event(spec.event, runbook);
  const auto plan = make_plan(runbook, event, run_id, options);
  ConnectorSet connectors;
  connectors.add("fake", std::make_unique<ScriptedConnector>(&clock, spec.connector_cost));
  connectors.route("*", "fake");
  ScriptedGate gate;
  gate.clock = &clock;
  gate.cost = spec.approval_cost;
  gate.decisions = spec.decisions;
  std::optional<StoreEvidenceSink> sink;
  if (spec.evidence_store) sink.emplace(*spec.evidence_store, clock, "writ test");
  auto journal = JournalWriter::create(state / "runs" / run_id / "journal.jsonl", JournalOptions{1 << 20, spec.key});
  RunState run_state;
  Interpreter interpreter(run_state, journal, Services{connectors, gate, clock, sink ? &*sink : nullptr}, options);
  auto fields = nlohmann::json::object();  // as `writ run` journals them
  for (const auto& [name, value] : event.fields) fields[name] = value_to_json(value);
  nlohmann::json data{{"run_id", run_id}, {"event_id", event.id()}, {"event_text", event.text},
                      {"event_fields", fields}, {"plan", plan_to_json(plan)}, {"dry_run", spec.dry_run}};
  if (!spec.runbook_file.empty()) data["runbook_file"] = spec.runbook_file;
  interpreter.start(std::move(data));
}

std::string compile_digest(const char* text) { return ir::digest(compile_runbook(text)); }

ApprovalDecision approved_by(std::vector<Approver> approvers) { return ApprovalDecision{true, false, std::move(approvers), ""}; }

const RunMetrics& run_named(const ModeMetrics& m, const std::string& id) {
  for (const auto& r : m.runs) {
    if (r.run_id == id) return r;
  }
  FAIL("no run " << id);
  throw std::logic_error("unreachable");
}

// The critical event, detected `ago` before the run starts (ManualClock's start).
std::string detected_before_start(milliseconds ago) {
  auto event = nlohmann::json::parse(kCriticalEvent);
  event["detected_at"] = format_rfc3339(ManualClock().now() - ago);
  return event.dump();
}

// Four runs with known timings (see each comment); connector calls cost 100 ms each.
Metrics four_runs(const TempDir& state) {
  const auto containment = compile_runbook(kContainment);
  const auto revoke_first = compile_runbook(kRevokeFirst);
  RunSpec run1;  // notify 0-100, isolate 100-200, revoke asked 200, approved after 30 s, 30200-30300
  run1.approval_cost = seconds(30);
  run1.event = detected_before_start(std::chrono::minutes(10));
  run1.decisions["revoke"] = approved_by({{"ana", "ciso"}, {"lee", "legal"}});
  run_into(state.path(), "run-1", containment, run1);
  RunSpec run2;  // revoke approved after 45 s, sent at 45000, done 45100; isolate 45100-45200
  run2.approval_cost = seconds(45);
  run2.decisions["revoke"] = approved_by({{"ana", "ciso"}, {"lee", "legal"}});
  run_into(state.path(), "run-2", revoke_first, run2);
  RunSpec run3;  // revoke refused after 10 s: halted, nothing sent
  run3.approval_cost = seconds(10);
  run3.decisions["revoke"] = refuse();
  run_into(state.path(), "run-3", revoke_first, run3);
  RunSpec run4;  // as run 1, refused with rollback after 20 s: isolate compensated, notify stays
  run4.approval_cost = seconds(20);
  run4.decisions["revoke"] = refuse(true);
  run_into(state.path(), "run-4", containment, run4);
  return compute_metrics(state.path(), MetricsOptions{});
}

}  // namespace

TEST_CASE("nearest-rank percentiles", "[metrics]") {
  std::vector<std::int64_t> twenty;
  for (int i = 20; i >= 1; --i) twenty.push_back(i);  // unsorted on purpose
  CHECK(nearest_rank(twenty, 50) == 10);
  CHECK(nearest_rank(twenty, 95) == 19);
  CHECK(nearest_rank(twenty, 100) == 20);
  CHECK(nearest_rank({7}, 50) == 7);
  CHECK(nearest_rank({7}, 95) == 7);
  CHECK(nearest_rank({15, 20, 35, 40, 50}, 50) == 35);  // rank ceil(2.5) = 3
  CHECK(nearest_rank({15, 20, 35, 40, 50}, 95) == 50);  // rank ceil(4.75) = 5
  const auto d = summarize({300, 100, 200});
  CHECK(d.count == 3);
  CHECK(d.sum_ms == 600);
  CHECK(d.p50_ms == 200);
  CHECK(d.p95_ms == 300);
  CHECK(d.max_ms == 300);
  CHECK(summarize({}).count == 0);
}

TEST_CASE("metrics of four runs with known timings", "[metrics]") {
  TempDir state;
  const auto metrics = four_runs(state);
  REQUIRE(metrics.unreadable.empty());
  REQUIRE(metrics.tabletop.runs.empty());  // none was a dry run
  const auto& m = metrics.live;
  REQUIRE(m.runs.size() == 4);

  const auto by_status = m.runs_by_status();
  CHECK(by_status.at("completed") == 2);
  CHECK(by_status.at("halted_by_approval") == 1);
  CHECK(by_status.at("rolled_back") == 1);
  CHECK(by_status.at("failed") == 0);
  CHECK(by_status.at("unfinished") == 0);

  CHECK(run_named(m, "run-1").runbook == "containment");
  CHECK(run_named(m, "run-1").time_to_first_action_ms == 0);
  CHECK(run_named(m, "run-1").time_to_contain_ms == 200);
  CHECK(run_named(m, "run-2").time_to_first_action_ms == 45000);
  CHECK(run_named(m, "run-2").time_to_contain_ms == 45100);
  CHECK_FALSE(run_named(m, "run-3").time_to_first_action_ms);
  CHECK_FALSE(run_named(m, "run-3").time_to_contain_ms);
  CHECK(run_named(m, "run-4").time_to_contain_ms == 200);
  // Only run 1's event was detected before its run; the others' detected_at lies after
  // their containment, so they have no detection-to-containment time.
  CHECK(run_named(m, "run-1").detection_to_contain_ms == 600200);
  CHECK_FALSE(run_named(m, "run-4").detection_to_contain_ms);
  CHECK(run_named(m, "run-4").detected_at == "2026-11-27T08:00:00Z");
  CHECK(m.detection_to_contain().count == 1);
  CHECK(m.detection_to_contain().p95_ms == 600200);

  const auto ttfa = m.time_to_first_action();  // 0, 0, 45000
  CHECK(ttfa.count == 3);
  CHECK(ttfa.p50_ms == 0);
  CHECK(ttfa.p95_ms == 45000);
  CHECK(ttfa.max_ms == 45000);
  const auto ttc = m.time_to_contain();  // 200, 200, 45100
  CHECK(ttc.count == 3);
  CHECK(ttc.p50_ms == 200);
  CHECK(ttc.p95_ms == 45100);
  CHECK(ttc.sum_ms == 45500);

  // Latencies 30 s, 45 s, 10 s, 20 s, each for ciso and legal: p50 = rank 2 of 4, p95 = rank 4.
  const auto by_role = m.approval_latency_by_role();
  REQUIRE(by_role.size() == 2);
  for (const char* role : {"ciso", "legal"}) {
    const auto& d = by_role.at(role);
    CHECK(d.count == 4);
    CHECK(d.p50_ms == 20000);
    CHECK(d.p95_ms == 45000);
    CHECK(d.max_ms == 45000);
    CHECK(d.sum_ms == 105000);
  }
  CHECK(m.approvals_refused() == 2);
  CHECK(m.approval_refusal_rate() == 0.5);

  // Steps: run 1 notify+isolate automated, revoke approved; run 2 revoke approved, isolate
  // automated; run 3 revoke refused (isolate never ran); run 4 notify+isolate, revoke refused.
  CHECK(m.steps.automated == 5);
  CHECK(m.steps.approved == 2);
  CHECK(m.steps.refused == 2);
  CHECK(m.steps.failed == 0);
  CHECK(m.automation_success_rate().value() == Approx(5.0 / 9.0));

  CHECK(m.rollbacks.executed == 1);  // restore_host in run 4
  CHECK(m.rollbacks.skipped == 1);   // notify has nothing to undo
  CHECK(m.rollbacks.failed == 0);
  CHECK(m.rollbacks.requests_by_trigger == std::map<std::string, int>{{"approval_refused", 1}});
  CHECK(m.evidence.declared == 0);
  CHECK_FALSE(m.evidence_compliance());
}

TEST_CASE("metrics JSON keys and values", "[metrics]") {
  TempDir state;
  const auto json = metrics_to_json(four_runs(state));
  CHECK(json["version"] == 1);
  CHECK(json["percentiles"] == "nearest-rank");
  CHECK(json["runs_total"] == 4);
  CHECK(json["runs_by_status"]["completed"] == 2);
  CHECK(json["time_to_first_action_ms"] == nlohmann::json{{"count", 3}, {"sum", 45000}, {"p50", 0}, {"p95", 45000}, {"max", 45000}});
  CHECK(json["approvals"]["latency_ms_by_role"]["ciso"]["p50"] == 20000);
  CHECK(json["approvals"]["decided"] == 4);
  CHECK(json["approvals"]["refusal_rate"] == 0.5);
  CHECK(json["automation"]["success_rate"].get<double>() == Approx(5.0 / 9.0));
  CHECK(json["rollbacks"]["executed"] == 1);
  CHECK(json["evidence"]["compliance"].is_null());
  CHECK(json["runs"][2]["run_id"] == "run-3");
  CHECK(json["runs"][2]["status"] == "halted_by_approval");
  CHECK(json["runs"][2]["time_to_first_action_ms"].is_null());
  CHECK(json["runs"][2]["mode"] == "live");
  // The version-1 top-level figures are the live ones; no run was a tabletop one.
  for (const char* key : {"runs_total", "runs_by_status", "time_to_first_action_ms", "time_to_contain_ms",
                          "detection_to_contain_ms", "approvals", "automation", "rollbacks", "evidence"}) {
    CHECK(json[key] == json["live"][key]);
  }
  CHECK(json["tabletop"]["runs_total"] == 0);
  CHECK(json["tabletop"]["approvals"]["decided"] == 0);
  CHECK(json["live"]["runbooks"] == nlohmann::json::parse(R"([
    {"runbook": "containment", "digest": ")" + compile_digest(kContainment) + R"(", "files": [], "runs": 2},
    {"runbook": "revoke_first", "digest": ")" + compile_digest(kRevokeFirst) + R"(", "files": [], "runs": 2}])"));
}

TEST_CASE("Prometheus exposition: families, names, values", "[metrics]") {
  TempDir state;
  const auto text = metrics_to_prometheus(four_runs(state));
  const std::regex sample_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$)");
  const std::regex meta_re(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$)");
  std::map<std::string, std::set<std::string>> meta;  // family -> {"HELP", "TYPE"}
  std::map<std::string, std::string> types;
  std::set<std::string> series;
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    std::smatch match;
    if (std::regex_match(line, match, meta_re)) {
      CHECK(meta[match[2]].insert(match[1]).second);  // one HELP and one TYPE per family
      if (match[1] == "TYPE") types[match[2]] = match[3];
      continue;
    }
    INFO(line);
    REQUIRE(std::regex_match(line, match, sample_re));
    std::string family = match[1];
    for (const char* suffix : {"_sum", "_count"}) {
      const auto base = family.substr(0, family.size() - std::min(family.size(), std::strlen(suffix)));
      if (family.ends_with(suffix) && types.count(base) && types[base] == "summary") family = base;
    }
    CHECK(meta[family] == std::set<std::string>{"HELP", "TYPE"});
    CHECK(series.insert(std::string(match[1]) + std::string(match[2])).second);  // no duplicate series
    CHECK(std::regex_search(line, std::regex(R"re(\{mode="(live|tabletop)"[,}])re")));  // every series carries its mode
    ++samples;
  }
  CHECK(samples > 30);
  CHECK(text.find("writ_runs{mode=\"live\",status=\"completed\"} 2\n") != std::string::npos);
  CHECK(text.find("writ_approval_latency_seconds{mode=\"live\",role=\"ciso\",quantile=\"0.5\"} 20\n") != std::string::npos);
  CHECK(text.find("writ_approval_latency_seconds{mode=\"live\",role=\"legal\",quantile=\"0.95\"} 45\n") != std::string::npos);
  CHECK(text.find("writ_approval_latency_seconds_count{mode=\"live\",role=\"ciso\"} 4\n") != std::string::npos);
  CHECK(text.find("writ_time_to_contain_seconds{mode=\"live\",quantile=\"0.5\"} 0.2\n") != std::string::npos);
  CHECK(text.find("writ_time_to_contain_seconds_sum{mode=\"live\"} 45.5\n") != std::string::npos);
  CHECK(text.find("writ_detection_to_contain_seconds{mode=\"live\",quantile=\"0.5\"} 600.2\n") != std::string::npos);
  CHECK(text.find("writ_approval_refusal_ratio{mode=\"live\"} 0.5\n") != std::string::npos);
  CHECK(text.find("writ_evidence_compliance_ratio{mode=\"live\"} NaN\n") != std::string::npos);
  CHECK(types["writ_time_to_first_action_seconds"] == "summary");
  CHECK(text.find("writ_runs{mode=\"tabletop\",status=\"completed\"} 0\n") != std::string::npos);
  CHECK(text.find("writ_time_to_contain_seconds_count{mode=\"tabletop\"} 0\n") != std::string::npos);
}

TEST_CASE("evidence compliance: declared, skipped in dry runs, preserved, verified", "[metrics]") {
  TempDir state;
  TempDir files;
  const auto pcap = files.file("capture.pcap", "packets");
  const auto flows = files.file("flows.json", "{\"flows\":[]}");
  auto runbook = [](const std::string& first, const std::string& second) {
    return compile_runbook("runbook ev {\n  title \"Evidence\"\n  severity low\n"
                           "  step collect = open_ticket(summary: \"x\") {\n    preserve \"" +
                           first + "\", \"" + second + "\"\n  }\n}\n");
  };
  const auto store = state.path() / "evidence";
  RunSpec real;
  real.event = R"({"id":"e1","severity":"low"})";
  real.evidence_store = store;
  run_into(state.path(), "a-real", runbook(pcap, flows), real);
  RunSpec dry = real;
  dry.dry_run = true;
  run_into(state.path(), "b-dry", runbook(pcap, flows), dry);
  // The first artifact is missing: the step fails there, the second is never attempted.
  run_into(state.path(), "c-missing", runbook((files.path() / "absent.log").string(), flows), real);

  SECTION("intact store") {
    const auto metrics = compute_metrics(state.path(), MetricsOptions{});
    const auto& tabletop = metrics.tabletop;  // b-dry: declared, not collected
    CHECK(tabletop.evidence.declared == 2);
    CHECK(tabletop.evidence.skipped == 2);
    CHECK(tabletop.evidence.due() == 0);
    CHECK_FALSE(tabletop.evidence_compliance());
    const auto& m = metrics.live;
    CHECK(m.evidence.declared == 4);
    CHECK(m.evidence.skipped == 0);
    CHECK(m.evidence.due() == 4);
    CHECK(m.evidence.preserved == 2);
    CHECK(m.evidence.verified == 2);
    CHECK(m.evidence.failed == 1);
    CHECK(m.evidence.missing() == 2);
    CHECK(m.evidence_compliance() == 0.5);
    REQUIRE(m.evidence.problems.size() == 2);
    CHECK(m.evidence.problems[0].run_id == "c-missing");
    CHECK(m.evidence.problems[0].problem.find("not preserved") == 0);
    CHECK(m.evidence.problems[1].problem.find("no evidence record") == 0);
    CHECK(m.runs_by_status().at("failed") == 1);
    CHECK(m.steps.failed == 1);
  }
  SECTION("an altered object is preserved but not verified, also when looked up in --evidence") {
    const auto sha = sha256_hex("packets");
    const auto object = store / "objects" / "sha256" / sha.substr(0, 2) / sha;
    std::filesystem::permissions(object, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    std::ofstream(object, std::ios::binary) << "packetz";
    for (const auto& options : std::vector<MetricsOptions>{MetricsOptions{}, MetricsOptions{64 << 20, store}}) {
      const auto m = compute_metrics(state.path(), options).live;
      CHECK(m.evidence.preserved == 2);
      CHECK(m.evidence.verified == 1);
      CHECK(m.evidence_compliance() == 0.25);
      REQUIRE(m.evidence.problems.size() == 3);
      CHECK(m.evidence.problems[0].artifact == pcap);
      CHECK(m.evidence.problems[0].problem.find("does not match the journal") != std::string::npos);
    }
  }
  SECTION("a store looked up elsewhere has no objects") {
    const auto m = compute_metrics(state.path(), MetricsOptions{64 << 20, files.path() / "nowhere"}).live;
    CHECK(m.evidence.preserved == 2);
    CHECK(m.evidence.verified == 0);
    CHECK(m.evidence.problems[0].problem.find("cannot be read") != std::string::npos);
  }
}

TEST_CASE("damaged or missing journals are listed and left out", "[metrics]") {
  TempDir state;
  four_runs(state);
  // Alter run-2's journal: change one character of its second record.
  const auto file = state.path() / "runs" / "run-2" / "journal.jsonl";
  std::string text;
  {
    std::ifstream in(file, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto pos = text.find("\"step_started\"");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, 14, "\"step_stXrted\"");
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  std::filesystem::create_directories(state.path() / "runs" / "run-5");  // no journal at all

  const auto m = compute_metrics(state.path(), MetricsOptions{});
  REQUIRE(m.unreadable.size() == 2);
  CHECK(m.unreadable[0].run_id == "run-2");
  CHECK(m.unreadable[0].error.find("journal.jsonl:2") != std::string::npos);
  CHECK(m.unreadable[1].run_id == "run-5");
  CHECK_FALSE(m.unreadable[1].dry_run);  // never read: counted as live
  CHECK(m.live.runs.size() == 3);
  CHECK(m.live.approvals.size() == 3);  // run-2's 45 s approval is not counted
  CHECK(m.live.approval_latency_by_role().at("ciso").max_ms == 30000);
  CHECK(metrics_to_prometheus(m).find("writ_journals_unreadable{mode=\"live\"} 2\n") != std::string::npos);
}

TEST_CASE("a FIFO in the evidence store is refused, never waited on", "[metrics]") {
  TempDir state;
  TempDir files;
  const auto pcap = files.file("capture.pcap", "packets");
  RunSpec spec;
  spec.event = R"({"id":"e1","severity":"low"})";
  spec.evidence_store = state.path() / "evidence";
  run_into(state.path(), "a", compile_runbook("runbook ev {\n  title \"Evidence\"\n  severity low\n"
                                              "  step collect = open_ticket(summary: \"x\") {\n    preserve \"" + pcap + "\"\n  }\n}\n"),
           spec);
  const auto sha = sha256_hex("packets");
  const auto object = *spec.evidence_store / "objects" / "sha256" / sha.substr(0, 2) / sha;
  std::filesystem::permissions(object.parent_path(), std::filesystem::perms::owner_all, std::filesystem::perm_options::add);
  std::filesystem::remove(object);
  REQUIRE(::mkfifo(object.c_str(), 0600) == 0);
  const auto m = compute_metrics(state.path(), MetricsOptions{});
  CHECK(m.live.evidence.verified == 0);
  REQUIRE(m.live.evidence.problems.size() == 1);
  CHECK_THAT(m.live.evidence.problems[0].problem, Contains("is a FIFO, not a regular file"));
}

TEST_CASE("keyed journals: MACs checked with the key, named when read without it", "[metrics][key]") {
  TempDir state;
  const auto key = JournalKey::from_bytes(std::string(32, 'k'), "test.key");
  const auto other = JournalKey::from_bytes(std::string(32, 'o'), "other.key");
  RunSpec keyed;
  keyed.key = &key;
  keyed.decisions["revoke"] = approved_by({{"ana", "ciso"}, {"lee", "legal"}});
  run_into(state.path(), "run-k", compile_runbook(kContainment), keyed);
  RunSpec plain = keyed;
  plain.key = nullptr;
  run_into(state.path(), "run-p", compile_runbook(kContainment), plain);

  const auto without = compute_metrics(state.path(), MetricsOptions{});
  CHECK(without.live.runs.size() == 2);
  CHECK(without.macs_unchecked == std::vector<std::string>{"run-k"});
  MetricsOptions with_key;
  with_key.key = &key;
  const auto with = compute_metrics(state.path(), with_key);
  CHECK(with.live.runs.size() == 1);  // the unkeyed journal is refused: its MACs could have been stripped
  REQUIRE(with.unreadable.size() == 1);
  CHECK(with.unreadable[0].run_id == "run-p");
  CHECK_THAT(with.unreadable[0].error, Contains("carries no MACs"));
  CHECK(with.macs_unchecked.empty());
  with_key.key = &other;
  const auto wrong = compute_metrics(state.path(), with_key);
  CHECK(wrong.unreadable.size() == 2);
  CHECK_THAT(wrong.unreadable[0].error, Contains("written with journal key id " + key.id()));
}

TEST_CASE("a FIFO as a journal is bad input, listed without being read", "[metrics]") {
  TempDir state;
  four_runs(state);
  const auto file = state.path() / "runs" / "run-3" / "journal.jsonl";
  std::filesystem::remove(file);
  REQUIRE(::mkfifo(file.c_str(), 0600) == 0);
  const auto m = compute_metrics(state.path(), MetricsOptions{});
  REQUIRE(m.unreadable.size() == 1);
  CHECK(m.unreadable[0].bad_input);
  CHECK_THAT(m.unreadable[0].error, Contains("journal.jsonl: is a FIFO, not a regular file"));
  CHECK(m.live.runs.size() == 3);
}

TEST_CASE("an unfinished run, and approvals without required roles", "[metrics]") {
  TempDir state;
  const auto runbook = compile_runbook(kContainment);
  RuntimeOptions options;
  ManualClock clock;
  const auto event = typed_event(kCriticalEvent, runbook);
  const auto plan = make_plan(runbook, event, "run-x", options);
  auto journal = JournalWriter::create(state.path() / "runs" / "run-x" / "journal.jsonl");
  // A run that crashed after deciding an approval the roles of which only the approvers name.
  journal.append("run_started", clock.now(),
                 {{"run_id", "run-x"}, {"event_id", "evt-1001"}, {"event_text", event.text}, {"plan", plan_to_json(plan)}});
  journal.append("step_started", clock.now(), {{"step", "revoke"}, {"action", "revoke_active_sessions"}, {"effect", "contain"}});
  journal.append("approval_requested", clock.now(),
                 {{"step", "revoke"}, {"action", "revoke_active_sessions"}, {"required_roles", nlohmann::json::array()},
                  {"timeout_seconds", 120}, {"gate", "file"}});
  clock.advance(milliseconds(1234));
  journal.append("approval_decided", clock.now(),
                 {{"step", "revoke"}, {"approved", true}, {"rollback", false},
                  {"approvers", nlohmann::json::array({{{"approver", "ana"}, {"role", "ir_lead"}}})}, {"reason", ""}, {"latency_ms", 1234}});
  const auto m = compute_metrics(state.path(), MetricsOptions{}).live;
  REQUIRE(m.runs.size() == 1);
  CHECK(m.runs[0].status == "unfinished");
  CHECK(m.runs_by_status().at("unfinished") == 1);
  CHECK(m.approval_latency_by_role().at("ir_lead").p95_ms == 1234);
  CHECK(m.steps.approved == 0);  // the step never finished
  CHECK_FALSE(m.automation_success_rate());
}

TEST_CASE("an empty state directory has no figures and a missing one is an error", "[metrics]") {
  TempDir state;
  const auto m = compute_metrics(state.path(), MetricsOptions{});
  CHECK(m.runs().empty());
  CHECK(m.live.time_to_contain().count == 0);
  CHECK(m.tabletop.time_to_contain().count == 0);
  const auto json = metrics_to_json(m);
  CHECK(json["runs_total"] == 0);
  CHECK(json["time_to_contain_ms"]["p50"].is_null());
  CHECK(json["approvals"]["refusal_rate"].is_null());
  const auto text = metrics_to_prometheus(m);
  CHECK(text.find("writ_time_to_contain_seconds{mode=\"live\",quantile=\"0.95\"} NaN\n") != std::string::npos);
  CHECK(text.find("writ_time_to_contain_seconds_count{mode=\"live\"} 0\n") != std::string::npos);
  CHECK_THROWS_AS(compute_metrics(state.path() / "absent", MetricsOptions{}), MetricsError);
}

TEST_CASE("tabletop runs never mix with live ones", "[metrics][mode]") {
  TempDir state;
  four_runs(state);
  // A tabletop exercise: everything instant, approved at once, far faster than any live run.
  RunSpec tabletop;
  tabletop.connector_cost = milliseconds(1);
  tabletop.dry_run = true;
  tabletop.decisions["revoke"] = approved_by({{"ana", "ciso"}, {"lee", "legal"}});
  run_into(state.path(), "run-t", compile_runbook(kContainment), tabletop);
  const auto m = compute_metrics(state.path(), MetricsOptions{});

  // The live figures are exactly those of the four live runs.
  CHECK(m.live.runs.size() == 4);
  CHECK(m.live.time_to_contain().count == 3);
  CHECK(m.live.time_to_contain().p50_ms == 200);
  CHECK(m.live.approval_latency().count == 4);
  CHECK(m.live.steps.automated == 5);
  // The tabletop run has its own.
  REQUIRE(m.tabletop.runs.size() == 1);
  CHECK(m.tabletop.runs[0].run_id == "run-t");
  CHECK(m.tabletop.time_to_contain().count == 1);
  CHECK(m.tabletop.time_to_contain().max_ms == 2);  // notify 0-1, isolate 1-2
  CHECK(m.tabletop.approval_latency().max_ms == 0);
  CHECK(m.tabletop.steps.automated == 2);
  CHECK(m.tabletop.steps.approved == 1);
  CHECK(m.runs().size() == 5);

  const auto json = metrics_to_json(m);
  CHECK(json["live"]["time_to_contain_ms"]["count"] == 3);
  CHECK(json["tabletop"]["time_to_contain_ms"]["count"] == 1);
  CHECK(json["time_to_contain_ms"] == json["live"]["time_to_contain_ms"]);
  CHECK(json["runs_total"] == 4);
  CHECK(json["runs"].size() == 5);
  CHECK(json["runs"][4]["mode"] == "tabletop");
  const auto text = metrics_to_prometheus(m);
  CHECK(text.find("writ_time_to_contain_seconds_count{mode=\"live\"} 3\n") != std::string::npos);
  CHECK(text.find("writ_time_to_contain_seconds_count{mode=\"tabletop\"} 1\n") != std::string::npos);
  CHECK(text.find("writ_time_to_contain_seconds{mode=\"tabletop\",quantile=\"1\"} 0.002\n") != std::string::npos);
  CHECK(text.find("writ_runs{mode=\"tabletop\",status=\"completed\"} 1\n") != std::string::npos);
  CHECK(text.find("writ_steps{mode=\"tabletop\",outcome=\"approved\"} 1\n") != std::string::npos);
  CHECK(text.find("writ_runbook_runs{mode=\"tabletop\",runbook=\"containment\",digest=\"" + compile_digest(kContainment) +
                  "\"} 1\n") != std::string::npos);
}

TEST_CASE("a journal unreadable after its run_started keeps its mode", "[metrics][mode]") {
  TempDir state;
  RunSpec tabletop;
  tabletop.dry_run = true;
  tabletop.decisions["revoke"] = approved_by({{"ana", "ciso"}, {"lee", "legal"}});
  run_into(state.path(), "run-t", compile_runbook(kContainment), tabletop);
  const auto file = state.path() / "runs" / "run-t" / "journal.jsonl";
  std::string text;
  {
    std::ifstream in(file, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("\"step_started\""), 14, "\"step_stXrted\"");
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  const auto m = compute_metrics(state.path(), MetricsOptions{});
  REQUIRE(m.unreadable.size() == 1);
  CHECK(m.unreadable[0].dry_run);
  CHECK(m.tabletop.runs.empty());
  const auto json = metrics_to_json(m);
  CHECK(json["unreadable_journals"][0]["mode"] == "tabletop");
  CHECK(json["tabletop"]["journals_unreadable"] == 1);
  CHECK(json["live"]["journals_unreadable"] == 0);
  CHECK(metrics_to_prometheus(m).find("writ_journals_unreadable{mode=\"tabletop\"} 1\n") != std::string::npos);
}

TEST_CASE("runs of twins (same IR digest) are runs of one runbook listing both files", "[metrics][twins]") {
  TempDir state;
  const auto containment = compile_runbook(kContainment);
  RunSpec spec;
  spec.decisions["revoke"] = approved_by({{"ana", "ciso"}, {"lee", "legal"}});
  spec.runbook_file = "/rb/containment.yaml";
  run_into(state.path(), "run-1", containment, spec);
  spec.runbook_file = "/rb/dsl/containment.writ";
  run_into(state.path(), "run-2", containment, spec);
  run_into(state.path(), "run-3", containment, spec);
  // The same id with other steps is another runbook (another digest), kept apart.
  std::string edited = kContainment;
  edited.replace(edited.find("within 2m"), 9, "within 5m");
  spec.runbook_file = "/rb/containment.yaml";
  run_into(state.path(), "run-4", compile_runbook(edited), spec);

  const auto runbooks = compute_metrics(state.path(), MetricsOptions{}).live.runbooks();
  REQUIRE(runbooks.size() == 2);
  const auto& twins = runbooks[0].digest == compile_digest(kContainment) ? runbooks[0] : runbooks[1];
  const auto& other = &twins == &runbooks[0] ? runbooks[1] : runbooks[0];
  CHECK(twins.runbook == "containment");
  CHECK(twins.runs == 3);
  CHECK(twins.files == std::vector<std::string>{"/rb/containment.yaml", "/rb/dsl/containment.writ"});
  CHECK(other.runbook == "containment");
  CHECK(other.digest == ir::digest(compile_runbook(edited)));
  CHECK(other.runs == 1);
  CHECK(other.files == std::vector<std::string>{"/rb/containment.yaml"});
}
