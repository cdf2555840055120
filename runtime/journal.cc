#include "runtime/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "common/canonical_json.h"
#include "common/regular_file.h"
#include "common/sha256.h"
#include "runtime/evidence/line_reader.h"
#include "runtime/journal_head.h"
#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

const std::string kZeroHash(64, '0');
constexpr std::size_t kMaxRecordDepth = 128;

std::string errno_text() { return std::strerror(errno); }

// A record's canonical JSON without `hash` and `mac` ends with its "prev", "seq" and "type"
// members: those keys sort after "hash" and "mac". So the line is that body with the two
// members spliced in where the tail begins — one serialisation serves the hash, the MAC and
// the canonical-form check.
std::string record_tail(const std::string& prev, std::uint64_t seq, const std::string& type) {
  return fmt::format(R"(,"prev":"{}","seq":{},"type":{}}})", prev, seq, canonical_json(type));
}

std::string spliced_members(const std::string& hash, const std::optional<std::string>& mac) {
  return fmt::format(R"(,"hash":"{}")", hash) + (mac ? fmt::format(R"(,"mac":"{}")", *mac) : std::string());
}

void write_all(int fd, const std::string& bytes, const std::filesystem::path& file) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw JournalError(fmt::format("{}: cannot append: {}", file.string(), errno_text()), JournalProblem::io);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw JournalError(fmt::format("{}: fsync failed: {}", file.string(), errno_text()), JournalProblem::io);
}

void fsync_directory(const std::filesystem::path& dir) {
  UniqueFd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (fd) ::fsync(fd.get());
}

UniqueFd open_journal(const std::filesystem::path& file, int flags) {
  auto opened = open_regular_file(file.string(), flags | O_NOFOLLOW);
  if (opened) return std::move(opened.fd);
  throw JournalError(opened.error, opened.problem == FileProblem::missing ? JournalProblem::corrupt : JournalProblem::unreadable);
}

}  // namespace

JournalRecord verify_record(const std::string& line, const std::string& where, const ExpectedRecord& expected) {
  auto fail = [&](const std::string& what) { return JournalError(fmt::format("{}: {}", where, what)); };
  nlohmann::json json;
  try {
    json = parse_json(line, "record", kMaxRecordDepth);
  } catch (const JsonInputError& e) {
    throw fail(fmt::format("not a JSON record ({})", e.what()));
  }
  const bool has_mac = json.is_object() && json.contains("mac");
  const bool shaped = json.is_object() && json.size() == (has_mac ? 7u : 6u) && json.contains("seq") && json["seq"].is_number_unsigned() &&
                      json.contains("type") && json["type"].is_string() && json.contains("at") && json["at"].is_string() &&
                      json.contains("data") && json["data"].is_object() && json.contains("prev") && json["prev"].is_string() &&
                      json.contains("hash") && json["hash"].is_string() && (!has_mac || json["mac"].is_string());
  if (!shaped) throw fail("not a journal record (expected seq, type, at, data, prev, hash, and mac when keyed)");
  JournalRecord record;
  record.seq = json["seq"].get<std::uint64_t>();
  record.type = json["type"].get<std::string>();
  record.at = json["at"].get<std::string>();
  record.prev = json["prev"].get<std::string>();
  record.hash = json["hash"].get<std::string>();
  if (record.seq != expected.seq) throw fail(fmt::format("seq {} where {} was expected (records removed or reordered)", record.seq, expected.seq));
  if (record.prev != expected.prev) throw fail("`prev` does not match the previous record (chain broken)");
  if (has_mac != expected.keyed) {
    throw fail(expected.keyed ? "record has no MAC, but the journal is keyed (MAC stripped)" : "record has a MAC, but journal.head has none");
  }
  std::optional<std::string> mac;
  if (has_mac) mac = json["mac"].get<std::string>();
  json.erase("hash");
  json.erase("mac");
  std::string body;
  try {
    body = canonical_json(json);
  } catch (const std::invalid_argument&) {
    throw fail("record holds a float (not written by writ)");
  }
  const auto tail = record_tail(record.prev, record.seq, record.type);
  const auto members = spliced_members(record.hash, mac);
  if (body.size() < tail.size() || body.compare(body.size() - tail.size(), tail.size(), tail) != 0) {
    throw fail("record is not in canonical form (altered)");
  }
  const std::size_t split = body.size() - tail.size();
  const bool canonical = line.size() == body.size() + members.size() && line.compare(0, split, body, 0, split) == 0 &&
                         line.compare(split, members.size(), members) == 0 &&
                         line.compare(split + members.size(), tail.size(), body, split, tail.size()) == 0;
  if (!canonical) throw fail("record is not in canonical form (altered)");
  if (sha256_hex(body) != record.hash) throw fail("hash does not match the record's content (altered)");
  if (expected.key && !expected.key->verify(body, *mac)) throw fail("MAC does not match (the record was altered and re-hashed)");
  body.clear();
  body.shrink_to_fit();
  record.data = untag_floats(json["data"]);
  return record;
}

