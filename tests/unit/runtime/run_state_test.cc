#include "runtime/run_state.h"

#include <catch2/catch.hpp>

#include "runtime_test_support.h"

using namespace writ::runtime;
using namespace writ::runtime::testing;
using Catch::Matchers::Contains;

namespace {

JournalRecord record(std::uint64_t seq, std::string type, nlohmann::json data) {
  JournalRecord r;
  r.seq = seq;
  r.type = std::move(type);
  r.at = "2026-11-27T08:00:00.000Z";
  r.data = std::move(data);
  return r;
}

nlohmann::json started() {
  Harness h(compile_runbook(R"writ(
runbook rs {
  title "RS"
  severity critical
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 2m
  }
})writ"));
  return h.start_data();
}

}  // namespace

TEST_CASE("a journal must begin with run_started", "[runtime][journal]") {
  RunState state;
  CHECK_THROWS_WITH(state.apply(record(1, "step_started", {{"step", "x"}})), Contains("does not begin with run_started"));
}

TEST_CASE("malformed records are JournalErrors naming the record", "[runtime][journal]") {
  SECTION("event_text that is not JSON") {
    auto data = started();
    data["event_text"] = "{\"severity\": ";
    RunState state;
    CHECK_THROWS_WITH(state.apply(record(1, "run_started", data)), Contains("record 1 (run_started): event_text:1:"));
  }
  SECTION("event_text that is not an object") {
    auto data = started();
    data["event_text"] = "[1]";
    RunState state;
    CHECK_THROWS_WITH(state.apply(record(1, "run_started", data)), Contains("`event_text` is not a JSON object"));
  }
  SECTION("a broken plan") {
    auto data = started();
    data["plan"]["steps"] = "none";
    RunState state;
    CHECK_THROWS_WITH(state.apply(record(1, "run_started", data)), Contains("record 1 (run_started): plan: `steps` is not an array"));
  }
  SECTION("records after the start") {
    RunState state;
    state.apply(record(1, "run_started", started()));
    CHECK(state.event()["severity"] == "critical");
    CHECK_THROWS_WITH(state.apply(record(2, "step_started", {{"step", "nope"}})), Contains("record 2 (step_started): unknown step `nope`"));
    CHECK_THROWS_WITH(state.apply(record(2, "approval_decided", {{"step", "revoke"}, {"approved", "yes"}})),
                      Contains("record 2 (approval_decided): `approved` has the wrong type"));
    CHECK_THROWS_WITH(state.apply(record(2, "approval_decided", {{"step", "revoke"}, {"approved", false}, {"rollback", false},
                                                                 {"approvers", 3}, {"reason", ""}, {"latency_ms", 1}})),
                      Contains("`approvers` is not a list"));
    CHECK_THROWS_WITH(state.apply(record(2, "teleport", {{"step", "revoke"}})), Contains("unknown record type `teleport`"));
    CHECK_THROWS_WITH(state.apply(record(2, "run_started", started())), Contains("a second run_started"));
    CHECK_THROWS_WITH(state.apply(record(2, "run_finished", {{"status", 1}})), Contains("`status` has the wrong type"));
  }
}

TEST_CASE("the plan is kept once: start() holds the run_started data but the plan and the IR", "[runtime][journal]") {
  auto data = started();
  data["ir"] = {{"id", "rs"}};
  RunState state;
  state.apply(record(1, "run_started", data));
  CHECK(state.plan().find("revoke") != nullptr);
  CHECK_FALSE(state.start().contains("plan"));
  CHECK_FALSE(state.start().contains("ir"));
  CHECK(state.start()["run_id"] == data["run_id"]);
  CHECK(state.start()["event_text"] == data["event_text"]);
  data.erase("plan");
  RunState missing;
  CHECK_THROWS_WITH(missing.apply(record(1, "run_started", data)), Contains("record 1 (run_started): plan: missing"));
}
