#include "runtime/evidence/custody_record.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/canonical_json.h"
#include "common/sha256.h"

namespace {

using namespace writ::evidence;

CustodyRecord sample() {
  CustodyRecord r;
  r.seq = 1;
  r.event = CustodyEvent::collected;
  r.artifact = "/var/log/auth.log";
  r.sha256 = std::string(64, 'a');
  r.size = 42;
  r.collected_at = "2026-11-27T21:04:03Z";
  r.tool = "writ 0.1.0";
  r.host = "ir-host-1";
  r.user = "responder";
  r.run_id = "run-1";
  r.step = "collect_logs";
  r.prev = std::string(kZeroHash);
  r.hash = compute_record_hash(r);
  return r;
}

}  // namespace

TEST_CASE("a record's line is its canonical JSON and its hash covers everything but the hash", "[evidence]") {
  CustodyRecord r = sample();
  const std::string line = record_line(r);
  CHECK(line ==
        "{\"artifact\":\"/var/log/auth.log\",\"collected_at\":\"2026-11-27T21:04:03Z\",\"collector\":{\"host\":"
        "\"ir-host-1\",\"tool\":\"writ 0.1.0\",\"user\":\"responder\"},\"event\":\"collected\",\"hash\":\"" +
            r.hash + "\",\"incident\":null,\"prev\":\"" + std::string(kZeroHash) +
            "\",\"run_id\":\"run-1\",\"seq\":1,\"sha256\":\"" + std::string(64, 'a') +
            "\",\"size\":42,\"step\":\"collect_logs\"}");
  // An auditor's recipe: drop "hash", canonicalise, SHA-256.
  auto j = nlohmann::json::parse(line);
  j.erase("hash");
  CHECK(writ::sha256_hex(writ::canonical_json(j)) == r.hash);
}

TEST_CASE("parse_record round-trips and rejects every malformation with a reason", "[evidence]") {
  CustodyRecord r = sample();
  r.incident = "INC-7";
  r.hash = compute_record_hash(r);
  const std::string line = record_line(r);
  ParsedRecord ok = parse_record(line);
  REQUIRE(ok.record);
  CHECK(ok.record->incident == "INC-7");
  CHECK(ok.record->step == "collect_logs");
  CHECK(record_line(*ok.record) == line);

  auto with = [&](const std::string& key, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(line);
    j[key] = value;
    return parse_record(j.dump()).error;
  };
  CHECK(parse_record("{").error == "not valid JSON");
  CHECK(parse_record("[1,2]").error == "a record must be a JSON object");
  CHECK(with("extra", 1) == "unexpected field 'extra'");
  CHECK(with("seq", -1) == "field 'seq' must be a non-negative integer");
  CHECK(with("seq", 0) == "field 'seq' must be at least 1");
  CHECK(with("size", 1.5) == "field 'size' must be a non-negative integer");
  CHECK(with("event", "deleted") == "field 'event' must be collected, verified or exported (found 'deleted')");
  CHECK(with("sha256", "ABC") == "field 'sha256' must be 64 lowercase hex digits");
  CHECK(with("collected_at", "2026-11-27 21:04:03") ==
        "field 'collected_at' must be UTC RFC 3339 (YYYY-MM-DDTHH:MM:SSZ)");
  CHECK(with("collector", "me") == "field 'collector' must be an object");
  CHECK(with("collector", {{"tool", "x"}, {"host", "h"}}) == "missing field 'collector.user'");
  CHECK(with("incident", 7) == "field 'incident' must be a string or null");
  auto j = nlohmann::json::parse(line);
  j.erase("prev");
  CHECK(parse_record(j.dump()).error == "missing field 'prev'");
  CHECK(parse_record(nlohmann::json::parse(line).dump(1)).error == "not in canonical JSON form (the line was edited)");
}

TEST_CASE("time formatting and validation", "[evidence]") {
  CHECK(format_utc(std::chrono::system_clock::time_point(std::chrono::seconds(0))) == "1970-01-01T00:00:00Z");
  CHECK(is_rfc3339_utc("2026-11-27T21:04:03Z"));
  CHECK_FALSE(is_rfc3339_utc("2026-13-27T21:04:03Z"));
  CHECK_FALSE(is_rfc3339_utc("2026-11-27T21:04:03+00:00"));
  CHECK_FALSE(is_rfc3339_utc(""));
}

TEST_CASE("object paths are content addressed", "[evidence]") {
  const std::string hex = "ab" + std::string(62, '0');
  CHECK(object_path("/ev", hex) == std::filesystem::path("/ev/objects/sha256/ab/" + hex));
  CHECK(object_name(hex) == "objects/sha256/ab/" + hex);
}
