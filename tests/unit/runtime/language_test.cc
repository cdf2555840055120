// The runtime of the language constructs (DESIGN §17): for-each, parallel blocks, step outputs
// and human tasks. The IR is built by hand on top of compiled runbooks where the front end does
// not parse a construct yet, as the interpreter sees it either way.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <set>

#include "runtime/interpreter.h"
#include "runtime/outputs.h"
#include "runtime_test_support.h"

using namespace writ;
using namespace writ::runtime;
using namespace writ::runtime::testing;
using Strings = std::vector<std::string>;

namespace {

expr::NodePtr path(std::vector<std::string> segments) {
  auto node = std::make_shared<expr::Node>();
  node->kind = expr::Node::Kind::Path;
  node->path = std::move(segments);
  return node;
}

const char* kHostsEvent =
    R"({"id":"evt-7","severity":"critical","host_id":"ws-042","hosts":["ws-1","ws-2","ws-3"],"detected_at":"2026-11-27T08:00:00Z"})";

// isolate (for each host) with a rollback, then a notification.
ir::Runbook for_each_runbook(const std::string& extra = "") {
  auto runbook = compile_runbook(R"writ(
runbook fleet {
  title    "Fleet"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
    )writ" + extra + R"writ(
  }
  step notify = notify_ciso_and_legal(channels: [slack])
}
)writ");
  runbook.event.push_back(ir::EventField{"hosts", expr::Type::list(expr::Type::nominal("host"))});
  auto& isolate = runbook.steps.at(0);
  isolate.for_each = ir::ForEach{path({"event", "hosts"}), "h"};
  isolate.args.at(0).value = path({"h"});
  isolate.rollback->args.at(0).value = path({"h"});
  return runbook;
}

// Every step's status and error, for the failure messages.
std::string summary(const RunState& state) {
  std::string out = state.log().status;
  for (const auto& s : state.log().steps) out += "\n" + s.step + ": " + s.status + (s.error ? " (" + *s.error + ")" : "");
  return out;
}

Strings keys(const std::vector<ConnectorCall>& calls) {
  Strings out;
  for (const auto& c : calls) out.push_back(c.idempotency_key);
  return out;
}

// A connector whose calls may overlap: it counts the calls inside call() at once, and a call
// can be made to wait until `expected` calls are inside together (or a second passes).
class ConcurrentConnector final : public Connector {
 public:
  std::string_view kind() const override { return "scripted"; }
  ConnectorResult call(const ConnectorCall& call) override {
    std::unique_lock lock(mutex_);
    calls.push_back(call);
    ++inside_;
    most_inside = std::max(most_inside, inside_);
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return inside_ >= expected || expected == 0; });
    --inside_;
    if (failing.count(call.action)) return failure("HTTP 500 from " + call.action, false);
    return ConnectorResult{true, false, "ok", "", R"({"outputs":{"image_id":"img-1"}})"};
  }
  std::vector<ConnectorCall> calls;
  std::set<std::string> failing;
  int expected = 0;
  int most_inside = 0;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int inside_ = 0;
};

}  // namespace

TEST_CASE("for-each: one call per element with its own key, log entry and journal records", "[runtime][language]") {
  Harness h(for_each_runbook(), kHostsEvent);
  const auto& state = h.start();
  INFO(summary(state));
  REQUIRE(state.log().status == "completed");
  REQUIRE(h.connector->calls.size() == 4);
  Strings targets;
  for (std::size_t i = 0; i < 3; ++i) {
    targets.push_back(h.connector->calls[i].args["target"].get<std::string>());
    CHECK(h.connector->calls[i].idempotency_key == unit_key(h.run_id, "isolate", static_cast<int>(i), "execute"));
  }
  CHECK(targets == Strings{"ws-1", "ws-2", "ws-3"});
  CHECK(unit_key(h.run_id, "isolate", 0, "execute") == idempotency_key(h.run_id, "isolate[0]", "execute"));
  const auto& entry = state.log().steps.at(0);
  REQUIRE(entry.elements);
  REQUIRE(entry.elements->size() == 3);
  CHECK(entry.elements->at(2).target == "ws-3");
  CHECK(entry.elements->at(2).status == "executed");
  CHECK(entry.attempts == 3);
  const auto json = to_json(state.log());
  CHECK(json["steps"][0]["elements"].size() == 3);
  CHECK_FALSE(json["steps"][1].contains("elements"));  // other steps keep their keys only
}

