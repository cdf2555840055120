#include "service/intake_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace writ::service {

namespace {

constexpr std::size_t kMaxSharedRecordBytes = 8 * 1024 * 1024;  // a 1 MiB event, every byte escaped

std::string field(const nlohmann::json& record, const char* key) {
  auto it = record.find(key);
  if (it == record.end() || !it->is_string())
    throw std::invalid_argument(fmt::format("`{}` is missing or not a string", key));
  return it->get<std::string>();
}

}  // namespace

IntakeLog IntakeLog::open(const std::filesystem::path& file) {
  std::filesystem::create_directories(file.parent_path());
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) throw IntakeError(fmt::format("{}: cannot open: {}", file.string(), std::strerror(errno)));
  IntakeLog log(file, std::move(fd));
  std::ifstream in(file, std::ios::binary);
  std::string line;
  std::uint64_t valid = 0;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (in.eof()) break;  // no newline: a torn last line, cut below
    try {
      log.apply(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      throw IntakeError(fmt::format("{}:{}: {}", file.string(), number, e.what()));
    }
    valid += line.size() + 1;
  }
  if (::ftruncate(log.fd_.get(), static_cast<off_t>(valid)) != 0) {
    throw IntakeError(fmt::format("{}: cannot cut a torn last line: {}", file.string(), std::strerror(errno)));
  }
  return log;
}

IntakeLog IntakeLog::open_shared(const std::string& dsn) {
  IntakeLog log(runtime::pg::redact_dsn(dsn), UniqueFd{});
  try {
    log.db_ = std::make_unique<runtime::pg::Connection>(dsn);
  } catch (const runtime::pg::PgError& e) {
    throw IntakeError(e.what());
  }
  log.refresh();
  return log;
}

void IntakeLog::refresh() {
  if (!db_) return;
  try {
    if (!db_->healthy()) db_->reset();
    const runtime::pg::Params after{std::to_string(last_row_)};
    const auto query = "SELECT id, record FROM writ_intake WHERE id > $1 ORDER BY id";
    auto rows = [&] {
      try {
        return db_->exec(query, after);
      } catch (const runtime::pg::PgError& e) {
        if (!e.connection_lost) throw;
        db_->reset();  // the server restarted since the last query: once more on a new connection
        return db_->exec(query, after);
      }
    }();
    for (int i = 0; i < rows.rows(); ++i) {
      const auto id = rows.integer(i, 0);
      try {
        const auto text = rows.text(i, 1);
        // An event is at most the request body limit; its record a little more. Rows are data
        // another party can write: a larger one is refused, never parsed.
        if (text.size() > kMaxSharedRecordBytes)
          throw std::invalid_argument(fmt::format("{} bytes, more than a record can be", text.size()));
        apply(nlohmann::json::parse(text));
      } catch (const std::exception& e) {
        throw IntakeError(fmt::format("{} writ_intake row {}: {}", file_.string(), id, e.what()));
      }
      last_row_ = id;
    }
  } catch (const runtime::pg::PgError& e) {
    throw IntakeError(e.what());
  }
}

void IntakeLog::append_shared(const nlohmann::json& record) {
  try {
    if (!db_->healthy()) db_->reset();
    db_->exec("INSERT INTO writ_intake (record) VALUES ($1)", {record.dump()});
  } catch (const runtime::pg::PgError& e) {
    throw IntakeError(e.what());
  }
  refresh();  // applies it, in order after what other nodes added before it
}

void IntakeLog::apply(const nlohmann::json& record) {
  const auto kind = field(record, "kind");
  if (kind == "unrouted") {
    unrouted_.push_back(UnroutedEvent{field(record, "id"), field(record, "event_id"), field(record, "at"),
                                      field(record, "reason"), field(record, "event_text"), ""});
  } else if (kind == "replayed") {
    const auto id = field(record, "id");
    for (auto& u : unrouted_) {
      if (u.id == id) u.replayed_run = field(record, "run_id");
    }
  } else if (kind == "duplicate") {
    auto& d = duplicates_[field(record, "run_id")];
    ++d.count;
    d.last_seen_at = field(record, "at");
  } else {
    throw std::invalid_argument(fmt::format("unknown kind `{}`", kind));
  }
}

void IntakeLog::append(const nlohmann::json& record) {
  if (db_) return append_shared(record);
  const auto line = record.dump() + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    const auto n = ::write(fd_.get(), line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IntakeError(fmt::format("{}: write failed: {}", file_.string(), std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd_.get()) != 0)
    throw IntakeError(fmt::format("{}: fsync failed: {}", file_.string(), std::strerror(errno)));
  apply(record);
}

void IntakeLog::add_unrouted(const UnroutedEvent& e) {
  append({{"kind", "unrouted"},
          {"id", e.id},
          {"event_id", e.event_id},
          {"at", e.at},
          {"reason", e.reason},
          {"event_text", e.event_text}});
}

void IntakeLog::add_replayed(const std::string& id, const std::string& run_id, const std::string& at) {
  append({{"kind", "replayed"}, {"id", id}, {"run_id", run_id}, {"at", at}});
}

void IntakeLog::add_duplicate(const std::string& event_id, const std::string& run_id, const std::string& at) {
  append({{"kind", "duplicate"}, {"event_id", event_id}, {"run_id", run_id}, {"at", at}});
}

const UnroutedEvent* IntakeLog::find_unrouted(const std::string& id) const {
  for (const auto& u : unrouted_) {
    if (u.id == id) return &u;
  }
  return nullptr;
}

const Duplicates* IntakeLog::duplicates(const std::string& run_id) const {
  auto it = duplicates_.find(run_id);
  return it == duplicates_.end() ? nullptr : &it->second;
}

}  // namespace writ::service
