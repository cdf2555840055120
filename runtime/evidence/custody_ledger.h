// The append side of the custody ledger: ROOT/custody.jsonl plus ROOT/checkpoint.json.
// append() takes ROOT/.lock (flock, shared by every writer process and thread), checks that
// the existing ledger still matches its checkpoint, writes the new records in one write(2),
// fsyncs, and rewrites checkpoint.json atomically (signed when a signer is given). A ledger
// that no longer matches its checkpoint is never appended to: the caller gets an error that
// says to run `writ evidence verify`, and nothing is written. Errors are returned as text;
// when only the checkpoint rewrite fails, `records` holds the appended records and `error`
// says so (the next append covers them).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/evidence_store.h"

namespace writ::evidence {

class FileLock;

// What the caller decides about a record; seq, time, collector, prev and hash are filled in.
struct RecordDraft {
  CustodyEvent event = CustodyEvent::collected;
  std::string artifact;
  std::string sha256;
  std::uint64_t size = 0;
};

struct AppendResult {
  std::vector<CustodyRecord> records;  // as written, in order
  std::string error;                   // non-empty: nothing was appended (but see below)
  bool ledger_damaged = false;         // refused because the ledger does not match its checkpoint

  bool ok() const { return error.empty(); }
};

// The writers' lock on a store (ROOT/.lock, created if absent). Held while an object is placed
// and its records appended, so a reader holding the shared lock sees every object together
// with its records. Waits up to two minutes for another writer; check error().
class LedgerLock {
 public:
  explicit LedgerLock(const std::filesystem::path& root);
  ~LedgerLock();
  LedgerLock(const LedgerLock&) = delete;
  LedgerLock& operator=(const LedgerLock&) = delete;
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<FileLock> lock_;
  std::string error_;
};

// A reader's shared lock: excludes writers while a consistent snapshot is read. A store whose
// lock file cannot be opened (absent, or not readable) is read without it.
class LedgerReadLock {
 public:
  explicit LedgerReadLock(const std::filesystem::path& root);
  ~LedgerReadLock();
  LedgerReadLock(const LedgerReadLock&) = delete;
  LedgerReadLock& operator=(const LedgerReadLock&) = delete;

 private:
  std::unique_ptr<FileLock> lock_;
};

class CustodyLedger {
 public:
  // `clock`, `identity` and `signer` (nullable) are not owned and must outlive the ledger.
  CustodyLedger(std::filesystem::path root, const Clock& clock, const Identity& identity, std::string tool,
                const CheckpointSigner* signer);

  // Takes the LedgerLock itself.
  AppendResult append(std::span<const RecordDraft> drafts, const CustodyContext& context) const;
  // For a caller that already holds the lock (it must be for this ledger's root).
  AppendResult append(std::span<const RecordDraft> drafts, const CustodyContext& context, const LedgerLock& held) const;

 private:
  std::filesystem::path root_;
  const Clock& clock_;
  const Identity& identity_;
  std::string tool_;
  const CheckpointSigner* signer_;
};

}  // namespace writ::evidence
