// Where runs live (DESIGN §9, §15): the run journals behind one interface, so the engine and
// `writ serve` never touch a path. FileRunStore is the embedded default, the §9 layout
// (STATE/runs/RUN_ID/journal.jsonl and journal.head); the scale-out issue adds a PostgreSQL
// store with the same guarantees (append-only, hash-chained, one writer per run).
// Errors: JournalError, as the file journal raises them (in_use, corrupt, io, unreadable, key).
// Thread-safety: the methods may be called from many threads; one run's journal is opened by
// one writer at a time (a second open is JournalProblem::in_use).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/journal.h"

namespace writ::runtime {

class RunStore {
 public:
  virtual ~RunStore() = default;
  // How the store is named in messages ("DIR").
  virtual std::string describe() const = 0;
  // Where one run's journal is, for messages (a file path, a table row).
  virtual std::string locate(const std::string& run_id) const = 0;
  // A new run's journal; throws JournalError when it exists.
  virtual std::unique_ptr<JournalSink> create(const std::string& run_id, const JournalOptions& options) = 0;
  // Opens and locks an existing run's journal after verifying it, handing each record to
  // `visit` in order (the crash leftovers JournalWriter::open accepts are repaired).
  virtual std::unique_ptr<JournalSink> open(const std::string& run_id, const JournalOptions& options, const RecordVisitor& visit,
                                            JournalStatus* status) = 0;
  // Reads and verifies a run's journal without locking it (a reader beside a live writer).
  virtual JournalStatus scan(const std::string& run_id, const JournalOptions& options, const RecordVisitor& visit) const = 0;
  virtual bool exists(const std::string& run_id) const = 0;
  // Every run id in the store, sorted.
  virtual std::vector<std::string> runs() const = 0;
  // The store can take new runs (readiness).
  virtual bool writable() const = 0;

  // Several processes share it (DESIGN §15): the service then indexes runs other nodes write,
  // and resumes runs whose writer died. The file store serves one process.
  virtual bool shared() const { return false; }
  struct Head {
    std::uint64_t seq = 0;  // the last record's
    bool leased = false;    // a writer holds the run now
  };
  // Every run's head (shared stores; the file store returns nothing).
  virtual std::map<std::string, Head> heads() const { return {}; }
  // Of `candidates`, the runs no writer holds, leased to this process at once so that no
  // other node takes them (shared stores: `SELECT … FOR UPDATE SKIP LOCKED`); the caller then
  // opens each (this process may reopen its own lease). At most `limit`.
  virtual std::vector<std::string> claim_unheld(const std::vector<std::string>& candidates, std::size_t limit) {
    (void)candidates;
    (void)limit;
    return {};
  }
};

class FileRunStore final : public RunStore {
 public:
  explicit FileRunStore(std::string state_dir) : dir_(std::move(state_dir)) {}
  std::string describe() const override { return dir_; }
  std::string locate(const std::string& run_id) const override { return journal_file(run_id).string(); }
  std::unique_ptr<JournalSink> create(const std::string& run_id, const JournalOptions& options) override;
  std::unique_ptr<JournalSink> open(const std::string& run_id, const JournalOptions& options, const RecordVisitor& visit,
                                    JournalStatus* status) override;
  JournalStatus scan(const std::string& run_id, const JournalOptions& options, const RecordVisitor& visit) const override;
  bool exists(const std::string& run_id) const override;
  std::vector<std::string> runs() const override;
  bool writable() const override;

  std::filesystem::path journal_file(const std::string& run_id) const;

 private:
  std::string dir_;
};

}  // namespace writ::runtime