TEST_CASE("for-each: one approval lists every target; a refusal with rollback compensates each element in reverse",
          "[runtime][language]") {
  auto runbook = for_each_runbook();
  runbook.steps.push_back(runbook.steps.at(1));
  runbook.steps.back().id = "notify_again";
  runbook.steps.back().approval = ir::Approval{{"ciso"}, 60};
  Harness h(runbook, kHostsEvent);
  h.gate.decisions["notify_again"] = refuse(true);
  const auto& state = h.start();
  INFO(summary(state));
  CHECK(state.log().status == "rolled_back");
  Strings rolled;
  for (const auto& c : h.connector->calls) {
    if (c.action == "restore_host") rolled.push_back(c.args["target"].get<std::string>() + "@" + c.idempotency_key);
  }
  CHECK(rolled == Strings{"ws-3@" + unit_key(h.run_id, "isolate", 2, "rollback"), "ws-2@" + unit_key(h.run_id, "isolate", 1, "rollback"),
                          "ws-1@" + unit_key(h.run_id, "isolate", 0, "rollback")});
  REQUIRE(state.log().rollbacks.size() == 3);
  CHECK(state.log().rollbacks[0].element == 2);
  CHECK(state.log().steps.at(0).elements->at(0).status == "compensated");
}

TEST_CASE("for-each: the elements' calls share the step's timeout, as the checker's worst case counts it once",
          "[runtime][language]") {
  auto runbook = for_each_runbook();
  runbook.steps.at(0).timeout_seconds = 120;
  Harness h(runbook, kHostsEvent);
  h.connector->charge(&h.clock, std::chrono::seconds(70));  // ws-1 ends at 70 s, ws-2 at 140 s
  const auto& state = h.start();
  INFO(summary(state));
  const auto& entry = state.log().steps.at(0);
  CHECK(entry.status == "failed");
  REQUIRE(entry.error);
  CHECK_THAT(*entry.error, Catch::Contains("step timeout (120 s) reached"));
  CHECK(h.connector->actions() == Strings{"isolate_host", "isolate_host"});  // ws-3 never started
}

TEST_CASE("for-each: the approval request carries every target", "[runtime][language]") {
  auto runbook = for_each_runbook();
  runbook.steps.at(0).approval = ir::Approval{{"ciso"}, 60};
  Harness h(runbook, kHostsEvent);
  h.gate.decisions["isolate"] = approve();
  h.start();
  REQUIRE(h.gate.requests.size() == 1);
  CHECK(h.gate.requests[0].targets == nlohmann::json::array({"ws-1", "ws-2", "ws-3"}));
  CHECK(approval_request_body(h.gate.requests[0])["context"]["targets"].size() == 3);
}

TEST_CASE("for-each: an empty list skips the step and says why", "[runtime][language]") {
  Harness h(for_each_runbook(), R"({"id":"e","severity":"critical","host_id":"ws-042","hosts":[]})");
  const auto& state = h.start();
  INFO(summary(state));
  CHECK(state.log().status == "completed");
  CHECK(h.statuses() == Strings{"isolate:skipped", "notify:executed"});
  REQUIRE(state.log().steps[0].reason);
  CHECK_THAT(*state.log().steps[0].reason, Catch::Contains("for-each list `event.hosts` is empty"));
}

