// The run journal (DESIGN §9 and §13, format in docs/journal.md): STATE/runs/RUN_ID/journal.jsonl,
// one canonical JSON record per line, {"at","data","hash","prev","seq","type"} plus "mac" when
// the journal is keyed. `hash` is the sha256 (hex) of the record's canonical JSON without
// `hash` and `mac`; `mac` is the HMAC-SHA256 (hex) of the same bytes under the journal key
// (journal_key.h); `prev` is the previous record's hash (64 zeros for the first) and `seq`
// counts from 1. Beside the journal, journal.head (journal_head.h) names the last record's
// size, seq and hash, so a journal cut back at a record boundary is detected.
//
// Every append is written and fsynced, then the head is replaced, before the call returns: a
// caller that appends before an effect never causes an effect the journal does not show.
//
// Readers stream the journal line by line (memory: the largest record, not the file) and
// verify it whole: any alteration, reordering, removal, non-canonical line, record longer than
// the limit, MAC mismatch or disagreement with the head is a JournalError naming the file and
// line. What a crash can leave is accepted: a final line cut short (no newline; never fsynced,
// so no effect followed it) is reported as a torn tail, and one complete record past the head
// (the crash fell between the append and the head's replacement) is reported as past_head.
//
// JournalWriter holds an exclusive lock (flock) on the journal: two writ processes never
// append to the same run. JournalWriter::open cuts a torn tail and brings the head up to date
// before appending. Thread-safety: none; one writer per journal, owned by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/clock.h"
#include "runtime/journal_key.h"
#include "runtime/options.h"
#include "runtime/unique_fd.h"

namespace writ::runtime {

enum class JournalProblem {
  corrupt,     // altered, truncated, malformed (or a record that does not fit the run)
  in_use,      // another writ process holds the run's lock
  unreadable,  // the journal or its head is a FIFO, socket, device, symlink, or cannot be opened
  key,         // keyed without a key given, a key for an unkeyed journal, or another key's id
  io,          // the disk (or the database) refused a write, or is unreachable
  duplicate,   // the event id is claimed by another run (JournalError::other_run names it)
};

struct JournalError : std::runtime_error {
  explicit JournalError(const std::string& what, JournalProblem p = JournalProblem::corrupt)
      : std::runtime_error(what), problem(p) {}
  JournalProblem problem;
  std::string other_run;  // duplicate: the run that holds the event id
};

struct JournalRecord {
  std::uint64_t seq = 0;
  std::string type;
  std::string at;  // RFC 3339 UTC
  nlohmann::json data = nlohmann::json::object();  // floats restored (see json_input.h)
  std::string prev;
  std::string hash;
};

struct JournalOptions {
  // A longer line is refused by the readers, and a longer record by the writer before it is
  // written (RuntimeOptions::max_journal_record_bytes).
  std::size_t max_record_bytes = RuntimeOptions{}.max_journal_record_bytes;
  // With a key, every record and the head must carry a valid MAC under it; without one, a
  // keyed journal's MACs are not checked (JournalStatus::keyed says so). A writer keeps a
  // copy; the pointer need only live through the call.
  const JournalKey* key = nullptr;
  // A new run (RunStore::create) claims this event id store-wide (the service's dedupe,
  // DESIGN §14-15): the PostgreSQL store commits the claim, the run and its first record in
  // one transaction, and refuses that first append with JournalProblem::duplicate when
  // another run holds the id (nothing of this run is stored). The file store ignores it.
  std::string claim_event = {};
};

struct JournalStatus {
  std::uint64_t valid_bytes = 0;  // length of the verified prefix
  bool torn_tail = false;         // bytes after it: an unterminated final line
  std::uint64_t record_count = 0;
  std::uint64_t past_head = 0;    // complete records after the one journal.head names
  bool keyed = false;             // the records carry MACs
  bool macs_checked = false;      // ... and they were verified with the key given
  std::string key_id;             // the head's key id, when keyed
  std::uint64_t last_seq = 0;
  std::string last_hash = std::string(64, '0');
};

struct JournalContents : JournalStatus {
  std::vector<JournalRecord> records;
};

using RecordVisitor = std::function<void(JournalRecord&&)>;

// Reads and verifies a journal and its head, handing each record to `visit` in order as soon
// as it is verified (a later line may still make the journal fail: act on the records only
// once this returns). Complete records past the head are accepted however many there are, so a
// reader beside a live writer works. Throws JournalError ("<file>:<line>: <what>"); an
// exception thrown by `visit` propagates.
JournalStatus scan_journal(const std::filesystem::path& file, const JournalOptions& options, const RecordVisitor& visit);
// The same, collecting the records.
JournalContents read_journal(const std::filesystem::path& file, const JournalOptions& options = {});

// One record as a journal line holds it (no newline), for every store: `record` gives seq,
// type, at and prev; its hash is set. The canonical JSON with `hash` (and `mac` under `key`).
std::string encode_record(JournalRecord& record, const nlohmann::json& data, const JournalKey* key);

// What the next record must be: its seq, the previous hash, and whether the journal is keyed
// (with `key`, the MAC is checked too).
struct ExpectedRecord {
  std::uint64_t seq;
  const std::string& prev;
  bool keyed;
  const JournalKey* key;
};
// Verifies one line (shape, canonical form, seq, chain, hash, MAC) and returns its record;
// throws JournalError "<where>: <what>".
JournalRecord verify_record(const std::string& line, const std::string& where, const ExpectedRecord& expected);

// sha256 hex of the canonical JSON of `record` (which must hold neither `hash` nor `mac`).
std::string record_hash(const nlohmann::json& record);

// An open, locked run journal that records are appended to (JournalWriter; a RunStore hands
// them out).
class JournalSink {
 public:
  virtual ~JournalSink() = default;
  // Appends a record durably and returns it as written. Throws JournalError.
  virtual JournalRecord append(const std::string& type, WallTime at, nlohmann::json data) = 0;
  // The seq of the last record (0 for none).
  virtual std::uint64_t last_seq() const = 0;

