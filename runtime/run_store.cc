#include "runtime/run_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "runtime/router.h"

namespace writ::runtime {

namespace fs = std::filesystem;

fs::path FileRunStore::journal_file(const std::string& run_id) const { return fs::path(dir_) / "runs" / run_id / "journal.jsonl"; }

std::unique_ptr<JournalSink> FileRunStore::create(const std::string& run_id, const JournalOptions& options) {
  return std::make_unique<JournalWriter>(JournalWriter::create(journal_file(run_id), options));
}

std::unique_ptr<JournalSink> FileRunStore::open(const std::string& run_id, const JournalOptions& options, const RecordVisitor& visit,
                                                JournalStatus* status) {
  return std::make_unique<JournalWriter>(JournalWriter::open(journal_file(run_id), options, visit, status));
}

JournalStatus FileRunStore::scan(const std::string& run_id, const JournalOptions& options, const RecordVisitor& visit) const {
  return scan_journal(journal_file(run_id), options, visit);
}

bool FileRunStore::exists(const std::string& run_id) const {
  std::error_code ec;
  return fs::exists(fs::symlink_status(journal_file(run_id), ec));
}

std::vector<std::string> FileRunStore::runs() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "runs", ec)) {
    const auto name = entry.path().filename().string();
    if (valid_run_id(name)) ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

bool FileRunStore::writable() const { return ::access(dir_.c_str(), W_OK) == 0; }

}  // namespace writ::runtime