TEST_CASE("for-each: a list longer than max_for_each_elements is refused when rendered", "[runtime][language][limits]") {
  auto runbook = for_each_runbook();
  auto event = typed_event(kHostsEvent, runbook);
  RuntimeOptions options;
  options.max_for_each_elements = 2;
  CHECK_THROWS_WITH(make_plan(runbook, event, "r", options), Catch::Contains("3 elements, more than the limit of 2"));
}

TEST_CASE("for-each: resume after a crash repeats no completed element and re-sends the one in flight with its key",
          "[runtime][language]") {
  Harness h(for_each_runbook(), kHostsEvent);
  h.connector->on_call = [](const ConnectorCall& c) {
    if (c.args.value("target", "") == "ws-2") throw std::runtime_error("kill -9");
  };
  CHECK_THROWS(h.start());
  auto state = h.reload();
  CHECK(state.step("isolate").unit(0).applied);
  CHECK(state.step("isolate").unit(1).in_flight);
  h.connector->on_call = nullptr;
  h.connector->calls.clear();
  Interpreter again(state, *h.journal, h.services(), h.options);
  again.resume({});
  INFO(summary(again.state()));
  CHECK(state.log().status == "completed");
  CHECK(keys(h.connector->calls) == Strings{unit_key(h.run_id, "isolate", 1, "execute"), unit_key(h.run_id, "isolate", 2, "execute"),
                                            idempotency_key(h.run_id, "notify", "execute")});
}

namespace {

expr::NodePtr literal(std::string text) {
  auto node = std::make_shared<expr::Node>();
  node->kind = expr::Node::Kind::Literal;
  node->literal = expr::Value{std::move(text)};
  return node;
}

expr::NodePtr node(expr::Node::Kind kind, std::vector<expr::NodePtr> children, std::string op = "") {
  auto out = std::make_shared<expr::Node>();
  out->kind = kind;
  out->children = std::move(children);
  out->op = std::move(op);
  return out;
}

// image (returns image_id) then a ticket whose summary and `when` read it:
//   summary: "image {{steps.image.outputs.image_id}} of {{event.host_id}}"
//   when steps.image.status == "executed"
ir::Runbook outputs_runbook() {
  auto runbook = compile_runbook(R"writ(
runbook snapshot {
  title    "Snapshot"
  severity low
  step image = trigger_forensic_imaging(target: event.host_id)
  step note = open_ticket(summary: "later")
}
)writ");
  auto& note = runbook.steps.at(1);
  note.args.at(0).value = node(expr::Node::Kind::Interpolation,
                               {literal("image "), path({"steps", "image", "outputs", "image_id"}), literal(" of "), path({"event", "host_id"})});
  note.when = node(expr::Node::Kind::Binary, {path({"steps", "image", "status"}), literal("executed")}, "==");
  return runbook;
}

}  // namespace

TEST_CASE("outputs: a typed reply flows into a later step's argument, rendered when reached and journaled",
          "[runtime][language]") {
  Harness h(outputs_runbook());
  CHECK(h.plan.steps[1].is_deferred());
  h.connector->script["trigger_forensic_imaging"].push_back(ConnectorResult{true, false, "HTTP 200", "", R"({"outputs":{"image_id":"img-7"}})"});
  h.connector->script["open_ticket"].push_back(ConnectorResult{true, false, "HTTP 200", "", R"({"outputs":{"ticket_id":"T-1"}})"});
  const auto& state = h.start();
  INFO(summary(state));
  REQUIRE(state.log().status == "completed");
  REQUIRE(h.connector->calls.size() == 2);
  CHECK(h.connector->calls[1].args["summary"] == "image img-7 of ws-042");
  CHECK(state.log().steps[0].outputs == nlohmann::json{{"image_id", "img-7"}});
  // A fresh state from the journal alone holds the rendered step (resume and rollback use it).
  auto reloaded = h.reload();
  CHECK_FALSE(reloaded.plan().find("note")->is_deferred());
  CHECK(reloaded.plan().find("note")->args["summary"] == "image img-7 of ws-042");
}

