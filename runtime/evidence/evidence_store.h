// Evidence store (DESIGN §10, §13): preserves artifacts as content-addressed, read-only objects
// under `ROOT/objects/sha256/<2 hex>/<64 hex>` and appends a custody record for each event to
// `ROOT/custody.jsonl`, rewriting `ROOT/checkpoint.json` after every append.
//
// The artifact is opened confined (confined_open.h): beneath an evidence root, no symlink
// followed at any component, only a regular file. The copy is stable or refused:
//   - a copy larger than the store's free space is refused before a byte is written;
//   - at most the size seen at open is read, into an unnamed temporary (O_TMPFILE in ROOT/tmp,
//     see temp_file.h), hashed with OpenSSL EVP SHA-256 in the same pass (constant memory);
//   - a file whose size, mtime or ctime differ after the copy is refused as `unstable`: the copy
//     is discarded and nothing is recorded (it could mix old and new bytes);
//   - otherwise the copy is fsynced, made read-only and linked at its content address.
// Identical content is stored once; every collection still gets its own custody record.
//
// Time, host and user come only through the Clock and Identity interfaces handed in (tests
// pass fakes). Thread-safety: concurrent preserve() calls — from threads or from separate
// processes sharing ROOT — are serialised by a lock file for the ledger append; nothing
// interleaves or is lost. One EvidenceStore may be shared by threads.
//
// Errors: problems with the artifact (outside the roots, a symlink, not a regular file,
// unreadable, unstable) and with the store (cannot create or write ROOT, no space, corrupt
// ledger tail, a store file that is a FIFO, a signing mismatch) are returned as data in
// PreserveResult, never thrown. Only writ's own bugs or OpenSSL failures throw.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/evidence/confined_open.h"

namespace writ::evidence {

// Why an artifact is collected. Each absent value is written as JSON null in the record.
struct CustodyContext {
  std::optional<std::string> run_id;
  std::optional<std::string> step;
  std::optional<std::string> incident;
};

// The time source for `collected_at` (written as UTC RFC 3339, second precision).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

// Who collects: `collector.host` and `collector.user` of every record.
class Identity {
 public:
  virtual ~Identity() = default;
  virtual std::string host() const = 0;
  virtual std::string user() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
};

// gethostname() and the login name of the effective uid (else "uid:<n>").
class SystemIdentity final : public Identity {
 public:
  std::string host() const override;
  std::string user() const override;
};

// Signs checkpoint text (see signing.h for the Ed25519 implementation). A store without a
// signer writes `"signature": null`.
class CheckpointSigner {
 public:
  virtual ~CheckpointSigner() = default;
  virtual std::string sign(std::string_view message) const = 0;  // raw signature bytes
  virtual std::string key_id() const = 0;                        // hex, names the public key
  // True when `signature` over `message` was made by this key (used to refuse re-signing a
  // checkpoint someone else forged).
  virtual bool verify(std::string_view message, std::string_view signature) const = 0;
};

// Called with (bytes done, total bytes) while copying or re-reading an artifact.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct StoreOptions {
  std::string tool = "writ";                 // collector.tool, e.g. "writ 0.1.0"
  const CheckpointSigner* signer = nullptr;  // not owned; must outlive the store
};

struct PreserveOptions {
  bool verify_copy = false;  // re-read the stored object and append a `verified` record
  ProgressFn progress;       // may be empty
  // Where the artifact must lie (confined_open.h); with any set (even of empty lists) the path
  // must be absolute and free of `..` as given. No sets: the path is made absolute and
  // normalised, then opened beneath "/", still without following a symlink at any component.
  std::vector<RootSet> roots;
  ResolveMethod resolve = ResolveMethod::automatic;
  // A tabletop's staged host image, standing for "/" when the artifact is opened (the custody
  // record keeps the path as given). Empty: the real host.
  std::string host_root;
};

struct Preserved {
  std::string artifact;  // absolute, lexically normalised path (symlinks not resolved)
  std::string sha256;    // lowercase hex
  std::uint64_t size = 0;
  std::filesystem::path object;  // ROOT/objects/sha256/<2>/<64>
  bool already_stored = false;   // identical content was in the store before
  std::uint64_t seq = 0;         // seq of the `collected` record
};

enum class PreserveFailure {
  none,
  refused,      // the artifact: outside the roots, through a symlink, not a regular file, missing
  unstable,     // the artifact changed (size, mtime or ctime) while it was copied: nothing kept
  store,        // the store: cannot be created or written, too little space, bad read-back
  damaged,      // the ledger no longer matches its checkpoint: nothing is appended (run verify)
  not_regular,  // custody.jsonl, checkpoint.json or .lock is a FIFO, socket, device or directory
  signing,      // the store is signed and no key, or another key, was given
};

struct PreserveResult {
  std::optional<Preserved> preserved;
  PreserveFailure failure = PreserveFailure::none;
  // "<path>: <reason>" when failure != none. `preserved` is set with a `store` failure only when
  // the records were appended but checkpoint.json could not be rewritten.
  std::string error;

  explicit operator bool() const { return preserved.has_value(); }
};

class EvidenceStore {
 public:
  // Does not touch the disk: ROOT and its sub-directories are created by the first preserve().
  // `clock` and `identity` are not owned and must outlive the store.
  EvidenceStore(std::filesystem::path root, const Clock& clock, const Identity& identity, StoreOptions options = {});
  ~EvidenceStore();
  EvidenceStore(const EvidenceStore&) = delete;
  EvidenceStore& operator=(const EvidenceStore&) = delete;

  PreserveResult preserve(const std::filesystem::path& artifact, const CustodyContext& context,
                          const PreserveOptions& options = {});

  // What preserve() would refuse about the artifact itself — outside the roots, through a
  // symlink, not a regular file, missing — as "<path>: <why>", or nothing. Opens the file and
  // closes it again; touches nothing in the store. For validating a batch before preserving any
  // of it: advisory only (the file may change before preserve(), which enforces the same rule).
  std::optional<std::string> refusal(const std::filesystem::path& artifact, const PreserveOptions& options = {}) const;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
  const Clock& clock_;
  const Identity& identity_;
  StoreOptions options_;
};

}  // namespace writ::evidence
