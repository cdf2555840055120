#include "runtime/interpreter.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "common/sha256.h"
#include "runtime/evidence_sink.h"
#include "runtime_test_support.h"

using namespace writ;
using namespace writ::runtime;
using namespace writ::runtime::testing;
using Strings = std::vector<std::string>;

namespace {

const char* kContainment = R"writ(
runbook containment {
  title    "Containment"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step disable = disable_compromised_credentials(target: event.user_account) {
    rollback enable_credentials
  }
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 2m
  }
  step notify = notify_ciso_and_legal(channels: [slack, pagerduty])
}
)writ";

std::string with_step_options(const std::string& options) {
  return std::string(R"writ(
runbook failing {
  title    "Failing"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step disable = disable_compromised_credentials(target: event.user_account) {
    rollback enable_credentials
    )writ") + options + R"(
  }
  step notify = notify_ciso_and_legal(channels: [slack])
}
)";
}

}  // namespace

TEST_CASE("all approved: completed, connector called in order", "[runtime][interpreter]") {
  Harness h(compile_runbook(kContainment));
  h.gate.decisions["revoke"] = approve();
  const auto& state = h.start();
  CHECK(state.log().status == "completed");
  CHECK(h.connector->actions() ==
        Strings{"isolate_host", "disable_compromised_credentials", "revoke_active_sessions", "notify_ciso_and_legal"});
  CHECK(h.statuses() == Strings{"isolate:executed", "disable:executed", "revoke:executed", "notify:executed"});
  REQUIRE(h.gate.requests.size() == 1);
  CHECK(h.gate.requests[0].required_roles == Strings{"ciso", "legal"});
  CHECK(h.gate.requests[0].args == nlohmann::json{{"target", "jdoe"}});
  CHECK(h.gate.waits[0] == std::chrono::minutes(2));
  CHECK(h.connector->calls[0].args == nlohmann::json{{"target", "ws-042"}});
  CHECK(h.connector->calls[3].args == nlohmann::json{{"channels", {"slack", "pagerduty"}}});
  const auto& revoke = state.log().steps[2];
  REQUIRE(revoke.approval);
  CHECK(revoke.approval->approved);
  CHECK(revoke.attempts == 1);
  CHECK_FALSE(state.log().steps[0].approval);
}

TEST_CASE("a refusal halts the run and keeps containment in force", "[runtime][interpreter]") {
  Harness h(compile_runbook(kContainment));
  h.gate.decisions["revoke"] = refuse();
  const auto& state = h.start();
  CHECK(state.log().status == "halted_by_approval");
  CHECK(h.connector->actions() == Strings{"isolate_host", "disable_compromised_credentials"});
  CHECK(h.statuses() == Strings{"isolate:executed", "disable:executed", "revoke:refused"});
  CHECK(state.log().rollbacks.empty());
  CHECK(state.log().steps[2].error.value().find("false positive") != std::string::npos);
}

TEST_CASE("a refusal with rollback compensates executed steps in reverse order", "[runtime][interpreter]") {
  Harness h(compile_runbook(kContainment));
  h.gate.decisions["revoke"] = refuse(true);
  const auto& state = h.start();
  CHECK(state.log().status == "rolled_back");
  CHECK(h.connector->actions() ==
        Strings{"isolate_host", "disable_compromised_credentials", "enable_credentials", "restore_host"});
  CHECK(h.statuses() == Strings{"isolate:compensated", "disable:compensated", "revoke:refused"});
  REQUIRE(state.log().rollbacks.size() == 2);
  CHECK(state.log().rollbacks[0].step == "disable");
  CHECK(state.log().rollbacks[0].action == "enable_credentials");
  CHECK(state.log().rollbacks[1].step == "isolate");
  CHECK(state.log().rollbacks[1].status == "executed");
  // The rollback binds the step's own target and has its own idempotency key.
  CHECK(h.connector->calls[3].args == nlohmann::json{{"target", "ws-042"}});
  CHECK(h.connector->calls[3].idempotency_key == idempotency_key(h.run_id, "isolate", "rollback"));
  CHECK(h.connector->calls[3].idempotency_key != h.connector->calls[0].idempotency_key);
}

TEST_CASE("no approval gate refuses every approval", "[runtime][interpreter]") {
  Harness h(compile_runbook(kContainment));
  RefuseAllGate none;
  h.journal.emplace(JournalWriter::create(h.journal_path()));
  Interpreter interpreter(h.state, *h.journal, Services{h.connectors, none, h.clock, nullptr}, h.options);
  interpreter.start(h.start_data());
  CHECK(h.state.log().status == "halted_by_approval");
  CHECK(h.state.log().steps[2].error.value().find("no approval gate") != std::string::npos);
}