TEST_CASE("outputs: a missing, extra, mistyped or hostile reply fails the step naming step and output", "[runtime][language]") {
  const std::vector<std::pair<std::string, std::string>> replies = {
      {R"({"outputs":{}})", "output `image_id` is missing"},
      {R"({"outputs":{"image_id":"a","size":3}})", "output \"size\" is not declared (returns: image_id)"},
      {R"({"outputs":{"image_id":7}})", "output `image_id`: expected string, got integer"},
      {R"({"outputs":{"image_id":"a","image_id":"b"}})", "duplicate key"},
      {R"({"outputs":{"image_id":"a\u0000b"}})", "NUL"},
      {"{" + std::string(70 * 1024, ' ') + "}", "more than the limit of 65536"},
      {"{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", "not valid JSON"},
      {"{not json", "not valid JSON"},
      {R"({"outputs":[1]})", "`outputs` is not an object"},
  };
  for (const auto& [reply, message] : replies) {
    Harness h(outputs_runbook());
    h.connector->script["trigger_forensic_imaging"].push_back(ConnectorResult{true, false, "HTTP 200", "", reply});
    const auto& state = h.start();
  INFO(summary(state));
    INFO(reply.substr(0, 80));
    CHECK(state.log().status == "failed");
    REQUIRE(state.log().steps[0].error);
    CHECK_THAT(*state.log().steps[0].error, Catch::Contains("step `image`") && Catch::Contains(message));
    CHECK(h.connector->calls.size() == 1);  // the later step never ran
  }
}

TEST_CASE("outputs: a reply without outputs leaves the step without them; a later step reading them fails", "[runtime][language]") {
  for (const std::string reply : {"", "OK", R"({"status":"done"})"}) {
    Harness h(outputs_runbook());
    h.connector->script["trigger_forensic_imaging"].push_back(ConnectorResult{true, false, "HTTP 200", "", reply});
    const auto& state = h.start();
    INFO(summary(state));
    CHECK(h.statuses() == Strings{"image:executed", "note:failed"});
    CHECK_THAT(*state.log().steps[1].error, Catch::Contains("needs `steps.image.outputs.image_id`, which the run does not have"));
    CHECK(std::find(state.log().notes.begin(), state.log().notes.end(), "image: the connector's reply carried no outputs") !=
          state.log().notes.end());
  }
}

TEST_CASE("outputs: a dry run gives typed placeholders so later steps still render, and says so", "[runtime][language]") {
  Harness h(outputs_runbook(), kCriticalEvent, true);
  auto dry = std::make_unique<DryRunConnector>();
  h.connectors.add("dry", std::move(dry));
  h.connectors.route("*", "dry");
  const auto& state = h.start();
  INFO(summary(state));
  CHECK(state.log().status == "completed");
  CHECK(state.plan().find("note")->args["summary"] == "image dry-run of ws-042");
  CHECK(std::find(state.log().notes.begin(), state.log().notes.end(), "image: outputs are dry-run placeholders") != state.log().notes.end());
}

TEST_CASE("outputs: a deferred step reading a skipped step's output fails with what it needs", "[runtime][language]") {
  auto runbook = outputs_runbook();
  runbook.steps[0].when = path({"event", "no_such_flag"});  // never holds: image is skipped
  runbook.steps[1].when = nullptr;
  Harness h(runbook);
  const auto& state = h.start();
  INFO(summary(state));
  CHECK(state.log().status == "failed");
  CHECK_THAT(*state.log().steps[1].error, Catch::Contains("needs `steps.image.outputs.image_id`, which the run does not have"));
}

