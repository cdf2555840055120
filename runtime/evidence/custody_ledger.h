// The append side of the custody ledger: ROOT/custody.jsonl plus ROOT/checkpoint.json.
// append() takes ROOT/.lock (flock, shared by every writer process and thread), checks that
// the existing ledger still matches its checkpoint, writes the new records in one write(2),
// fsyncs, and rewrites checkpoint.json atomically (signed when a signer is given). A ledger
// that no longer matches its checkpoint is never appended to: the caller gets an error that
// says to run `writ evidence verify`, and nothing is written. Errors are returned as text;
// when only the checkpoint rewrite fails, `records` holds the appended records and `error`
// says so (the next append covers them).
//
// Signing is never silently dropped or switched: a store whose checkpoint is signed takes
// only appends signed by the same key, and with a key the existing checkpoint's signature must
// verify before it is signed over (so a forged checkpoint is never laundered by a re-sign).
// The store's files are opened without following symlinks and without blocking: a FIFO, socket
// or device at custody.jsonl, checkpoint.json or .lock is refused at once (`not_regular`).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/regular_file.h"
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
  // Why nothing was appended: `damaged` (the ledger does not match its checkpoint), `signing`,
  // `not_regular`, `store`; `none` when appended (even if the checkpoint rewrite failed).
  PreserveFailure failure = PreserveFailure::none;

  bool ok() const { return error.empty(); }
};

// What a writer can tell about a store before it starts a long copy, cheaply (the ledger is
// not read): its files are regular (or absent), checkpoint.json parses, and `signer` (nullable)
// may append to it. append() checks all of this again, under the lock.
struct StoreCheck {
  PreserveFailure failure = PreserveFailure::none;  // `not_regular`, `signing`, `damaged`, `store`
  std::string error;                                // "<ROOT>/checkpoint.json: …", when failure != none
};
StoreCheck check_store(const std::filesystem::path& root, const CheckpointSigner* signer);

// checkpoint.json's text (at most 64 KiB) and custody.jsonl opened for reading, both without
// following a symlink or blocking; anything but a regular file is `not_regular`, an absent file
// `missing`. Errors name the path. Every reader of a store (append, verify, prove) opens them so.
inline constexpr std::size_t kMaxCheckpointBytes = 64 * 1024;
ReadFile read_checkpoint_file(const std::filesystem::path& root);
OpenedFile open_ledger_file(const std::filesystem::path& root);

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
  bool not_regular() const { return not_regular_; }  // .lock is a FIFO, socket, device, ...

 private:
  std::unique_ptr<FileLock> lock_;
  std::string error_;
  bool not_regular_ = false;
};

// A reader's shared lock: excludes writers while a consistent snapshot is read. A store whose
// lock file cannot be opened (absent, or not readable) is read without it; one whose lock file
// is not a regular file is not read at all: error() says so.
class LedgerReadLock {
 public:
  explicit LedgerReadLock(const std::filesystem::path& root);
  ~LedgerReadLock();
  LedgerReadLock(const LedgerReadLock&) = delete;
  LedgerReadLock& operator=(const LedgerReadLock&) = delete;
  const std::string& error() const { return error_; }  // "<ROOT>/.lock: is a FIFO, not a regular file"

 private:
  std::unique_ptr<FileLock> lock_;
  std::string error_;
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