TEST_CASE("a false `when` skips the step", "[runtime][interpreter]") {
  Harness h(compile_runbook(R"writ(
runbook low_one {
  title "Low"
  severity low
  step ticket = open_ticket(summary: "event {{event.id}}")
  step page = notify_ciso_and_legal(channels: [slack]) {
    when event.confidence > 0.99
  }
})writ"),
            R"({"id":"e1","severity":"low","confidence":0.5})");
  const auto& state = h.start();
  CHECK(state.log().status == "completed");
  CHECK(h.statuses() == Strings{"ticket:executed", "page:skipped"});
  CHECK(h.connector->actions() == Strings{"open_ticket"});
  CHECK(h.connector->calls[0].args == nlohmann::json{{"summary", "event e1"}});
  CHECK(state.log().steps[1].attempts == 0);
}

TEST_CASE("on_failure halt: failed, later steps not called, nothing rolled back", "[runtime][interpreter]") {
  Harness h(compile_runbook(with_step_options("")));
  h.connector->script["disable_compromised_credentials"] = {failure("HTTP 500: down", false)};
  const auto& state = h.start();
  CHECK(state.log().status == "failed");
  CHECK(h.connector->actions() == Strings{"isolate_host", "disable_compromised_credentials"});
  CHECK(h.statuses() == Strings{"isolate:executed", "disable:failed"});
  CHECK(state.log().steps[1].error == std::optional<std::string>("HTTP 500: down"));
}

TEST_CASE("on_failure continue runs the next steps", "[runtime][interpreter]") {
  Harness h(compile_runbook(with_step_options("on_failure continue")));
  h.connector->script["disable_compromised_credentials"] = {failure("boom", false)};
  const auto& state = h.start();
  CHECK(state.log().status == "completed");
  CHECK(h.statuses() == Strings{"isolate:executed", "disable:failed", "notify:executed"});
}

TEST_CASE("on_failure rollback compensates, a failing rollback is rollback_incomplete", "[runtime][interpreter]") {
  SECTION("rolled back") {
    Harness h(compile_runbook(with_step_options("on_failure rollback")));
    h.connector->script["disable_compromised_credentials"] = {failure("boom", false)};
    const auto& state = h.start();
    CHECK(state.log().status == "rolled_back");
    // The failed step never took effect: only isolate is compensated.
    CHECK(h.connector->actions() == Strings{"isolate_host", "disable_compromised_credentials", "restore_host"});
    CHECK(h.statuses() == Strings{"isolate:compensated", "disable:failed"});
  }
  SECTION("incomplete") {
    Harness h(compile_runbook(with_step_options("on_failure rollback")));
    h.connector->script["disable_compromised_credentials"] = {failure("boom", false)};
    h.connector->script["restore_host"] = {failure("restore refused", false)};
    const auto& state = h.start();
    CHECK(state.log().status == "rollback_incomplete");
    REQUIRE(state.log().rollbacks.size() == 1);
    CHECK(state.log().rollbacks[0].status == "failed");
    CHECK(h.statuses() == Strings{"isolate:executed", "disable:failed"});
  }
}

TEST_CASE("retries back off exponentially within the limits", "[runtime][interpreter][limits]") {
  Harness h(compile_runbook(with_step_options("retries 3")));
  h.options.retry_backoff_initial = std::chrono::milliseconds(500);
  h.options.retry_backoff_max = std::chrono::milliseconds(800);
  h.connector->script["disable_compromised_credentials"] = {failure("1"), failure("2"), failure("3")};
  const auto& state = h.start();
  CHECK(state.log().status == "completed");
  CHECK(state.log().steps[1].attempts == 4);
  CHECK(h.clock.total_slept() == std::chrono::milliseconds(500 + 800 + 800));
  // Every attempt carries the same idempotency key.
  for (std::size_t i = 1; i <= 4; ++i) CHECK(h.connector->calls[i].idempotency_key == h.connector->calls[1].idempotency_key);
  CHECK(h.connector->calls[4].attempt == 4);
}

