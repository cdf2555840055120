#include "runtime/evidence/custody_record.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/canonical_json.h"

namespace writ::evidence {

namespace {

using nlohmann::json;

json optional_string(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

json record_json_without_hash(const CustodyRecord& r) {
  return json{{"seq", r.seq},
              {"event", event_name(r.event)},
              {"artifact", r.artifact},
              {"sha256", r.sha256},
              {"size", r.size},
              {"collected_at", r.collected_at},
              {"collector", {{"tool", r.tool}, {"host", r.host}, {"user", r.user}}},
              {"run_id", optional_string(r.run_id)},
              {"step", optional_string(r.step)},
              {"incident", optional_string(r.incident)},
              {"prev", r.prev}};
}

// Schema checks return an error message, empty when fine.
std::string expect_keys(const json& obj, std::initializer_list<std::string_view> keys, std::string_view what) {
  for (auto key : keys) {
    if (!obj.contains(key)) return "missing field '" + std::string(what) + std::string(key) + "'";
  }
  for (const auto& item : obj.items()) {
    bool known = false;
    for (auto key : keys) known = known || item.key() == key;
    if (!known) return "unexpected field '" + std::string(what) + item.key() + "'";
  }
  return {};
}

std::string read_string(const json& obj, const char* key, std::string& out) {
  if (!obj.at(key).is_string()) return std::string("field '") + key + "' must be a string";
  out = obj.at(key).get<std::string>();
  return {};
}

std::string read_optional(const json& obj, const char* key, std::optional<std::string>& out) {
  const json& v = obj.at(key);
  if (v.is_null()) return {};
  if (!v.is_string()) return std::string("field '") + key + "' must be a string or null";
  out = v.get<std::string>();
  return {};
}

std::string read_unsigned(const json& obj, const char* key, std::uint64_t& out) {
  if (!obj.at(key).is_number_unsigned()) return std::string("field '") + key + "' must be a non-negative integer";
  out = obj.at(key).get<std::uint64_t>();
  return {};
}

std::string read_hex(const json& obj, const char* key, std::string& out) {
  if (auto err = read_string(obj, key, out); !err.empty()) return err;
  if (!is_sha256_hex(out)) return std::string("field '") + key + "' must be 64 lowercase hex digits";
  return {};
}

std::string read_event(const json& obj, CustodyEvent& out) {
  std::string name;
  if (auto err = read_string(obj, "event", name); !err.empty()) return err;
  for (auto e : {CustodyEvent::collected, CustodyEvent::verified, CustodyEvent::exported}) {
    if (name == event_name(e)) {
      out = e;
      return {};
    }
  }
  return "field 'event' must be collected, verified or exported (found '" + name + "')";
}

std::string read_collector(const json& obj, CustodyRecord& r) {
  const json& c = obj.at("collector");
  if (!c.is_object()) return "field 'collector' must be an object";
  if (auto err = expect_keys(c, {"tool", "host", "user"}, "collector."); !err.empty()) return err;
  for (auto [key, out] : {std::pair{"tool", &r.tool}, {"host", &r.host}, {"user", &r.user}}) {
    if (!c.at(key).is_string()) return std::string("field 'collector.") + key + "' must be a string";
    *out = c.at(key).get<std::string>();
  }
  return {};
}

std::string read_record(const json& obj, CustodyRecord& r) {
  if (!obj.is_object()) return "a record must be a JSON object";
  std::string err = expect_keys(obj,
                                {"seq", "event", "artifact", "sha256", "size", "collected_at", "collector", "run_id",
                                 "step", "incident", "prev", "hash"},
                                "");
  if (err.empty()) err = read_unsigned(obj, "seq", r.seq);
  if (err.empty() && r.seq == 0) err = "field 'seq' must be at least 1";
  if (err.empty()) err = read_event(obj, r.event);
  if (err.empty()) err = read_string(obj, "artifact", r.artifact);
  if (err.empty()) err = read_hex(obj, "sha256", r.sha256);
  if (err.empty()) err = read_unsigned(obj, "size", r.size);
  if (err.empty()) err = read_string(obj, "collected_at", r.collected_at);
  if (err.empty() && !is_rfc3339_utc(r.collected_at))
    err = "field 'collected_at' must be UTC RFC 3339 (YYYY-MM-DDTHH:MM:SSZ)";
  if (err.empty()) err = read_collector(obj, r);
  if (err.empty()) err = read_optional(obj, "run_id", r.run_id);
  if (err.empty()) err = read_optional(obj, "step", r.step);
  if (err.empty()) err = read_optional(obj, "incident", r.incident);
  if (err.empty()) err = read_hex(obj, "prev", r.prev);
  if (err.empty()) err = read_hex(obj, "hash", r.hash);
  return err;
}

}  // namespace

std::string_view event_name(CustodyEvent event) {
  switch (event) {
    case CustodyEvent::collected:
      return "collected";
    case CustodyEvent::verified:
      return "verified";
    case CustodyEvent::exported:
      return "exported";
  }
  return "collected";
}

std::string compute_record_hash(const CustodyRecord& record) {
  return canonical_digest(record_json_without_hash(record));
}

std::string record_line(const CustodyRecord& record) {
  json j = record_json_without_hash(record);
  j["hash"] = record.hash;
  return canonical_json(j);
}

ParsedRecord parse_record(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return {std::nullopt, "not valid JSON"};
  CustodyRecord r;
  if (auto err = read_record(j, r); !err.empty()) return {std::nullopt, err};
  // Every field has a known type now, so canonical_json cannot meet a float.
  if (canonical_json(j) != line) return {std::nullopt, "not in canonical JSON form (the line was edited)"};
  return {std::move(r), {}};
}

std::string format_utc(std::chrono::system_clock::time_point time) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool is_rfc3339_utc(std::string_view s) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != kShape.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool ok = kShape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == kShape[i];
    if (!ok) return false;
  }
  auto num = [&](std::size_t pos, std::size_t len) { return std::stoi(std::string(s.substr(pos, len))); };
  return num(5, 2) >= 1 && num(5, 2) <= 12 && num(8, 2) >= 1 && num(8, 2) <= 31 && num(11, 2) <= 23 &&
         num(14, 2) <= 59 && num(17, 2) <= 60;
}

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<Digest> parse_sha256_hex(std::string_view text) {
  if (!is_sha256_hex(text)) return std::nullopt;
  Digest out{};
  auto nibble = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10); };
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
  }
  return out;
}

std::filesystem::path custody_path(const std::filesystem::path& root) { return root / "custody.jsonl"; }
std::filesystem::path checkpoint_path(const std::filesystem::path& root) { return root / "checkpoint.json"; }
std::filesystem::path objects_dir(const std::filesystem::path& root) { return root / "objects" / "sha256"; }

std::filesystem::path object_path(const std::filesystem::path& root, std::string_view hex) {
  return objects_dir(root) / std::string(hex.substr(0, 2)) / std::string(hex);
}

std::string object_name(std::string_view hex) {
  return "objects/sha256/" + std::string(hex.substr(0, 2)) + "/" + std::string(hex);
}

}  // namespace writ::evidence