std::string encode_record(JournalRecord& record, const nlohmann::json& data, const JournalKey* key) {
  const auto body = canonical_json(
      nlohmann::json{{"seq", record.seq}, {"type", record.type}, {"at", record.at}, {"data", tag_floats(data)}, {"prev", record.prev}});
  record.hash = sha256_hex(body);
  const auto members = spliced_members(record.hash, key ? std::optional<std::string>(key->mac(body)) : std::nullopt);
  const auto split = body.size() - record_tail(record.prev, record.seq, record.type).size();
  std::string line;
  line.reserve(body.size() + members.size() + 1);
  line.append(body, 0, split).append(members).append(body, split);
  return line;
}

namespace {

// Where the records read so far stand against the head: the record ending exactly at the
// head's size must be the one it names; records after it are counted.
class HeadCheck {
 public:
  HeadCheck(const std::filesystem::path& file, const std::optional<JournalHead>& head) : file_(file), head_(head) {}

  void after(const JournalStatus& st, std::size_t line) {
    if (!head_ || reached_) {
      past_ += reached_ ? 1 : 0;
      return;
    }
    if (st.valid_bytes < head_->size) return;
    if (st.valid_bytes > head_->size || st.last_seq != head_->seq || st.last_hash != head_->hash) {
      const auto where = line == 0 ? file_.string() : fmt::format("{}:{}", file_.string(), line);
      throw JournalError(fmt::format("{}: journal.head names a record (seq {}) ending at byte {}, which this journal does not have "
                                     "there: records were rewritten or removed",
                                     where, head_->seq, head_->size));
    }
    reached_ = true;
  }

  void at_start(const JournalStatus& st) { after(st, 0); }

  // After the last line: the journal reaches the head, and the head exists unless the journal is empty.
  std::uint64_t finish(const JournalStatus& st) const {
    const auto head_file = journal_head_path(file_).string();
    if (!head_) {
      if (st.valid_bytes == 0 && !st.torn_tail) return 0;  // created, crashed before the first record
      throw JournalError(fmt::format("{}: missing. writ creates it with the journal, before the first record, so a crash "
                                     "cannot remove it: it was deleted, or the journal was written by a writ without "
                                     "journal heads; refusing a journal whose end cannot be checked",
                                     head_file));
    }
    if (!reached_) {
      throw JournalError(fmt::format("{}: {} bytes of complete records, shorter than the {} bytes {} records (seq {}): records "
                                     "were removed from its end. A crash cannot do this (the head is replaced only after "
                                     "the record is on disk): the journal was truncated or replaced",
                                     file_.string(), st.valid_bytes, head_->size, head_file, head_->seq));
    }
    return past_;
  }

 private:
  const std::filesystem::path& file_;
  const std::optional<JournalHead>& head_;
  bool reached_ = false;
  std::uint64_t past_ = 0;
};

JournalStatus scan(int fd, const std::filesystem::path& file, const JournalOptions& options, const RecordVisitor& visit) {
  const auto head = read_head(file, options.key);
  JournalStatus st;
  st.keyed = head && head->mac;
  st.macs_checked = st.keyed && options.key != nullptr;
  if (st.keyed) st.key_id = *head->key_id;
  HeadCheck check(file, head);
  check.at_start(st);
  evidence::LineReader reader(fd, options.max_record_bytes);
  while (auto line = reader.next()) {
    if (line->too_long) {
      throw JournalError(fmt::format("{}:{}: longer than the limit of {} bytes (max_journal_record_bytes); writ never writes such a record",
                                     file.string(), line->number, options.max_record_bytes));
    }
    if (!line->terminated) {
      st.torn_tail = true;  // never fsynced as a whole record: no effect followed it
      break;
    }
    auto record = verify_record(line->text, fmt::format("{}:{}", file.string(), line->number),
                                ExpectedRecord{st.last_seq + 1, st.last_hash, st.keyed, options.key});
    st.valid_bytes += line->text.size() + 1;
    ++st.record_count;
    st.last_seq = record.seq;
    st.last_hash = record.hash;
    line.reset();
    check.after(st, static_cast<std::size_t>(st.record_count));
    visit(std::move(record));
  }
  if (reader.error()) {
    throw JournalError(fmt::format("{}: cannot read: {}", file.string(), reader.error().message()), JournalProblem::unreadable);
  }
  st.past_head = check.finish(st);
  return st;
}

}  // namespace

std::string record_hash(const nlohmann::json& record) { return canonical_digest(record); }

JournalStatus scan_journal(const std::filesystem::path& file, const JournalOptions& options, const RecordVisitor& visit) {
  const auto fd = open_journal(file, O_RDONLY);
  return scan(fd.get(), file, options, visit);
}

