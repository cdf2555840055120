#include "service/alertmanager.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

namespace writ::service {
namespace {

nlohmann::json payload(const std::string& alerts) {
  return nlohmann::json::parse(R"({"version": "4", "status": "firing", "alerts": )" + alerts + "}");
}

TEST_CASE("a captured Alertmanager v4 payload maps to one event per firing alert", "[alertmanager]") {
  std::ifstream in(WRIT_SOURCE_DIR "/tests/data/serve/alertmanager-webhook-v4.json");
  std::stringstream text;
  text << in.rdbuf();
  const auto body = nlohmann::json::parse(text.str());
  REQUIRE(is_alertmanager_payload(body));
  const auto events = alertmanager_events(body);
  REQUIRE(events.size() == 1);
  CHECK(events[0]["id"] == "ce2db2432b3ce933-2026-11-30T17:23:23.102203979Z");
  CHECK(events[0]["detected_at"] == "2026-11-30T17:23:23.102203979Z");
  CHECK(events[0]["severity"] == "critical");
  CHECK(events[0]["host_id"] == "web-01");
}

TEST_CASE("labels win over annotations, resolved alerts are ignored", "[alertmanager]") {
  const auto events = alertmanager_events(payload(R"([
    {"status": "firing", "fingerprint": "f1", "startsAt": "2026-01-01T00:00:00Z",
     "labels": {"severity": "high", "id": "label-id"}, "annotations": {"severity": "low", "summary": "s"}},
    {"status": "resolved", "fingerprint": "f2", "startsAt": "2026-01-01T00:00:00Z", "labels": {}}])"));
  REQUIRE(events.size() == 1);
  CHECK(events[0]["severity"] == "high");
  CHECK(events[0]["summary"] == "s");
  CHECK(events[0]["id"] == "f1-2026-01-01T00:00:00Z");  // never taken from a label
}

TEST_CASE("malformed alerts are refused with their place", "[alertmanager]") {
  auto refused = [](const std::string& alerts, const std::string& where) {
    try {
      alertmanager_events(payload(alerts));
      FAIL("accepted " << alerts);
    } catch (const PayloadError& e) {
      CHECK_THAT(e.what(), Catch::Contains(where));
    }
  };
  refused(R"({"a": 1})", "alerts: not a list");
  refused(R"([1])", "alerts[0]: not an object");
  refused(R"([{"status": "firing", "startsAt": "x"}])", "`fingerprint` is missing");
  refused(R"([{"status": "firing", "fingerprint": "f", "startsAt": "x", "labels": {"a": 1}}])", "alerts[0].labels.a: not a string");
  refused(R"([{"status": "firing", "fingerprint": "", "startsAt": "x"}])", "fingerprint: empty");
  CHECK_THROWS_AS(alertmanager_events(nlohmann::json::parse(R"({"version": "3", "alerts": []})")), PayloadError);
}

}  // namespace
}  // namespace writ::service
