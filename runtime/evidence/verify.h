// `writ evidence verify`: re-hashes every stored object, walks the custody chain and compares
// the ledger with checkpoint.json (and its Ed25519 signature when a public key is given).
// Every problem becomes a Finding that names the item — "custody.jsonl:7", "checkpoint.json",
// "objects/sha256/ab/ab…" — in ledger order, so the first finding names the first damaged item.
// Reads only; never writes to the store. Malformed input of any kind is a finding, never a
// crash. Objects are hashed in constant memory. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/evidence/evidence_store.h"

namespace writ::evidence {

class Ed25519PublicKey;

struct Finding {
  std::string item;     // relative to the store: custody.jsonl:LINE, checkpoint.json, objects/...
  std::string message;  // what is wrong with it
};

enum class VerifyStatus {
  intact,
  damaged,
  not_a_store,  // ROOT is missing or holds no ledger, checkpoint or objects (a usage error)
};

struct VerifyReport {
  VerifyStatus status = VerifyStatus::intact;
  std::vector<Finding> findings;   // empty when intact
  std::vector<std::string> notes;  // facts that are not damage, e.g. an unchecked signature
  std::uint64_t records = 0;       // lines in custody.jsonl
  std::uint64_t objects = 0;       // distinct objects recorded
  bool signature_verified = false;
};

struct VerifyOptions {
  const Ed25519PublicKey* key = nullptr;  // check the checkpoint signature with this key
  ProgressFn progress;                    // bytes re-hashed so far / total recorded bytes
};

VerifyReport verify_store(const std::filesystem::path& root, const VerifyOptions& options = {});

}  // namespace writ::evidence