JournalContents read_journal(const std::filesystem::path& file, const JournalOptions& options) {
  JournalContents contents;
  static_cast<JournalStatus&>(contents) =
      scan_journal(file, options, [&](JournalRecord&& record) { contents.records.push_back(std::move(record)); });
  return contents;
}

JournalWriter::JournalWriter(std::filesystem::path file, UniqueFd fd, const JournalOptions& options, const JournalStatus& status)
    : file_(std::move(file)), fd_(std::move(fd)), max_record_bytes_(options.max_record_bytes),
      size_(status.valid_bytes), seq_(status.last_seq), head_(status.last_hash) {
  if (options.key) key_.emplace(*options.key);
}

namespace {

void lock(int fd, const std::filesystem::path& file) {
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    throw JournalError(fmt::format("{}: the run is in use by another writ process", file.string()), JournalProblem::in_use);
  }
}

}  // namespace

JournalWriter JournalWriter::create(const std::filesystem::path& file, const JournalOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) throw JournalError(fmt::format("{}: cannot create: {}", file.parent_path().string(), ec.message()), JournalProblem::io);
  UniqueFd fd{::open(file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600)};
  if (!fd) throw JournalError(fmt::format("{}: cannot create: {}", file.string(), errno_text()), JournalProblem::io);
  lock(fd.get(), file);
  write_head(file, 0, 0, kZeroHash, options.key);      // fsyncs the run directory: the journal's entry too
  fsync_directory(file.parent_path().parent_path());  // the new run directory's entry
  return JournalWriter(file, std::move(fd), options, JournalStatus{});
}

JournalWriter JournalWriter::open(const std::filesystem::path& file, const JournalOptions& options, const RecordVisitor& visit,
                                  JournalStatus* status_out) {
  auto fd = open_journal(file, O_RDWR | O_APPEND);
  lock(fd.get(), file);  // before reading: nobody appends between the read and our appends
  const auto status = scan(fd.get(), file, options, visit);
  if (status.keyed && !options.key) {
    throw JournalError(fmt::format("{}: the journal is keyed (journal key id {}); give its key (--journal-key FILE, or "
                                   "journal_key in the --connectors file) to continue it: writ does not append unkeyed "
                                   "records to a keyed journal",
                                   file.string(), status.key_id),
                       JournalProblem::key);
  }
  if (status.past_head > 1 || (status.past_head == 1 && status.torn_tail)) {
    throw JournalError(fmt::format("{}: {} complete record(s){} after the last one journal.head names; a crash leaves one "
                                   "record or one unfinished line there, not more: something other than writ appended to it",
                                   file.string(), status.past_head, status.torn_tail ? " and an unfinished line" : ""));
  }
  if (status.torn_tail) {
    if (::ftruncate(fd.get(), static_cast<off_t>(status.valid_bytes)) != 0 || ::fsync(fd.get()) != 0) {
      throw JournalError(fmt::format("{}: cannot cut the torn last line: {}", file.string(), errno_text()), JournalProblem::io);
    }
  }
  if (status.past_head > 0) write_head(file, status.valid_bytes, status.last_seq, status.last_hash, options.key);
  if (status_out) *status_out = status;
  return JournalWriter(file, std::move(fd), options, status);
}

JournalWriter JournalWriter::open(const std::filesystem::path& file, const JournalOptions& options, JournalContents& contents) {
  contents = JournalContents{};
  JournalStatus status;
  auto writer = open(file, options, [&](JournalRecord&& record) { contents.records.push_back(std::move(record)); }, &status);
  static_cast<JournalStatus&>(contents) = status;
  return writer;
}

void JournalWriter::abandon_empty() {
  std::error_code ec;
  std::filesystem::remove(journal_head_path(file_), ec);
  std::filesystem::remove(file_, ec);
  std::filesystem::remove(file_.parent_path(), ec);  // only when empty
}

JournalRecord JournalWriter::append(const std::string& type, WallTime at, nlohmann::json data) {
  JournalRecord record{seq_ + 1, type, format_rfc3339(at), {}, head_, ""};
  std::string line = encode_record(record, data, key_ ? &*key_ : nullptr);
  line.push_back('\n');
  if (line.size() - 1 > max_record_bytes_) {
    if (seq_ == 0 && size_ == 0) abandon_empty();
    throw JournalError(fmt::format("{}: record {} ({}) would be {} bytes, more than the limit of {} (max_journal_record_bytes); "
                                   "nothing was written",
                                   file_.string(), record.seq, type, line.size() - 1, max_record_bytes_));
  }
  write_all(fd_.get(), line, file_);
  size_ += line.size();
  seq_ = record.seq;
  head_ = record.hash;
  write_head(file_, size_, seq_, head_, key_ ? &*key_ : nullptr);
  record.data = std::move(data);
  return record;
}

}  // namespace writ::runtime
