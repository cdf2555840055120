// `writ evidence verify`: re-hashes every stored object, walks the custody chain and compares
// the ledger with checkpoint.json (and its Ed25519 signature when a public key is given).
// Every problem becomes a Finding that names the item — "custody.jsonl:7", "checkpoint.json",
// "objects/sha256/ab/ab…" — in ledger order, so the first finding names the first damaged item.
// With `since` (an older checkpoint an auditor kept), it also proves by an RFC 6962 consistency
// proof that the store is an append-only extension of it, so a store rolled back to an older
// (even validly signed) state, or rewritten and re-hashed, is reported damaged.
// Reads only; never writes to the store. Malformed input of any kind is a finding, never a
// crash. The ledger is streamed: memory grows with the well-formed records (about 150 bytes
// each), never with malformed lines, and only the first `max_findings` findings are kept (the
// rest are counted). Objects are hashed in constant memory. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/evidence_store.h"

namespace writ::evidence {

class Ed25519PublicKey;

struct Finding {
  std::string item;     // relative to the store: custody.jsonl:LINE, checkpoint.json, objects/..., or the kept checkpoint
  std::string message;  // what is wrong with it
};

enum class VerifyStatus {
  intact,
  damaged,
  not_a_store,  // ROOT is missing or holds no ledger, checkpoint or objects (a usage error)
  not_regular,  // custody.jsonl, checkpoint.json or .lock is a FIFO, socket or device: not read (usage error)
};

// What `since` proved: the consistency of the kept checkpoint with the store's.
struct SinceReport {
  std::uint64_t old_size = 0;
  std::string old_root;            // hex, as kept
  std::uint64_t new_size = 0;      // records the store's checkpoint covers
  std::string new_root;            // hex, recomputed from the ledger
  std::vector<std::string> proof;  // the consistency proof (hex), RFC 6962 order
  bool consistent = false;         // the proof verifies: the store extends the kept checkpoint
  bool signature_verified = false;  // the kept checkpoint's signature verified with the key
};

struct VerifyReport {
  VerifyStatus status = VerifyStatus::intact;
  std::vector<Finding> findings;   // the first max_findings, in report order; empty when intact
  std::uint64_t findings_total = 0;  // all of them, kept or not
  std::vector<std::string> notes;  // facts that are not damage, e.g. an unchecked signature
  std::uint64_t records = 0;       // lines in custody.jsonl
  std::uint64_t objects = 0;       // distinct objects recorded
  bool signature_verified = false;
  std::optional<SinceReport> since;  // when a kept checkpoint was given and could be compared
  std::string error;               // why the store was not read (not_regular)
};

// An older checkpoint an auditor kept, and what to call it in findings (its file name).
struct KeptCheckpoint {
  Checkpoint checkpoint;
  std::string name;
};

struct VerifyOptions {
  const Ed25519PublicKey* key = nullptr;  // check the checkpoint signature(s) with this key
  ProgressFn progress;                    // bytes re-hashed so far / total recorded bytes
  std::size_t max_findings = 100;         // findings kept in the report (the rest are counted)
  const KeptCheckpoint* since = nullptr;  // prove the store extends this checkpoint
};

VerifyReport verify_store(const std::filesystem::path& root, const VerifyOptions& options = {});

}  // namespace writ::evidence
