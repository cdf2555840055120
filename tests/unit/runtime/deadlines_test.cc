#include "runtime/deadlines.h"

#include <catch2/catch.hpp>

#include "runtime/engine.h"
#include "runtime_test_support.h"

namespace writ::runtime {
namespace {

using testing::stdlib_catalog;
using testing::TempDir;

const char* kExposure = R"writ(
runbook exposure {
  title    "Exposure"
  severity high
  comply   GDPR
  step image = trigger_forensic_imaging(target: event.host_id) {
    approve ciso within 30m
  }
  step notify_authority = notify_regulatory_contact(channels: [secure_portal]) {
    deadline 48h
    satisfies gdpr.authority
  }
}
)writ";

const char* kEvent = R"({"id":"e-1","severity":"high","host_id":"db-007","detected_at":"2026-11-27T09:15:00Z"})";

// Runs kExposure with the approval decided by `approvals` once the clock reads `now`.
ExecutionLog run_at(WallTime now, const std::string& approvals, std::vector<std::string>* records = nullptr) {
  TempDir dir;
  dir.file("rb/exposure.writ", kExposure);
  ManualClock clock(now);
  EngineConfig config;
  config.state_dir = (dir.path() / "state").string();
  config.dry_run = true;
  config.approvals = dir.file("approvals.json", approvals);
  Engine engine(RunbookSet::compile((dir.path() / "rb").string(), stdlib_catalog()), config, clock);
  auto log = engine.start(parse_event(kEvent, "event.json", 64), "event.json", "20261127T091500Z-00000001");
  if (records) {
    for (const auto& r : read_journal(dir.path() / "state" / "runs" / "20261127T091500Z-00000001" / "journal.jsonl").records) {
      records->push_back(r.type);
    }
  }
  return log;
}

WallTime at(const char* text) { return *parse_rfc3339(text); }

TEST_CASE("a GDPR runbook's clock runs from detected_at and the satisfying step stops it", "[deadlines]") {
  std::vector<std::string> records;
  const auto log = run_at(at("2026-11-27T10:00:00Z"), R"({"image": true})", &records);
  REQUIRE(log.deadlines.size() == 1);
  const auto& clock = log.deadlines[0];
  CHECK(clock.obligation == "gdpr.authority");
  CHECK(clock.regulation == "EU GDPR");  // the regulation as the catalog names it
  CHECK(clock.due_at == "2026-11-30T09:15:00.000Z");  // 72 h after detection
  CHECK(clock.status == "met");
  CHECK(clock.met_at == "2026-11-27T10:00:00.000Z");
  CHECK(std::count(records.begin(), records.end(), "deadline_met") == 1);
  CHECK(to_json(log)["deadlines"][0]["status"] == "met");
}

TEST_CASE("met after due_at is met_late; a halted run's running clock is overdue once due", "[deadlines]") {
  CHECK(run_at(at("2026-12-01T00:00:00Z"), R"({"image": true})").deadlines.at(0).status == "met_late");
  std::vector<std::string> records;
  const auto halted = run_at(at("2026-12-01T00:00:00Z"), R"({"image": false})", &records);
  CHECK(halted.status == "halted_by_approval");
  CHECK(halted.deadlines.at(0).status == "overdue");
  CHECK(std::count(records.begin(), records.end(), "deadline_overdue") == 1);
  CHECK(run_at(at("2026-11-28T00:00:00Z"), R"({"image": false})").deadlines.at(0).status == "pending");
}

TEST_CASE("clocks read back from the journal form and refuse a malformed one", "[deadlines]") {
  std::vector<DeadlineClock> clocks{{"gdpr.authority", "GDPR", "Art. 33", "2026-01-04T00:00:00.000Z", {"notify"}, "", "pending"}};
  auto back = clocks_from_json(clocks_to_json(clocks));
  REQUIRE(back.size() == 1);
  CHECK(back[0].steps == std::vector<std::string>{"notify"});
  CHECK(stop_clocks(back, "other", "2026-01-01T00:00:00.000Z").empty());
  CHECK(overdue_clocks(back, at("2026-01-05T00:00:00Z")) == std::vector<std::string>{"gdpr.authority"});
  CHECK_THROWS_AS(clocks_from_json(nlohmann::json::parse(R"([{"obligation": "x"}])")), std::invalid_argument);
  CHECK_THROWS_AS(clocks_from_json(nlohmann::json::parse(
                      R"([{"obligation":"x","regulation":"X","citation":"","due_at":"soon","steps":[]}])")),
                  std::invalid_argument);
}

}  // namespace
}  // namespace writ::runtime
