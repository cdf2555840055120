#include "runtime/evidence/checkpoint.h"

#include <nlohmann/json.hpp>

#include "common/canonical_json.h"
#include "runtime/evidence/base64.h"
#include "runtime/evidence/custody_record.h"

namespace writ::evidence {

namespace {

using nlohmann::json;

std::string hex_to_bytes(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string check_fields(const json& j) {
  if (!j.is_object()) return "must be a JSON object";
  for (auto key : {"size", "head", "root", "origin", "signature"}) {
    if (!j.contains(key)) return std::string("missing field '") + key + "'";
  }
  for (const auto& item : j.items()) {
    static constexpr std::string_view kKnown[] = {"size", "head", "root", "origin", "signature", "key_id"};
    bool known = false;
    for (auto k : kKnown) known = known || item.key() == k;
    if (!known) return "unexpected field '" + item.key() + "'";
  }
  if (!j["size"].is_number_unsigned()) return "field 'size' must be a non-negative integer";
  for (auto key : {"head", "root"}) {
    if (!j[key].is_string() || !is_sha256_hex(j[key].get<std::string>())) {
      return std::string("field '") + key + "' must be 64 lowercase hex digits";
    }
  }
  if (!j["origin"].is_string()) return "field 'origin' must be a string";
  if (!j["signature"].is_null() && !j["signature"].is_string()) return "field 'signature' must be a string or null";
  if (j.contains("key_id") && !j["key_id"].is_string()) return "field 'key_id' must be a string";
  if (j["signature"].is_string() && !base64_decode(j["signature"].get<std::string>())) {
    return "field 'signature' is not base64";
  }
  return {};
}

}  // namespace

std::string origin_for(std::string_view first_record_hash) {
  return "writ.evidence/" + std::string(first_record_hash.substr(0, 16));
}

std::string checkpoint_text(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" + base64_encode(hex_to_bytes(c.root)) + "\nwrit-head " +
         c.head + "\n";
}

std::string checkpoint_json(const Checkpoint& c) {
  json j{{"size", c.size}, {"head", c.head}, {"root", c.root}, {"origin", c.origin}};
  j["signature"] = c.signature ? json(*c.signature) : json(nullptr);
  if (c.key_id) j["key_id"] = *c.key_id;
  return canonical_json(j) + "\n";
}

ParsedCheckpoint parse_checkpoint(std::string_view text) {
  // nlohmann stops at a NUL byte as if the input ended there: `{...}\0garbage` would pass.
  if (text.find('\0') != std::string_view::npos) return {std::nullopt, "not valid JSON (a NUL byte)"};
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return {std::nullopt, "not valid JSON"};
  if (auto err = check_fields(j); !err.empty()) return {std::nullopt, err};
  Checkpoint c;
  c.size = j["size"].get<std::uint64_t>();
  c.head = j["head"].get<std::string>();
  c.root = j["root"].get<std::string>();
  c.origin = j["origin"].get<std::string>();
  if (j["signature"].is_string()) c.signature = j["signature"].get<std::string>();
  if (j.contains("key_id")) c.key_id = j["key_id"].get<std::string>();
  return {std::move(c), {}};
}

}  // namespace writ::evidence
