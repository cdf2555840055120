// Fuzzes the run journal readers (runtime/journal.h, run_state.h, metrics.h): read_journal,
// RunState::apply over the records (what --resume and `writ rollback` do), the execution log
// projection, and compute_metrics over a state directory holding the journal.
//
// Input: byte 0 bit 0 picks the mode.
//  0  a hostile journal: the rest is STATE/runs/run-fuzz/journal.jsonl.
//  1  a valid journal: the rest, split at NULs, gives up to 8 records (type from the first
//     byte, data the JSON object in the rest, else a string); the target chains and hashes
//     them by the documented format, then changes one byte.
// Invariants: readers throw nothing but JournalError (naming the file); a journal that reads has
// seq 1..n, each prev the hash before it, and a torn tail exactly when bytes follow the verified
// prefix; a run RunState accepts has an event_text that parses as a JSON object; compute_metrics
// reports an unreadable journal as data; a valid journal reads back record for record, and with a
// changed byte it is refused or loses its torn tail.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/canonical_json.h"
#include "fuzz/fuzz_support.h"
#include "runtime/journal.h"
#include "runtime/json_input.h"
#include "runtime/metrics.h"
#include "runtime/run_state.h"

namespace writ::fuzz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kMaxBytes = 1024 * 1024;

class ScratchState {
 public:
  ScratchState() {
    std::string pattern = (fs::temp_directory_path() / "writ-fuzz-journal-XXXXXX").string();
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

  void write(std::string_view content) const {
    std::ofstream out(journal(), std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    require(out.good(), "cannot write the journal");
  }

 private:
  fs::path root_;
};

const ScratchState& scratch() {
  static const ScratchState state;
  return state;
}

std::optional<runtime::JournalContents> read(std::size_t size) {
  try {
    runtime::JournalContents contents = runtime::read_journal(scratch().journal(), kMaxBytes);
    std::string prev(64, '0');
    for (std::size_t i = 0; i < contents.records.size(); ++i) {
      require(contents.records[i].seq == i + 1, "read_journal accepted a gap in seq");
      require(contents.records[i].prev == prev, "read_journal accepted a broken chain");
      prev = contents.records[i].hash;
    }
    require(contents.valid_bytes <= size && contents.torn_tail == (contents.valid_bytes < size),
            "read_journal's torn tail disagrees with its verified prefix");
    return contents;
  } catch (const runtime::JournalError& e) {
    require(std::string_view(e.what()).starts_with(scratch().journal().string()),
            std::string("a journal error not naming the file: ") + e.what());
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
  scratch().write(input);
  if (auto contents = read(input.size())) replay(*contents);
  metrics();
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

void valid_journal(std::string_view input) {
  std::vector<json> data;
  std::vector<std::string> types;
  std::string journal, prev(64, '0');
  std::size_t seq = 0;
  while (seq < 8) {
    std::size_t nul = input.find('\0');
    std::string_view chunk = input.substr(0, nul);
    types.push_back(kTypes[chunk.empty() ? 0 : static_cast<unsigned char>(chunk[0]) % std::size(kTypes)]);
    data.push_back(record_data(chunk.empty() ? chunk : chunk.substr(1)));
    json record{{"at", "2026-11-27T08:00:00.000Z"}, {"data", runtime::tag_floats(data.back())}, {"prev", prev},
                {"seq", ++seq}, {"type", types.back()}};
    prev = runtime::record_hash(record);
    record["hash"] = prev;
    journal += canonical_json(record) + "\n";
    if (nul == std::string_view::npos) break;
    input.remove_prefix(nul + 1);
  }
  scratch().write(journal);
  auto contents = read(journal.size());
  require(contents.has_value(), "a valid journal does not read");
  require(!contents->torn_tail && contents->records.size() == seq, "a valid journal reads back another length");
  for (std::size_t i = 0; i < seq; ++i) {
    require(contents->records[i].type == types[i] && contents->records[i].data == data[i],
            "a valid journal's record " + std::to_string(i + 1) + " reads back changed");
  }
  std::size_t at = input.empty() ? journal.size() / 2 : static_cast<unsigned char>(input[0]) * 257 % journal.size();
  journal[at] = static_cast<char>(journal[at] ^ 0x01);
  scratch().write(journal);
  auto damaged = read(journal.size());
  require(!damaged || (damaged->torn_tail && damaged->records.size() < seq),
          "read_journal accepts a journal with a changed byte at offset " + std::to_string(at));
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
    if ((data[0] & 1) == 0) hostile_journal(rest);
    else valid_journal(rest);
  } catch (const std::exception& e) {
    fail(std::string("the journal readers threw: ") + e.what());
  }
  return 0;
}
