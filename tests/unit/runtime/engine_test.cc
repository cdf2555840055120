#include "runtime/engine.h"

#include <catch2/catch.hpp>

#include "runtime/callback_approval.h"
#include "runtime_test_support.h"

namespace writ::runtime {
namespace {

using testing::kCriticalEvent;
using testing::stdlib_catalog;
using testing::TempDir;

const char* kContainment = R"writ(
runbook containment {
  title    "Containment"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 2m
  }
  step notify = notify_ciso_and_legal(channels: [slack, pagerduty])
}
)writ";

struct Fixture {
  Fixture() { dir.file("runbooks/containment.writ", kContainment); }
  std::shared_ptr<const RunbookSet> set() const { return RunbookSet::compile((dir.path() / "runbooks").string(), stdlib_catalog()); }
  EngineConfig config(bool dry_run = true) const {
    EngineConfig c;
    c.state_dir = (dir.path() / "state").string();
    c.dry_run = dry_run;
    return c;
  }
  Event event(const std::string& text = kCriticalEvent) const { return parse_event(text, "event.json", 64); }

  TempDir dir;
  ManualClock clock;
};

ApprovalVote vote(const std::string& who, const std::string& role, bool approved = true) {
  return ApprovalVote{who, {role}, approved, false, ""};
}

TEST_CASE("a runbook set compiles a directory and routes by severity", "[engine]") {
  Fixture f;
  const auto set = f.set();
  CHECK(set->errors().empty());
  CHECK(set->file_count() == 1);
  auto event = f.event();
  CHECK(set->route(event, "r-1").runbook->id == "containment");
  auto low = f.event(R"({"id":"e","severity":"low"})");
  CHECK_THROWS_AS(set->route(low, "r-2"), RunRefused);
}

TEST_CASE("a runbook set with check errors never runs", "[engine]") {
  Fixture f;
  f.dir.file("runbooks/broken.writ", "runbook broken {\n  severity high\n  step a = no_such_action()\n}\n");
  const auto set = f.set();
  REQUIRE(!set->errors().empty());
  CHECK_THROWS_AS(Engine(set, f.config(), f.clock), std::invalid_argument);
}

TEST_CASE("the engine starts a run, refuses to resume a finished one and rolls it back", "[engine]") {
  Fixture f;
  auto config = f.config();
  config.approvals = f.dir.file("approvals.json", R"({"revoke": true})");
  Engine engine(f.set(), config, f.clock);
  const auto log = engine.start(f.event(), "event.json", "20261127T080000Z-00000001");
  CHECK(log.status == "completed");
  CHECK(log.steps.size() == 3);
  bool finished = false;
  CHECK(engine.resume("20261127T080000Z-00000001", &finished).status == "completed");
  CHECK(finished);
  bool already = true;
  CHECK(engine.rollback("20261127T080000Z-00000001", &already).status == "rolled_back");
  CHECK(!already);
  CHECK(engine.read("20261127T080000Z-00000001").log().status == "rolled_back");
}

TEST_CASE("a static approvals file needs a dry run", "[engine]") {
  Fixture f;
  auto config = f.config(false);
  config.approvals = f.dir.file("approvals.json", R"({"revoke": true})");
  Engine engine(f.set(), config, f.clock);
  CHECK_THROWS_AS(engine.start(f.event(), "event.json", "20261127T080000Z-00000002"), RunUsageError);
  CHECK_THROWS_AS(engine.resume("not a run id"), RunUsageError);
}

TEST_CASE("a run waiting for callback approvals holds no thread and continues on quorum", "[engine]") {
  Fixture f;
  EngineHooks hooks;
  hooks.approvals = [&](const RunState& state) { return std::make_unique<CallbackApprovalGate>(state, f.clock); };
  hooks.approvals_kind = "callback";
  Engine engine(f.set(), f.config(), f.clock, hooks);
  const std::string id = "20261127T080000Z-00000003";
  CHECK(engine.start(f.event(), "serve:intake", id).status == "running");  // returned: waiting, not blocked
  auto state = engine.read(id);
  REQUIRE(state.find_step("revoke"));
  CHECK(state.find_step("revoke")->approval_pending);
  CHECK_THROWS_AS(engine.append(id, "approval_vote", {{"step", "isolate"}, {"approver", "a"}, {"roles", {"ciso"}}, {"approved", true},
                                                       {"rollback", false}, {"reason", ""}}),
                  RunRefused);  // not awaiting: the journal refuses the record
  engine.append(id, "approval_vote", {{"step", "revoke"}, {"approver", "alice"}, {"roles", {"ciso"}}, {"approved", true},
                                      {"rollback", false}, {"reason", ""}});
  CHECK(engine.proceed(id).status == "running");  // one role of two: still waiting
  engine.append(id, "approval_vote", {{"step", "revoke"}, {"approver", "bob"}, {"roles", {"legal"}}, {"approved", true},
                                      {"rollback", false}, {"reason", ""}});
  const auto log = engine.proceed(id);
  CHECK(log.status == "completed");
  REQUIRE(log.steps.at(1).approval);
  CHECK(log.steps.at(1).approval->approvers.size() == 2);
}

TEST_CASE("callback approvals time out from the first request", "[engine]") {
  Fixture f;
  EngineHooks hooks;
  hooks.approvals = [&](const RunState& state) { return std::make_unique<CallbackApprovalGate>(state, f.clock); };
  Engine engine(f.set(), f.config(), f.clock, hooks);
  const std::string id = "20261127T080000Z-00000004";
  CHECK(engine.start(f.event(), "serve:intake", id).status == "running");
  f.clock.advance(std::chrono::minutes(1));
  CHECK(engine.proceed(id).status == "running");
  f.clock.advance(std::chrono::minutes(1));
  const auto log = engine.proceed(id);
  CHECK(log.status == "halted_by_approval");
  CHECK(log.steps.at(1).error.value_or("").find("timed out") != std::string::npos);
}

TEST_CASE("a stop request leaves the run unfinished for a later resume", "[engine]") {
  Fixture f;
  std::atomic<bool> stop{true};
  EngineHooks hooks;
  hooks.stop = &stop;
  auto config = f.config();
  config.approvals = f.dir.file("approvals.json", R"({"revoke": true})");
  Engine engine(f.set(), config, f.clock, hooks);
  const std::string id = "20261127T080000Z-00000005";
  CHECK(engine.start(f.event(), "serve:intake", id).status == "running");
  stop = false;
  CHECK(engine.resume(id).status == "completed");
}

TEST_CASE("votes decide: a refusal from a required role refuses, distinct approvers must cover the roles", "[engine]") {
  const std::vector<std::string> roles{"ciso", "legal"};
  CHECK(decide_votes({}, roles).pending);
  CHECK(decide_votes({vote("a", "ciso")}, roles).pending);
  CHECK(decide_votes({vote("a", "ciso"), vote("b", "legal")}, roles).approved);
  CHECK(decide_votes({ApprovalVote{"a", {"ciso", "legal"}, true, false, ""}}, roles).pending);  // one person, two roles
  const auto refused = decide_votes({vote("a", "ciso"), vote("b", "legal", false)}, roles);
  CHECK(!refused.pending);
  CHECK(!refused.approved);
  CHECK(decide_votes({vote("c", "soc_analyst", false)}, roles).pending);  // not a required role: ignored
}

}  // namespace
}  // namespace writ::runtime
