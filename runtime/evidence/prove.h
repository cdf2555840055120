// `writ evidence prove`: an in-toto v1 Statement whose subject is one artifact's digest and
// whose predicate carries every custody record of that digest (the exact ledger lines) with an
// RFC 6962 inclusion proof against the current checkpoint, plus the checkpoint itself and the
// text its Ed25519 signature covers. An auditor checks it offline with SHA-256 and Ed25519
// only: hash each line as a leaf, fold the audit path into the checkpoint root, check the
// checkpoint signature. With a signer, the statement is wrapped in a DSSE envelope.
// Reads only. Thread-safe (no shared state).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/evidence_store.h"

namespace writ::evidence {

inline constexpr std::string_view kCustodyPredicateType = "https://writ.dev/attestations/custody/v1";
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

enum class ProveStatus {
  ok,
  not_found,    // no record of that digest is covered by the checkpoint
  damaged,      // the ledger does not match its checkpoint (run verify)
  not_regular,  // custody.jsonl, checkpoint.json or .lock is a FIFO, socket or device: not read
};

struct ProveResult {
  ProveStatus status = ProveStatus::ok;
  std::string document;  // the statement (or DSSE envelope) as JSON, when ok
  std::string error;     // otherwise
};

struct FoundRecord {
  std::optional<CustodyRecord> record;
  ProveStatus status = ProveStatus::ok;  // not_found, not_regular or damaged when no record
  std::string error;
};

// The first well-formed record of `sha256_hex` in the ledger, if any.
FoundRecord find_record(const std::filesystem::path& root, std::string_view sha256_hex);

// `signer` (nullable) signs a DSSE envelope around the statement.
ProveResult prove_artifact(const std::filesystem::path& root, std::string_view sha256_hex,
                           const CheckpointSigner* signer);

// DSSE pre-authentication encoding: "DSSEv1 <len(type)> <type> <len(body)> <body>".
std::string dsse_pae(std::string_view payload_type, std::string_view payload);

}  // namespace writ::evidence