TEST_CASE("retries are capped by max_retries, a permanent failure is not retried", "[runtime][interpreter][limits]") {
  SECTION("cap") {
    RuntimeOptions options;
    options.max_retries = 1;
    auto runbook = compile_runbook(with_step_options("retries 5"));
    auto event = typed_event(kCriticalEvent, runbook);
    CHECK(make_plan(runbook, event, "r", options).steps[1].retries == 1);
  }
  SECTION("permanent") {
    Harness h(compile_runbook(with_step_options("retries 3")));
    h.connector->script["disable_compromised_credentials"] = {failure("HTTP 403", false)};
    h.start();
    CHECK(h.state.log().steps[1].attempts == 1);
  }
}

TEST_CASE("the step timeout bounds every attempt", "[runtime][interpreter]") {
  Harness h(compile_runbook(with_step_options("timeout 1m\n    retries 5")));
  h.connector->charge(&h.clock, std::chrono::seconds(25));
  h.connector->script["disable_compromised_credentials"] = {failure("1"), failure("2"), failure("3"), failure("4")};
  const auto& state = h.start();
  CHECK(state.log().status == "failed");
  CHECK(state.log().steps[1].error.value().find("step timeout (60 s) reached") != std::string::npos);
  CHECK(state.log().steps[1].attempts == 3);
  CHECK(h.connector->calls[1].timeout == std::chrono::seconds(60));
  CHECK(h.connector->calls[2].timeout == std::chrono::milliseconds(60000 - 25000 - 500));
}

TEST_CASE("max_run_time stops the run and cuts approval waits", "[runtime][interpreter][limits]") {
  Harness h(compile_runbook(kContainment));
  h.options.max_run_time = std::chrono::seconds(10);
  h.gate.decisions["revoke"] = approve();
  h.gate.clock = &h.clock;
  h.gate.cost = std::chrono::seconds(11);
  const auto& state = h.start();
  CHECK(h.gate.waits[0] == std::chrono::seconds(10));
  CHECK(state.log().status == "failed");
  CHECK(h.statuses() == Strings{"isolate:executed", "disable:executed", "revoke:failed"});
  CHECK(state.log().steps[2].error.value().find("run time limit reached") != std::string::npos);
  CHECK(h.connector->actions() == Strings{"isolate_host", "disable_compromised_credentials"});
}

TEST_CASE("the journal holds the call before the connector acts", "[runtime][interpreter][journal]") {
  Harness h(compile_runbook(kContainment));
  h.gate.decisions["revoke"] = approve();
  std::vector<std::string> seen;
  h.connector->on_call = [&](const ConnectorCall& call) {
    const auto contents = read_journal(h.journal_path());
    const auto& last = contents.records.back();
    CHECK(last.type == "connector_call");
    CHECK(last.data["idempotency_key"] == call.idempotency_key);
    seen.push_back(last.data["step"].get<std::string>());
  };
  h.start();
  CHECK(seen == Strings{"isolate", "disable", "revoke", "notify"});
}

TEST_CASE("resume after a crash repeats no completed step and re-sends the in-flight one", "[runtime][interpreter][resume]") {
  Harness h(compile_runbook(kContainment));
  h.gate.decisions["revoke"] = approve();
  struct Crash {};
  h.connector->on_call = [](const ConnectorCall& call) {
    if (call.action == "revoke_active_sessions") throw Crash{};
  };
  CHECK_THROWS_AS(h.start(), Crash);
  const auto first_key = h.connector->calls.back().idempotency_key;

  auto state = h.reload();
  CHECK_FALSE(state.finished());
  CHECK(state.step("revoke").in_flight);
  h.connector->on_call = nullptr;
  h.connector->calls.clear();
  h.gate.requests.clear();
  Interpreter interpreter(state, *h.journal, h.services(), h.options);
  interpreter.resume(nlohmann::json::object());
  CHECK(state.log().status == "completed");
  CHECK(h.connector->actions() == Strings{"revoke_active_sessions", "notify_ciso_and_legal"});
  CHECK(h.connector->calls[0].idempotency_key == first_key);
  CHECK(h.gate.requests.empty());  // the approval was decided before the crash
  CHECK(state.log().steps.size() == 4);
  CHECK(state.log().steps[2].attempts == 2);
}

TEST_CASE("resume re-asks an approval that was pending at the crash", "[runtime][interpreter][resume]") {
  Harness h(compile_runbook(kContainment));
  struct Crash {};
  class CrashingGate final : public ApprovalGate {
   public:
    std::string_view kind() const override { return "crash"; }
    ApprovalDecision decide(const ApprovalRequest&, std::chrono::milliseconds) override { throw Crash{}; }
  } crashing;
  h.journal.emplace(JournalWriter::create(h.journal_path()));
  {
    Interpreter interpreter(h.state, *h.journal, Services{h.connectors, crashing, h.clock, nullptr}, h.options);
    CHECK_THROWS_AS(interpreter.start(h.start_data()), Crash);
  }
  auto state = h.reload();
  h.gate.decisions["revoke"] = approve();
  Interpreter interpreter(state, *h.journal, h.services(), h.options);
  interpreter.resume(nlohmann::json::object());
  CHECK(state.log().status == "completed");
  CHECK(h.gate.requests.size() == 1);
  CHECK(h.connector->actions() ==
        Strings{"isolate_host", "disable_compromised_credentials", "revoke_active_sessions", "notify_ciso_and_legal"});
}

