// checkpoint.json (DESIGN §10): the ledger's size, head hash and RFC 6962 root, optionally
// signed with Ed25519. The signed message is a C2SP tlog-checkpoint style note body:
//
//   <origin>\n<size>\n<base64 root>\nwrit-head <head hex>\n
//
// so the signature covers the record count, the head hash and the root together.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace writ::evidence {

struct Checkpoint {
  std::uint64_t size = 0;                // number of records (lines) covered
  std::string head;                      // hash of record `size` (hex)
  std::string root;                      // RFC 6962 Merkle tree hash over the lines (hex)
  std::string origin;                    // names the log: "writ.evidence/<first 16 hex of record 1's hash>"
  std::optional<std::string> signature;  // base64 Ed25519 over checkpoint_text()
  std::optional<std::string> key_id;     // names the signing key (see signing.h)
};

std::string origin_for(std::string_view first_record_hash);

// The message that is signed.
std::string checkpoint_text(const Checkpoint& checkpoint);

// checkpoint.json's content: canonical JSON plus a newline; key_id omitted when unsigned.
std::string checkpoint_json(const Checkpoint& checkpoint);

struct ParsedCheckpoint {
  std::optional<Checkpoint> checkpoint;
  std::string error;  // why checkpoint.json is malformed
};

ParsedCheckpoint parse_checkpoint(std::string_view text);

}  // namespace writ::evidence
