// Fuzzes the run journal readers (runtime/journal.h, journal_head.h, journal_key.h,
// run_state.h, metrics.h): scan_journal with the head and the HMAC key, JournalWriter::open,
// RunState::apply over the records (what --resume and `writ rollback` do), the execution log
// projection, and compute_metrics over a state directory holding the journal.
//
// Input: byte 0 modulo 4 picks the mode.
//  0  a hostile journal: the rest is STATE/runs/run-fuzz/journal.jsonl, beside a head of size 0
//     (so every record is "past the head", as for a reader beside a live writer).
//  1  a valid journal: the rest, split at NULs, gives up to 8 records (type from the first
//     byte, data the JSON object in the rest, else a string); the target chains and hashes
//     them and writes their head by the documented format, then changes one byte of the
//     journal or the head.
//  2  hostile head, journal and key: byte 1 is a key length n (taken modulo 64: a key is used
//     when n >= 32), then n key bytes, then journal.head's bytes up to the first NUL, then
//     journal.jsonl's.
//  3  a keyed journal: the first 32 bytes are the key, the rest gives records as in mode 1;
//     JournalWriter writes them, then one byte of the journal or the head is changed.
// Invariants: readers throw nothing but JournalError (naming the run's directory); a journal
// that reads has seq 1..n, each prev the hash before it, and a torn tail exactly when bytes
// follow the verified prefix; its MACs were checked exactly when it is keyed and a key was
// given; a journal JournalWriter::open accepts reads back, after one more append, with that
// record and nothing past the head; a run RunState accepts has an event_text that parses as a
// JSON object; compute_metrics reports an unreadable journal as data; a valid journal (keyed or
// not) reads back record for record, a keyed one without its key as keyed-but-unchecked and
// with another key not at all; and with one changed byte, in the journal or the head, neither
// reads.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "fuzz/fuzz_support.h"
#include "runtime/journal.h"
#include "runtime/journal_head.h"
#include "runtime/journal_key.h"
#include "runtime/json_input.h"
#include "runtime/metrics.h"
#include "runtime/run_state.h"

namespace writ::fuzz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using runtime::JournalKey;
using runtime::JournalOptions;

constexpr std::size_t kMaxBytes = 1024 * 1024;

class ScratchState {
 public:
  ScratchState() {
    // Appends fsync the journal and rename the head: on tmpfs that costs nothing.
    std::error_code ec;
    const fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::string pattern = (base / "writ-fuzz-journal-XXXXXX").string();
    require(::mkdtemp(pattern.data()) != nullptr, "cannot create a scratch directory");
    root_ = pattern;
    fs::create_directories(journal().parent_path());
  }
  ~ScratchState() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  ScratchState(const ScratchState&) = delete;
  ScratchState& operator=(const ScratchState&) = delete;

  const fs::path& root() const { return root_; }
  fs::path journal() const { return root_ / "runs" / "run-fuzz" / "journal.jsonl"; }
  fs::path head() const { return runtime::journal_head_path(journal()); }

  void write_file(const fs::path& path, std::string_view content) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    require(out.good(), "cannot write " + path.string());
  }
  void write(std::string_view journal_bytes, std::string_view head_bytes) const {
    write_file(journal(), journal_bytes);
    write_file(head(), head_bytes);
  }
  void clear() const {
    std::error_code ec;
    fs::remove_all(journal().parent_path(), ec);
  }

 private:
  fs::path root_;
};