TEST_CASE("a finished run cannot be resumed", "[runtime][interpreter][resume]") {
  Harness h(compile_runbook(kContainment));
  h.gate.decisions["revoke"] = approve();
  h.start();
  auto state = h.reload();
  REQUIRE(state.finished() == std::optional<std::string>("completed"));
  Interpreter interpreter(state, *h.journal, h.services(), h.options);
  CHECK_THROWS_AS(interpreter.resume(nlohmann::json::object()), std::logic_error);
}

TEST_CASE("manual rollback compensates a failed run in reverse order", "[runtime][interpreter][rollback]") {
  Harness h(compile_runbook(kContainment));
  h.gate.decisions["revoke"] = approve();
  h.connector->script["notify_ciso_and_legal"] = {failure("HTTP 500", false)};
  h.start();
  REQUIRE(h.state.log().status == "failed");
  h.connector->calls.clear();

  auto state = h.reload();
  Interpreter interpreter(state, *h.journal, h.services(), h.options);
  interpreter.rollback();
  CHECK(state.log().status == "rolled_back");
  CHECK(h.connector->actions() == Strings{"enable_credentials", "restore_host"});
  CHECK(h.statuses() == Strings{"isolate:executed", "disable:executed", "revoke:executed", "notify:failed"});
  CHECK(state.log().steps[0].status == "compensated");
  CHECK(state.log().steps[2].status == "executed");  // revoke is irreversible
  CHECK(state.log().notes.size() == 1);

  SECTION("a failed rollback is retried by the next rollback; done ones are not repeated") {
    Harness h2(compile_runbook(kContainment));
    h2.gate.decisions["revoke"] = approve();
    h2.connector->script["notify_ciso_and_legal"] = {failure("HTTP 500", false)};
    h2.connector->script["restore_host"] = {failure("EDR down", false)};
    h2.start();
    auto s1 = h2.reload();
    Interpreter(s1, *h2.journal, h2.services(), h2.options).rollback();
    CHECK(s1.log().status == "rollback_incomplete");
    h2.connector->calls.clear();
    auto s2 = h2.reload();
    Interpreter(s2, *h2.journal, h2.services(), h2.options).rollback();
    CHECK(s2.log().status == "rolled_back");
    CHECK(h2.connector->actions() == Strings{"restore_host"});
    CHECK(s2.log().rollbacks.size() == 2);
  }
}

TEST_CASE("artifacts go to the evidence store, only preserved ones are reported", "[runtime][interpreter][evidence]") {
  TempDir files;
  const auto artifact = files.file("capture.pcap", "packets");
  const auto missing = (files.path() / "absent.log").string();
  auto runbook_text = [&](const std::string& path) {
    return R"writ(
runbook ev {
  title "Evidence"
  severity low
  step collect = open_ticket(summary: "x") {
    preserve ")writ" + path + R"("
  }
  step after = open_ticket(summary: "y")
})";
  };
  SECTION("preserved") {
    Harness h(compile_runbook(runbook_text(artifact)), R"({"id":"e1","severity":"low"})");
    StoreEvidenceSink sink(h.dir.path() / "evidence", h.clock, "writ test");
    h.evidence = &sink;
    const auto& state = h.start();
    CHECK(state.log().status == "completed");
    REQUIRE(state.log().evidence.size() == 1);
    CHECK(state.log().evidence[0].artifact == artifact);
    CHECK(state.log().evidence[0].sha256 == sha256_hex("packets"));
    CHECK(state.log().evidence[0].size == 7);
    const auto& sha = state.log().evidence[0].sha256;
    CHECK(std::filesystem::exists(h.dir.path() / "evidence" / "objects" / "sha256" / sha.substr(0, 2) / sha));
  }
  SECTION("missing artifact fails the step, nothing is reported preserved") {
    Harness h(compile_runbook(runbook_text(missing)), R"({"id":"e1","severity":"low"})");
    StoreEvidenceSink sink(h.dir.path() / "evidence", h.clock, "writ test");
    h.evidence = &sink;
    const auto& state = h.start();
    CHECK(state.log().status == "failed");
    CHECK(state.log().evidence.empty());
    CHECK(state.log().steps[0].status == "failed");
    CHECK(state.log().steps[0].error.value().find("evidence not preserved") != std::string::npos);
  }
  SECTION("dry run collects nothing and says so") {
    Harness h(compile_runbook(runbook_text(artifact)), R"({"id":"e1","severity":"low"})", true);
    const auto& state = h.start();
    CHECK(state.log().status == "completed");
    CHECK(state.log().evidence.empty());
    // (the scripted connector's replies carry no outputs: collect_memory's are noted too)
    CHECK(std::count_if(state.log().notes.begin(), state.log().notes.end(),
                        [](const std::string& note) { return note.find("dry run") != std::string::npos; }) == 1);
  }
  SECTION("no evidence sink is a failure, not a silent skip") {
    Harness h(compile_runbook(runbook_text(artifact)), R"({"id":"e1","severity":"low"})");
    const auto& state = h.start();
    CHECK(state.log().status == "failed");
  }
}