TEST_CASE("outputs: a late-rendered exec argument is checked like preflight before the call", "[runtime][language]") {
  Harness h(outputs_runbook());
  h.connector->script["trigger_forensic_imaging"].push_back(ConnectorResult{true, false, "HTTP 200", "", R"({"outputs":{"image_id":"x"}})"});
  ConnectorSet only_imaging;  // no route for open_ticket: the rendered step is refused before its call
  auto owned = std::make_unique<ScriptedConnector>();
  auto* connector = owned.get();
  connector->script = h.connector->script;
  only_imaging.add("fake", std::move(owned));
  only_imaging.route("trigger_forensic_imaging", "fake");
  h.journal.emplace(JournalWriter::create(h.journal_path()));
  Interpreter interpreter(h.state, *h.journal, Services{only_imaging, h.gate, h.clock, nullptr}, h.options);
  interpreter.start(h.start_data());
  CHECK(h.state.log().status == "failed");
  CHECK_THAT(*h.state.log().steps[1].error, Catch::Contains("refused before any effect") && Catch::Contains("no connector route"));
  CHECK(connector->calls.size() == 1);
}

namespace {

ir::Runbook parallel_runbook() {
  auto runbook = compile_runbook(R"writ(
runbook both {
  title    "Both"
  severity low
  step image = trigger_forensic_imaging(target: event.host_id)
  step notify = notify_ciso_and_legal(channels: [slack])
  step after = notify_ciso_and_legal(channels: [pagerduty])
}
)writ");
  runbook.steps[0].parallel_block = 1;
  runbook.steps[1].parallel_block = 1;
  return runbook;
}

}  // namespace

TEST_CASE("parallel: the branches run at the same time and the journal stays one chain", "[runtime][language]") {
  Harness h(parallel_runbook());
  auto owned = std::make_unique<ConcurrentConnector>();
  auto* connector = owned.get();
  connector->expected = 2;
  h.connectors.add("concurrent", std::move(owned));
  h.connectors.route("*", "concurrent");
  const auto& state = h.start();
  INFO(summary(state));
  CHECK(state.log().status == "completed");
  CHECK(connector->most_inside == 2);  // both branch calls were inside the connector together
  REQUIRE(connector->calls.size() == 3);
  CHECK(connector->calls[2].args["channels"] == nlohmann::json::array({"pagerduty"}));  // after the block ended
  JournalContents contents;
  CHECK_NOTHROW(contents = read_journal(h.journal_path()));
  for (std::size_t i = 0; i < contents.records.size(); ++i) CHECK(contents.records[i].seq == i + 1);
}

TEST_CASE("parallel: a failed branch applies its on_failure to the block", "[runtime][language]") {
  auto runbook = parallel_runbook();
  runbook.steps[0].on_failure = ir::OnFailure::Rollback;
  Harness h(runbook);
  auto owned = std::make_unique<ConcurrentConnector>();
  auto* connector = owned.get();
  connector->failing = {"trigger_forensic_imaging"};
  h.connectors.add("concurrent", std::move(owned));
  h.connectors.route("*", "concurrent");
  const auto& state = h.start();
  INFO(summary(state));
  CHECK(state.log().status == "rolled_back");
  CHECK(connector->calls.size() == 2);  // `after` never ran
}

TEST_CASE("parallel: resume after a crash in the block finishes only what did not complete", "[runtime][language]") {
  Harness h(parallel_runbook());
  h.connector->script["trigger_forensic_imaging"].push_back(ConnectorResult{true, false, "HTTP 200", "", R"({"outputs":{"image_id":"i"}})"});
  h.connector->on_call = [](const ConnectorCall& c) {
    if (c.action == "notify_ciso_and_legal") throw std::runtime_error("kill -9");
  };
  CHECK_THROWS(h.start());
  auto state = h.reload();
  const bool image_done = state.find_step("image")->status.has_value();
  h.connector->on_call = nullptr;
  h.connector->calls.clear();
  Interpreter again(state, *h.journal, h.services(), h.options);
  again.resume({});
  INFO(summary(again.state()));
  CHECK(state.log().status == "completed");
  auto sent = [&](const std::string& step) {
    return std::count_if(h.connector->calls.begin(), h.connector->calls.end(), [&](const ConnectorCall& c) { return c.step == step; });
  };
  CHECK(sent("notify") == 1);  // in flight at the crash: re-sent once, with its key
  CHECK(sent("image") == (image_done ? 0 : 1));
  CHECK(sent("after") == 1);
}

