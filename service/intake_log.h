// The service's durable intake log, STATE/intake.jsonl (DESIGN §14): one JSON object per line,
// appended and fsynced before the request is answered.
//   {"kind":"unrouted","id","event_id","at","reason","event_text"}  an event no runbook routes
//   {"kind":"replayed","id","run_id","at"}                           ... later offered again
//   {"kind":"duplicate","event_id","run_id","at"}                    an event id seen before
// Accepted events need no line here: their run's journal (run_started) is the durable record.
// With the PostgreSQL store (DESIGN §15) the same records are rows of `writ_intake`, shared by
// every node: refresh() reads what other nodes added since.
// Thread-safety: none; the service serialises intake.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "runtime/pg/connection.h"

namespace writ::service {

struct IntakeError : std::runtime_error {  // "<file>:<line>: <what>"
  using std::runtime_error::runtime_error;
};

struct UnroutedEvent {
  std::string id;
  std::string event_id;
  std::string at;
  std::string reason;
  std::string event_text;
  std::string replayed_run;  // set once replayed into a run
};

struct Duplicates {
  std::uint64_t count = 0;
  std::string last_seen_at;
};

class IntakeLog {
 public:
  // Opens (creating) the log and reads it. A torn last line (a crash mid-write) is cut off;
  // any other malformed line throws IntakeError.
  static IntakeLog open(const std::filesystem::path& file);
  // The shared log in the database `dsn` (its schema made by the run store). Throws IntakeError.
  static IntakeLog open_shared(const std::string& dsn);
  // Reads the records other nodes added (shared log; nothing to do for a file).
  void refresh();

  void add_unrouted(const UnroutedEvent& event);
  void add_replayed(const std::string& id, const std::string& run_id, const std::string& at);
  void add_duplicate(const std::string& event_id, const std::string& run_id, const std::string& at);

  const std::vector<UnroutedEvent>& unrouted() const { return unrouted_; }
  const UnroutedEvent* find_unrouted(const std::string& id) const;
  // Repeats per run id.
  const Duplicates* duplicates(const std::string& run_id) const;

 private:
  IntakeLog(std::filesystem::path file, UniqueFd fd) : file_(std::move(file)), fd_(std::move(fd)) {}
  void apply(const nlohmann::json& record);
  void append(const nlohmann::json& record);
  void append_shared(const nlohmann::json& record);

  std::filesystem::path file_;
  UniqueFd fd_;
  std::unique_ptr<runtime::pg::Connection> db_;  // the shared log, else null
  long long last_row_ = 0;                       // the last row applied
  std::vector<UnroutedEvent> unrouted_;
  std::map<std::string, Duplicates> duplicates_;
};

}  // namespace writ::service
