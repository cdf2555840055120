#include "runtime/execution_log.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <sstream>

using namespace writ::runtime;

namespace {

ExecutionLog sample() {
  ExecutionLog log;
  log.run_id = "20261127T080000Z-0000abcd";
  log.runbook = "active_breach";
  log.event_id = "evt-1001";
  log.status = "halted_by_approval";
  log.steps.push_back({"isolate", "isolate_network_segment", "executed", 1, "2026-11-27T08:00:00.000Z", "2026-11-27T08:00:00.120Z",
                       std::nullopt, std::nullopt, "edr"});
  log.steps.push_back({"revoke", "revoke_active_sessions", "refused", 0, "2026-11-27T08:00:00.130Z", "2026-11-27T08:00:01.130Z",
                       ApprovalEntry{{"ciso", "legal"}, false, {}, 1000, "refused by the approver"}, "approval refused: refused by the approver", ""});
  log.evidence.push_back({"/tmp/pcap_capture.pcap", std::string(64, 'a'), 42});
  return log;
}

}  // namespace

TEST_CASE("the JSON execution log is exactly DESIGN §9's object", "[runtime][log]") {
  const auto json = to_json(sample());
  CHECK(json == nlohmann::json::parse(R"writ({
    "run_id": "20261127T080000Z-0000abcd", "runbook": "active_breach", "event_id": "evt-1001",
    "status": "halted_by_approval",
    "steps": [
      {"step": "isolate", "action": "isolate_network_segment", "status": "executed", "attempts": 1,
       "started_at": "2026-11-27T08:00:00.000Z", "finished_at": "2026-11-27T08:00:00.120Z",
       "approval": null, "error": null},
      {"step": "revoke", "action": "revoke_active_sessions", "status": "refused", "attempts": 0,
       "started_at": "2026-11-27T08:00:00.130Z", "finished_at": "2026-11-27T08:00:01.130Z",
       "approval": {"required_roles": ["ciso", "legal"], "approved": false, "approvers": [], "latency_ms": 1000},
       "error": "approval refused: refused by the approver"}
    ],
    "rollbacks": [],
    "evidence": [{"artifact": "/tmp/pcap_capture.pcap", "sha256": ")writ" + std::string(64, 'a') + R"(", "size": 42}],
    "deadlines": []
  })"));
}

TEST_CASE("the text log is a readable timeline", "[runtime][log]") {
  std::ostringstream out;
  auto log = sample();
  log.rollbacks.push_back({"isolate", "restore_network_segment", "failed", std::string("HTTP 500")});
  print_text(out, log);
  const auto text = out.str();
  CHECK(text.find("run 20261127T080000Z-0000abcd  runbook active_breach  event evt-1001") == 0);
  CHECK(text.find("08:00:00.000  isolate") != std::string::npos);
  CHECK(text.find("via edr") != std::string::npos);
  CHECK(text.find("approval [ciso + legal] refused after 1000 ms") != std::string::npos);
  CHECK(text.find("error: approval refused: refused by the approver") != std::string::npos);
  CHECK(text.find("rollback      isolate") != std::string::npos);
  CHECK(text.find("error: HTTP 500") != std::string::npos);
  CHECK(text.find("evidence      /tmp/pcap_capture.pcap") != std::string::npos);
  CHECK(text.rfind("status: halted_by_approval\n") == text.size() - std::string("status: halted_by_approval\n").size());
}

TEST_CASE("the timeline aligns its columns to the longest step id and action", "[runtime][log]") {
  auto log = sample();
  log.steps.push_back({"notify_regulatory_contact_early_warning", "notify_regulatory_contact", "executed", 1,
                       "2026-11-27T08:00:02.000Z", "2026-11-27T08:00:02.010Z", std::nullopt, std::nullopt, ""});
  log.steps.push_back({"image", "a_very_long_action_name_from_a_policy_catalog", "skipped", 0,
                       "2026-11-27T08:00:03.000Z", "2026-11-27T08:00:03.000Z", std::nullopt, std::nullopt, ""});
  log.rollbacks.push_back({"isolate", "restore_network_segment", "executed", std::nullopt});
  std::ostringstream out;
  print_text(out, log);
  std::istringstream lines(out.str());
  std::vector<std::size_t> action_columns, status_columns;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  08:", 0) != 0 && line.rfind("  rollback", 0) != 0) continue;  // step and rollback lines
    for (const char* action : {"isolate_network_segment", "revoke_active_sessions", "notify_regulatory_contact ",
                               "a_very_long_action_name", "restore_network_segment"}) {
      if (auto at = line.find(action); at != std::string::npos) action_columns.push_back(at);
    }
    for (const char* status : {" executed", " refused", " skipped"}) {
      if (auto at = line.find(status); at != std::string::npos) status_columns.push_back(at);
    }
  }
  REQUIRE(action_columns.size() == 5);
  REQUIRE(status_columns.size() == 5);
  CHECK(std::all_of(action_columns.begin(), action_columns.end(), [&](auto c) { return c == action_columns[0]; }));
  CHECK(std::all_of(status_columns.begin(), status_columns.end(), [&](auto c) { return c == status_columns[0]; }));
  // The longest id still gets one blank before its action.
  CHECK(out.str().find("notify_regulatory_contact_early_warning notify_regulatory_contact ") != std::string::npos);
}