namespace {

ir::Runbook task_runbook() {
  auto runbook = compile_runbook(R"writ(
runbook call {
  title    "Call"
  severity critical
  step call = task(instructions: "Call the bank's fraud line") {
    assignee ciso
    within   2h
  }
  step after = notify_ciso_and_legal(channels: [slack])
}
)writ");
  REQUIRE(runbook.steps[0].task);
  CHECK(runbook.steps[0].task->assignee == "ciso");
  CHECK(runbook.steps[0].task->within_seconds == 7200);
  return runbook;
}

}  // namespace

TEST_CASE("task: the run waits without a call until task_done, then continues", "[runtime][language]") {
  Harness h(task_runbook());
  const auto& state = h.start();
  INFO(summary(state));
  CHECK_FALSE(state.finished());
  CHECK(state.find_step("call")->task_pending);
  CHECK(h.connector->calls.empty());
  h.clock.advance(std::chrono::minutes(30));
  auto reloaded = h.reload();
  reloaded.apply(h.journal->append("task_done", h.clock.now(), {{"step", "call"}, {"by", "alice"}, {"note", "bank called"}}));
  Interpreter again(reloaded, *h.journal, h.services(), h.options);
  again.resume({});
  INFO(summary(again.state()));
  CHECK(reloaded.log().status == "completed");
  CHECK(h.connector->actions() == Strings{"notify_ciso_and_legal"});
  REQUIRE(reloaded.log().steps[0].task);
  CHECK(reloaded.log().steps[0].task->done_by == "alice");
  CHECK(reloaded.log().steps[0].task->note == "bank called");
}

TEST_CASE("task: not done within its time fails the step", "[runtime][language]") {
  Harness h(task_runbook());
  h.start();
  h.clock.advance(std::chrono::hours(3));
  auto reloaded = h.reload();
  Interpreter again(reloaded, *h.journal, h.services(), h.options);
  again.resume({});
  INFO(summary(again.state()));
  CHECK(reloaded.log().status == "failed");
  CHECK_THAT(*reloaded.log().steps[0].error, Catch::Contains("task not done within 7200 s"));
  CHECK(h.connector->calls.empty());
}

TEST_CASE("task: a duplicate, early or unknown-step completion is refused", "[runtime][language]") {
  Harness h(task_runbook());
  const JournalRecord early{2, "task_done", "", {{"step", "call"}, {"by", "a"}, {"note", ""}}, "", ""};
  RunState fresh;
  fresh.apply(JournalRecord{1, "run_started", "", h.start_data(), "", ""});
  CHECK_THROWS_WITH(fresh.apply(early), Catch::Contains("not waiting for its task"));
  h.start();
  auto state = h.reload();
  const JournalRecord unknown{99, "task_done", "", {{"step", "nope"}, {"by", "a"}, {"note", ""}}, "", ""};
  CHECK_THROWS_WITH(state.apply(unknown), Catch::Contains("unknown step `nope`"));
  const JournalRecord other{99, "task_done", "", {{"step", "after"}, {"by", "a"}, {"note", ""}}, "", ""};
  CHECK_THROWS_WITH(state.apply(other), Catch::Contains("not a task"));
  state.apply(JournalRecord{99, "task_done", "", {{"step", "call"}, {"by", "a"}, {"note", ""}}, "", ""});
  CHECK_THROWS_WITH(state.apply(JournalRecord{100, "task_done", "", {{"step", "call"}, {"by", "b"}, {"note", ""}}, "", ""}),
                    Catch::Contains("already marked done"));
}