 protected:
  JournalSink() = default;
  JournalSink(JournalSink&&) = default;
  JournalSink& operator=(JournalSink&&) = default;
};

class JournalWriter final : public JournalSink {
 public:
  // Creates a new journal (its directory too) and its head; throws JournalError if it exists.
  static JournalWriter create(const std::filesystem::path& file, const JournalOptions& options = {});
  // Locks an existing journal (JournalProblem::in_use when another process has it), reads and
  // verifies it like scan_journal — but accepts at most one record past the head, and no torn
  // tail after such a record — cuts a torn tail, brings the head up to date, and continues it.
  // A keyed journal needs its key (JournalProblem::key). Throws JournalError.
  static JournalWriter open(const std::filesystem::path& file, const JournalOptions& options, const RecordVisitor& visit,
                            JournalStatus* status = nullptr);
  static JournalWriter open(const std::filesystem::path& file, const JournalOptions& options, JournalContents& contents);

  // Appends a record, fsyncs it and replaces the head. Throws JournalError: io when the disk
  // refuses, corrupt when the record is longer than max_record_bytes (then nothing is written;
  // a refused first record removes the journal it would have started).
  JournalRecord append(const std::string& type, WallTime at, nlohmann::json data) override;

  const std::filesystem::path& file() const { return file_; }
  std::uint64_t last_seq() const override { return seq_; }

 private:
  JournalWriter(std::filesystem::path file, UniqueFd fd, const JournalOptions& options, const JournalStatus& status);
  void abandon_empty();

  std::filesystem::path file_;
  UniqueFd fd_;
  std::size_t max_record_bytes_;
  std::optional<JournalKey> key_;
  std::uint64_t size_ = 0;
  std::uint64_t seq_ = 0;
  std::string head_;
};

}  // namespace writ::runtime
