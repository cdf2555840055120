#include "runtime/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "common/canonical_json.h"
#include "common/sha256.h"
#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

const std::string kZeroHash(64, '0');
constexpr std::size_t kMaxRecordDepth = 128;

std::string errno_text() { return std::strerror(errno); }

void write_all(int fd, const std::string& bytes, const std::filesystem::path& file) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw JournalError(fmt::format("{}: cannot append: {}", file.string(), errno_text()));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw JournalError(fmt::format("{}: fsync failed: {}", file.string(), errno_text()));
}

void fsync_directory(const std::filesystem::path& dir) {
  UniqueFd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (fd) ::fsync(fd.get());
}

void lock(int fd, const std::filesystem::path& file) {
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    throw JournalError(fmt::format("{}: the run is in use by another writ process", file.string()));
  }
}

JournalRecord verify_line(const std::string& line, std::size_t number, const JournalRecord* previous,
                          const std::filesystem::path& file) {
  auto fail = [&](const std::string& what) { return JournalError(fmt::format("{}:{}: {}", file.string(), number, what)); };
  nlohmann::json json;
  try {
    json = parse_json(line, "record", kMaxRecordDepth);
  } catch (const JsonInputError& e) {
    throw fail(fmt::format("not a JSON record ({})", e.what()));
  }
  const bool shaped = json.is_object() && json.size() == 6 && json.contains("seq") && json["seq"].is_number_unsigned() &&
                      json.contains("type") && json["type"].is_string() && json.contains("at") && json["at"].is_string() &&
                      json.contains("data") && json["data"].is_object() && json.contains("prev") && json["prev"].is_string() &&
                      json.contains("hash") && json["hash"].is_string();
  if (!shaped) throw fail("not a journal record (expected seq, type, at, data, prev, hash)");
  JournalRecord record;
  record.seq = json["seq"].get<std::uint64_t>();
  record.type = json["type"].get<std::string>();
  record.at = json["at"].get<std::string>();
  record.prev = json["prev"].get<std::string>();
  record.hash = json["hash"].get<std::string>();
  const std::uint64_t expected_seq = previous ? previous->seq + 1 : 1;
  if (record.seq != expected_seq) throw fail(fmt::format("seq {} where {} was expected (records removed or reordered)", record.seq, expected_seq));
  if (record.prev != (previous ? previous->hash : kZeroHash)) throw fail("`prev` does not match the previous record (chain broken)");
  std::string canonical;
  try {
    canonical = canonical_json(json);
  } catch (const std::invalid_argument&) {
    throw fail("record holds a float (not written by writ)");
  }
  if (canonical != line) throw fail("record is not in canonical form (altered)");
  json.erase("hash");
  if (record_hash(json) != record.hash) throw fail("hash does not match the record's content (altered)");
  record.data = untag_floats(json["data"]);
  return record;
}

}  // namespace

std::string record_hash(const nlohmann::json& record) { return canonical_digest(record); }

JournalContents read_journal(const std::filesystem::path& file, std::size_t max_bytes) {
  std::string text;
  try {
    text = read_text_file(file.string(), max_bytes);
  } catch (const JsonInputError& e) {
    throw JournalError(e.what());
  }
  JournalContents contents;
  std::size_t pos = 0;
  std::size_t number = 0;
  while (pos < text.size()) {
    const auto newline = text.find('\n', pos);
    ++number;
    if (newline == std::string::npos) {
      contents.torn_tail = true;  // never fsynced as a whole record: no effect followed it
      break;
    }
    const JournalRecord* previous = contents.records.empty() ? nullptr : &contents.records.back();
    contents.records.push_back(verify_line(text.substr(pos, newline - pos), number, previous, file));
    pos = newline + 1;
    contents.valid_bytes = pos;
  }
  return contents;
}

JournalWriter::JournalWriter(std::filesystem::path file, UniqueFd fd, std::uint64_t seq, std::string head)
    : file_(std::move(file)), fd_(std::move(fd)), seq_(seq), head_(std::move(head)) {}

JournalWriter JournalWriter::create(const std::filesystem::path& file) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) throw JournalError(fmt::format("{}: cannot create: {}", file.parent_path().string(), ec.message()));
  UniqueFd fd{::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600)};
  if (!fd) throw JournalError(fmt::format("{}: cannot create: {}", file.string(), errno_text()));
  lock(fd.get(), file);
  fsync_directory(file.parent_path());                // the new journal's entry
  fsync_directory(file.parent_path().parent_path());  // the new run directory's entry
  return JournalWriter(file, std::move(fd), 0, kZeroHash);
}

JournalWriter JournalWriter::open(const std::filesystem::path& file, std::size_t max_bytes, JournalContents& contents) {
  UniqueFd fd{::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)};
  if (!fd) throw JournalError(fmt::format("{}: cannot open: {}", file.string(), errno_text()));
  lock(fd.get(), file);  // before reading: nobody appends between the read and our appends
  contents = read_journal(file, max_bytes);
  if (contents.torn_tail) {
    if (::ftruncate(fd.get(), static_cast<off_t>(contents.valid_bytes)) != 0 || ::fsync(fd.get()) != 0) {
      throw JournalError(fmt::format("{}: cannot cut the torn last line: {}", file.string(), errno_text()));
    }
  }
  const auto seq = contents.records.empty() ? 0 : contents.records.back().seq;
  auto head = contents.records.empty() ? kZeroHash : contents.records.back().hash;
  return JournalWriter(file, std::move(fd), seq, std::move(head));
}

JournalRecord JournalWriter::append(const std::string& type, WallTime at, const nlohmann::json& data) {
  JournalRecord record{seq_ + 1, type, format_rfc3339(at), data, head_, ""};
  nlohmann::json json{{"seq", record.seq}, {"type", type}, {"at", record.at}, {"data", tag_floats(data)}, {"prev", head_}};
  record.hash = record_hash(json);
  json["hash"] = record.hash;
  write_all(fd_.get(), canonical_json(json) + "\n", file_);
  seq_ = record.seq;
  head_ = record.hash;
  return record;
}

}  // namespace writ::runtime
