// The run journal (DESIGN §9, format in docs/journal.md): STATE/runs/RUN_ID/journal.jsonl,
// one canonical JSON record per line, {"at","data","hash","prev","seq","type"}, where `hash`
// is the sha256 (hex) of the record's canonical JSON without `hash`, `prev` is the previous
// record's hash (64 zeros for the first) and `seq` counts from 1. Every append is written and
// fsynced before the call returns, so a caller that appends before an effect never causes an
// effect the journal does not show.
//
// JournalWriter holds an exclusive lock (flock) on the file: two writ processes never append
// to the same run. read_journal verifies the whole chain; any alteration, reordering,
// removal or non-canonical line is a JournalError naming the line. A final line cut short by a
// crash (no newline) was never fsynced, so no effect followed it: it is reported as a torn
// tail, and JournalWriter::open cuts it off before appending.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/clock.h"
#include "runtime/unique_fd.h"

namespace writ::runtime {

struct JournalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct JournalRecord {
  std::uint64_t seq = 0;
  std::string type;
  std::string at;  // RFC 3339 UTC
  nlohmann::json data = nlohmann::json::object();  // floats restored (see json_input.h)
  std::string prev;
  std::string hash;
};

struct JournalContents {
  std::vector<JournalRecord> records;
  std::uint64_t valid_bytes = 0;  // length of the verified prefix
  bool torn_tail = false;         // bytes after it: an unterminated final line
};

// Reads and verifies a journal. Throws JournalError ("<file>:<line>: <what>").
JournalContents read_journal(const std::filesystem::path& file, std::size_t max_bytes);

// sha256 hex of the canonical JSON of `record` (which must not hold `hash`).
std::string record_hash(const nlohmann::json& record);

class JournalWriter {
 public:
  // Creates a new journal (its directory too); throws JournalError if it exists.
  static JournalWriter create(const std::filesystem::path& file);
  // Locks an existing journal, reads and verifies it into `contents` (read_journal), cuts a
  // torn tail, and continues it. Throws JournalError.
  static JournalWriter open(const std::filesystem::path& file, std::size_t max_bytes, JournalContents& contents);

  // Appends a record and fsyncs it. Throws JournalError when the disk refuses.
  JournalRecord append(const std::string& type, WallTime at, const nlohmann::json& data);

  const std::filesystem::path& file() const { return file_; }
  std::uint64_t last_seq() const { return seq_; }

 private:
  JournalWriter(std::filesystem::path file, UniqueFd fd, std::uint64_t seq, std::string head);

  std::filesystem::path file_;
  UniqueFd fd_;
  std::uint64_t seq_ = 0;
  std::string head_;
};

}  // namespace writ::runtime
