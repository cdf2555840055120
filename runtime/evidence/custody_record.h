// One custody record (DESIGN §10) and its exact serialisation. A record's `hash` is the
// SHA-256 hex of its canonical JSON without the `hash` field; its line in custody.jsonl is
// its canonical JSON with the hash. parse_record() checks the schema strictly so a damaged or
// hand-edited line is reported with a reason, never trusted. Pure functions, thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/sha256.h"

namespace writ::evidence {

enum class CustodyEvent { collected, verified, exported };

std::string_view event_name(CustodyEvent event);

inline constexpr std::string_view kZeroHash = "0000000000000000000000000000000000000000000000000000000000000000";

struct CustodyRecord {
  std::uint64_t seq = 0;  // 1-based: equals the record's line number in custody.jsonl
  CustodyEvent event = CustodyEvent::collected;
  std::string artifact;  // original path of the artifact
  std::string sha256;    // lowercase hex
  std::uint64_t size = 0;
  std::string collected_at;  // UTC RFC 3339, e.g. 2026-11-27T21:04:03Z (time of this event)
  std::string tool;          // collector.tool, "writ <version>"
  std::string host;          // collector.host
  std::string user;          // collector.user
  std::optional<std::string> run_id;
  std::optional<std::string> step;
  std::optional<std::string> incident;
  std::string prev;  // hash of the previous record, kZeroHash for the first
  std::string hash;
};

// SHA-256 hex of the canonical JSON of `record` without its `hash` field.
std::string compute_record_hash(const CustodyRecord& record);

// The record's line in custody.jsonl (canonical JSON including `hash`, no newline).
std::string record_line(const CustodyRecord& record);

struct ParsedRecord {
  std::optional<CustodyRecord> record;  // set when the line is a well-formed record
  std::string error;                    // why not, otherwise
};

// Parses one line (without its newline). The line must be exactly the canonical JSON of a
// record with every field present and of the right type; extra fields are rejected. Does not
// check `hash` against the content (see compute_record_hash) nor the chain.
ParsedRecord parse_record(std::string_view line);

// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_utc(std::chrono::system_clock::time_point time);
bool is_rfc3339_utc(std::string_view text);

bool is_sha256_hex(std::string_view text);
// The digest `text` spells, when is_sha256_hex(text).
std::optional<Digest> parse_sha256_hex(std::string_view text);

// Layout of an evidence directory.
std::filesystem::path custody_path(const std::filesystem::path& root);
std::filesystem::path checkpoint_path(const std::filesystem::path& root);
std::filesystem::path objects_dir(const std::filesystem::path& root);  // ROOT/objects/sha256
std::filesystem::path object_path(const std::filesystem::path& root, std::string_view sha256_hex);
// "objects/sha256/ab/ab…": how messages name an object, relative to ROOT.
std::string object_name(std::string_view sha256_hex);

}  // namespace writ::evidence