const ScratchState& scratch() {
  static const ScratchState state;
  return state;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The documented head for a journal whose last record is `seq`/`hash` and ends at `size`.
std::string documented_head(std::uint64_t size, std::uint64_t seq, const std::string& hash) {
  return canonical_json(json{{"hash", hash}, {"seq", seq}, {"size", size}}) + "\n";
}

void check_status(const runtime::JournalStatus& status, std::size_t size, const JournalKey* key) {
  require(status.valid_bytes <= size && status.torn_tail == (status.valid_bytes < size),
          "the torn tail disagrees with the verified prefix");
  require(status.macs_checked == (status.keyed && key != nullptr), "MACs checked though not keyed, or not checked with a key");
}

std::optional<runtime::JournalContents> read(std::size_t size, const JournalKey* key = nullptr) {
  try {
    runtime::JournalContents contents = runtime::read_journal(scratch().journal(), JournalOptions{kMaxBytes, key});
    std::string prev(64, '0');
    for (std::size_t i = 0; i < contents.records.size(); ++i) {
      require(contents.records[i].seq == i + 1, "read_journal accepted a gap in seq");
      require(contents.records[i].prev == prev, "read_journal accepted a broken chain");
      prev = contents.records[i].hash;
    }
    require(contents.record_count == contents.records.size(), "record_count disagrees with the records read");
    check_status(contents, size, key);
    return contents;
  } catch (const runtime::JournalError& e) {
    require(std::string_view(e.what()).starts_with(scratch().journal().parent_path().string()),
            std::string("a journal error not naming the run's directory: ") + e.what());
    return std::nullopt;
  }
}

void replay(const runtime::JournalContents& contents) {
  runtime::RunState state;
  try {
    for (const auto& record : contents.records) state.apply(record);
  } catch (const runtime::JournalError&) {
    return;
  }
  if (!state.started()) return;
  // What --resume and rollback re-read: a run RunState accepts has its event as a JSON object.
  auto event = nlohmann::json::parse(state.start().at("event_text").get<std::string>(), nullptr, false);
  require(event.is_object(), "RunState accepted a run_started whose event_text is not a JSON object");
  std::ostringstream text;
  runtime::print_text(text, state.log());
  (void)runtime::to_json(state.log()).dump(-1, ' ', false, json::error_handler_t::replace);
}

void metrics() {
  runtime::Metrics m = runtime::compute_metrics(scratch().root(), runtime::MetricsOptions{});
  (void)runtime::metrics_to_json(m).dump(-1, ' ', false, json::error_handler_t::replace);
  (void)runtime::metrics_to_prometheus(m);
}

void hostile_journal(std::string_view input) {
  scratch().write(input, documented_head(0, 0, std::string(64, '0')));
  if (auto contents = read(input.size())) replay(*contents);
  metrics();
}

// JournalWriter::open on whatever is there: when it accepts, one more append reads back whole.
void continue_journal(const JournalKey* key) {
  std::uint64_t records = 0;
  try {
    runtime::JournalStatus status;
    auto writer = runtime::JournalWriter::open(scratch().journal(), JournalOptions{kMaxBytes, key},
                                               [](runtime::JournalRecord&&) {}, &status);
    records = status.record_count;
    require(status.past_head <= 1 && !(status.past_head == 1 && status.torn_tail), "the writer accepted more than a crash leaves");
    writer.append("run_resumed", std::chrono::system_clock::time_point{}, json::object());
  } catch (const runtime::JournalError&) {
    return;
  }
  auto again = read(fs::file_size(scratch().journal()), key);
  require(again.has_value(), "a journal the writer continued does not read back");
  require(again->record_count == records + 1 && again->past_head == 0 && !again->torn_tail,
          "a journal the writer continued reads back with another length or past its head");
}

void hostile_head_and_key(std::string_view input) {
  if (input.empty()) return;
  const std::size_t n = std::min<std::size_t>(static_cast<unsigned char>(input[0]) % 64, input.size() - 1);
  std::optional<JournalKey> key;
  if (n >= JournalKey::kMinBytes) key.emplace(JournalKey::from_bytes(std::string(input.substr(1, n)), "fuzz.key"));
  input.remove_prefix(1 + n);
  const auto nul = input.find('\0');
  const auto head = input.substr(0, nul);
  const auto journal = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  scratch().write(journal, head);
  read(journal.size(), key ? &*key : nullptr);
  continue_journal(key ? &*key : nullptr);
}

const char* const kTypes[] = {"run_started",        "run_resumed",        "step_started",       "approval_requested",
                              "approval_decided",   "connector_call",     "connector_result",   "step_finished",
                              "evidence_requested", "evidence_preserved", "evidence_failed",    "evidence_skipped",
                              "rollback_requested", "rollback_started",   "rollback_finished",  "run_finished"};

json record_data(std::string_view chunk) {
  try {
    json data = runtime::parse_json(chunk, "data", 32);
    if (data.is_object() && data.dump().find("$float") == std::string::npos) return data;
  } catch (const runtime::JsonInputError&) {
  }
  std::string text;
  for (unsigned char c : chunk.substr(0, 64)) text += static_cast<char>(0x20 + c % 95);
  return json{{"text", text}};
}

struct Records {
  std::vector<std::string> types;
  std::vector<json> data;
  std::string_view rest;  // what follows the last record's chunk (selects the byte to change)
};

// Up to 8 records from NUL-separated chunks: type from the first byte, data from the rest.
Records records_from(std::string_view input) {
  Records out;
  while (out.types.size() < 8) {
    const std::size_t nul = input.find('\0');
    const std::string_view chunk = input.substr(0, nul);
    out.types.push_back(kTypes[chunk.empty() ? 0 : static_cast<unsigned char>(chunk[0]) % std::size(kTypes)]);
    out.data.push_back(record_data(chunk.empty() ? chunk : chunk.substr(1)));
    if (nul == std::string_view::npos) {
      input = {};
      break;
    }
    input.remove_prefix(nul + 1);
  }
  out.rest = input;
  return out;
}

void require_reads_back(const std::optional<runtime::JournalContents>& contents, const Records& records) {
  require(contents.has_value(), "a valid journal does not read");
  require(!contents->torn_tail && contents->past_head == 0 && contents->records.size() == records.types.size(),
          "a valid journal reads back another length");
  for (std::size_t i = 0; i < records.types.size(); ++i) {
    require(contents->records[i].type == records.types[i] && contents->records[i].data == records.data[i],
            "a valid journal's record " + std::to_string(i + 1) + " reads back changed");
  }
}

// Changes one byte of the journal or of its head (chosen by `rest`) and requires that neither
// reads any more: a changed byte is never a crash's doing.
void require_changed_byte_refused(std::string journal, std::string head, std::string_view rest, const JournalKey* key) {
  const std::size_t total = journal.size() + head.size();
  const std::size_t at = rest.empty() ? journal.size() / 2 : static_cast<unsigned char>(rest[0]) * 257u % total;
  std::string& target = at < journal.size() ? journal : head;
  const std::size_t pos = at < journal.size() ? at : at - journal.size();
  target[pos] = static_cast<char>(target[pos] ^ 0x01);
  scratch().write(journal, head);
  require(!read(journal.size(), key), std::string("a journal with a changed byte reads, in its ") +
                                          (at < journal.size() ? "journal" : "head") + " at offset " + std::to_string(pos));
}

void valid_journal(std::string_view input) {
  const auto records = records_from(input);
  std::string journal, prev(64, '0');
  for (std::size_t i = 0; i < records.types.size(); ++i) {
    json record{{"at", "2026-11-27T08:00:00.000Z"}, {"data", runtime::tag_floats(records.data[i])}, {"prev", prev},
                {"seq", i + 1}, {"type", records.types[i]}};
    prev = runtime::record_hash(record);
    record["hash"] = prev;
    journal += canonical_json(record) + "\n";
  }
  const auto head = documented_head(journal.size(), records.types.size(), prev);
  scratch().write(journal, head);
  require_reads_back(read(journal.size()), records);
  require_changed_byte_refused(journal, head, records.rest, nullptr);
}

void keyed_journal(std::string_view input) {
  std::string key_bytes(input.substr(0, JournalKey::kMinBytes));
  key_bytes.resize(JournalKey::kMinBytes, '\0');
  input.remove_prefix(std::min(input.size(), JournalKey::kMinBytes));
  const auto key = JournalKey::from_bytes(key_bytes, "fuzz.key");
  key_bytes[0] = static_cast<char>(key_bytes[0] ^ 0x01);
  const auto other = JournalKey::from_bytes(key_bytes, "other.key");
  const auto records = records_from(input);
  scratch().clear();
  {
    auto writer = runtime::JournalWriter::create(scratch().journal(), JournalOptions{kMaxBytes, &key});
    for (std::size_t i = 0; i < records.types.size(); ++i) {
      writer.append(records.types[i], std::chrono::system_clock::time_point{}, records.data[i]);
    }
  }
  const auto journal = read_file(scratch().journal());
  const auto head = read_file(scratch().head());
  const auto with_key = read(journal.size(), &key);
  require_reads_back(with_key, records);
  require(with_key->keyed && with_key->key_id == key.id(), "a keyed journal reads back unkeyed or under another id");
  const auto without = read(journal.size());
  require(without && without->keyed && !without->macs_checked, "a keyed journal read without its key is not keyed-but-unchecked");
  try {
    runtime::read_journal(scratch().journal(), JournalOptions{kMaxBytes, &other});
    fail("a keyed journal reads under another key");
  } catch (const runtime::JournalError& e) {
    require(e.problem == runtime::JournalProblem::key, std::string("another key is not reported as such: ") + e.what());
  }
  require_changed_byte_refused(journal, head, records.rest, &key);
}

}  // namespace
}  // namespace writ::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  writ::fuzz::scratch();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ::fuzz;
  if (size == 0) return 0;
  std::string_view rest = as_text(data + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: hostile_journal(rest); break;
      case 1: valid_journal(rest); break;
      case 2: hostile_head_and_key(rest); break;
      default: keyed_journal(rest); break;
    }
  } catch (const std::exception& e) {
    fail(std::string("the journal readers threw: ") + e.what());
  }
  return 0;
}
