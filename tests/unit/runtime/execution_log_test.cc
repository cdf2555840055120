#include "runtime/execution_log.h"

#include <catch2/catch.hpp>
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
    "evidence": [{"artifact": "/tmp/pcap_capture.pcap", "sha256": ")writ" + std::string(64, 'a') + R"(", "size": 42}]
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
