// EngineHooks a caller uses to hand the engine its own connectors and to watch evidence copies
// (`writ test`'s simulated world, exercise/simulation.h).
#include <catch2/catch.hpp>

#include "runtime/engine.h"
#include "runtime_test_support.h"

namespace writ::runtime {
namespace {

using testing::kCriticalEvent;
using testing::ScriptedConnector;
using testing::stdlib_catalog;
using testing::TempDir;

const char* kIsolate = R"writ(
runbook isolate {
  title    "Isolate"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
    preserve "/var/forensics/host_snapshot.mem"
  }
}
)writ";

struct Fixture {
  Fixture() {
    dir.file("runbooks/isolate.writ", kIsolate);
    dir.file("host/var/forensics/host_snapshot.mem", "snapshot bytes\n");
    hooks.connectors = [this] {
      auto connector = std::make_unique<ScriptedConnector>();
      connector->on_call = [this](const ConnectorCall& call) { actions.push_back(call.action); };
      ConnectorSet set;
      set.add("scripted", std::move(connector));
      set.route("*", "scripted");
      return set;
    };
    hooks.connectors_kind = "test";
    hooks.evidence_progress = [this](const std::string& artifact, std::uint64_t, std::uint64_t total) {
      copies.emplace_back(artifact, total);
    };
  }
  ExecutionLog start(bool dry_run) {
    EngineConfig config;
    config.state_dir = (dir.path() / "state").string();
    config.evidence = (dir.path() / "evidence").string();
    config.artifact_root = std::filesystem::canonical(dir.path() / "host").string();
    config.dry_run = dry_run;
    Engine engine(RunbookSet::compile((dir.path() / "runbooks").string(), stdlib_catalog()), config, clock, hooks);
    auto log = engine.start(parse_event(kCriticalEvent, "event.json", 64), "event.json", "run-1");
    recorded = engine.read("run-1").start();
    return log;
  }

  TempDir dir;
  ManualClock clock;
  EngineHooks hooks;
  std::vector<std::string> actions;
  std::vector<std::pair<std::string, std::uint64_t>> copies;
  nlohmann::json recorded;
};

TEST_CASE("the connectors hook replaces the connectors file, and the run journals its kind", "[engine][hooks]") {
  Fixture f;
  const auto log = f.start(false);
  CHECK(log.status == "completed");
  CHECK(f.actions == std::vector<std::string>{"isolate_host"});
  CHECK(f.recorded["connectors"]["kind"] == "test");
  CHECK(f.recorded["connectors"]["path"].is_null());
  REQUIRE(f.copies.size() >= 1);
  CHECK(f.copies.front() == std::pair<std::string, std::uint64_t>{"/var/forensics/host_snapshot.mem", 15});
  REQUIRE(log.evidence.size() == 1);
}

TEST_CASE("a dry run still routes every action of the hook's connectors to dry-run", "[engine][hooks]") {
  Fixture f;
  CHECK(f.start(true).status == "completed");
  CHECK(f.actions.empty());
}

}  // namespace
}  // namespace writ::runtime