TEST_CASE("preflight refuses unrouted actions and artifacts outside the roots", "[runtime][interpreter]") {
  Harness h(compile_runbook(kContainment));
  ConnectorSet only_isolate;
  only_isolate.route("isolate_host", "dry-run");
  const auto problems = preflight(h.plan, only_isolate, {}, "run-1");
  CHECK(problems.size() == 5);  // restore_host, disable + enable_credentials, revoke, notify
  CHECK(problems[0].find("rollback action `restore_host`") != std::string::npos);
  CHECK(preflight(h.plan, h.connectors, {}, "run-1").empty());
}

namespace {

// Cuts the journal right after the first record of `type` (a crash just after writing it).
void crash_after(const std::filesystem::path& journal, const std::string& type) {
  std::ifstream in(journal);
  std::string kept, line;
  while (std::getline(in, line)) {
    kept += line + "\n";
    if (nlohmann::json::parse(line)["type"] == type) break;
  }
  in.close();
  keep_journal_prefix(journal, kept);
}

}  // namespace

TEST_CASE("resume honours the outcome of a step that finished just before the crash", "[runtime][interpreter][resume]") {
  SECTION("refusal decided, step not finished: the run halts without asking again") {
    Harness h(compile_runbook(kContainment));
    h.gate.decisions["revoke"] = refuse();
    h.start();
    h.journal.reset();
    crash_after(h.journal_path(), "approval_decided");
    h.gate.requests.clear();
    auto state = h.reload();
    h.connector->calls.clear();
    Interpreter(state, *h.journal, h.services(), h.options).resume(nlohmann::json::object());
    CHECK(state.log().status == "halted_by_approval");
    CHECK(h.connector->calls.empty());
    CHECK(h.gate.requests.empty());
  }
  SECTION("refused after step_finished: still halts, the next step is not run") {
    Harness h(compile_runbook(kContainment));
    h.gate.decisions["revoke"] = refuse();
    h.start();
    h.journal.reset();
    auto records = read_journal(h.journal_path()).records;
    REQUIRE(records.back().type == "run_finished");
    std::ifstream in(h.journal_path());
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    all.erase(all.rfind('\n', all.size() - 2) + 1);  // drop run_finished
    keep_journal_prefix(h.journal_path(), all);
    auto state = h.reload();
    REQUIRE_FALSE(state.finished());
    h.connector->calls.clear();
    Interpreter(state, *h.journal, h.services(), h.options).resume(nlohmann::json::object());
    CHECK(state.log().status == "halted_by_approval");
    CHECK(h.connector->calls.empty());
  }
  SECTION("refused with rollback: compensation happens on resume") {
    Harness h(compile_runbook(kContainment));
    h.gate.decisions["revoke"] = refuse(true);
    h.start();
    h.journal.reset();
    std::ifstream in(h.journal_path());
    std::string kept, line;
    while (std::getline(in, line)) {
      if (nlohmann::json::parse(line)["type"] == "rollback_requested") break;
      kept += line + "\n";
    }
    in.close();
    keep_journal_prefix(h.journal_path(), kept);
    auto state = h.reload();
    h.connector->calls.clear();
    Interpreter(state, *h.journal, h.services(), h.options).resume(nlohmann::json::object());
    CHECK(state.log().status == "rolled_back");
    CHECK(h.connector->actions() == Strings{"enable_credentials", "restore_host"});
  }
}
