// Fuzzes the custody ledger readers (runtime/evidence): parse_record, parse_checkpoint and
// verify_store over an evidence directory written from the input.
//
// Input: the first byte picks the mode.
//  even  a hostile store: the rest, split at the first NUL, is custody.jsonl and
//        checkpoint.json. Each line also goes through parse_record, the whole checkpoint
//        through parse_checkpoint.
//  odd   a valid store: the rest, split at NULs, gives up to 4 artifacts. The target writes
//        objects, records and checkpoint itself, by DESIGN §10 alone (an auditor's
//        re-implementation), then flips one byte of custody.jsonl.
// Invariants: nothing throws; a line parse_record accepts is exactly record_line() of its record; a
// checkpoint that parses holds no NUL byte and survives checkpoint_json; verify_store reports
// `damaged` exactly when it has findings, each naming an item (also with a hostile checkpoint
// given as the kept one, `--since`); the valid store verifies intact, and with --since every
// prefix checkpoint of it is proved consistent (RFC 6962); once a byte of its ledger is changed
// it verifies damaged, and --since its own last checkpoint says so too.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/sha256.h"
#include "fuzz/fuzz_support.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/merkle.h"
#include "runtime/evidence/verify.h"

namespace writ::fuzz {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A scratch directory for the process, removed when it exits.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "writ-fuzz-custody-XXXXXX").string();
    require(::mkdtemp(pattern.data()) != nullptr, "cannot create a scratch directory");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // The store directory for `name`, holding no objects (files are overwritten by the caller).
  fs::path store(std::string_view name) const {
    fs::path store = path_ / name;
    std::error_code ec;
    fs::remove_all(store / "objects", ec);
    fs::create_directories(store);
    return store;
  }

 private:
  fs::path path_;
};

const ScratchDir& scratch() {
  static const ScratchDir dir;
  return dir;
}

void write_file(const fs::path& path, std::string_view content) {
  std::error_code ec;
  if (!fs::is_directory(path.parent_path(), ec)) fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  require(out.good(), "cannot write " + path.string());
}

std::vector<std::string_view> split(std::string_view text, char separator, std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    std::size_t at = text.find(separator);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + 1);
  }
  parts.push_back(text);
  return parts;
}

void check_line(std::string_view line) {
  evidence::ParsedRecord parsed = evidence::parse_record(line);
  if (!parsed.record) {
    require(!parsed.error.empty(), "parse_record refused a line without saying why");
    return;
  }
  require(evidence::record_line(*parsed.record) == line, "parse_record accepted a line that is not canonical");
  require(evidence::is_sha256_hex(evidence::compute_record_hash(*parsed.record)), "a record hash is not sha256 hex");
}

void check_checkpoint(std::string_view text) {
  evidence::ParsedCheckpoint parsed = evidence::parse_checkpoint(text);
  if (!parsed.checkpoint) {
    require(!parsed.error.empty(), "parse_checkpoint refused a file without saying why");
    return;
  }
  require(text.find('\0') == std::string_view::npos, "parse_checkpoint accepted a NUL byte (and what follows it)");
  const evidence::Checkpoint& cp = *parsed.checkpoint;
  evidence::ParsedCheckpoint again = evidence::parse_checkpoint(evidence::checkpoint_json(cp));
  require(again.checkpoint.has_value(), "checkpoint_json output does not parse: " + again.error);
  const evidence::Checkpoint& cp2 = *again.checkpoint;
  require(cp.size == cp2.size && cp.head == cp2.head && cp.root == cp2.root && cp.origin == cp2.origin &&
              cp.signature == cp2.signature && cp.key_id == cp2.key_id,
          "a checkpoint changes through checkpoint_json and parse_checkpoint");
  (void)evidence::checkpoint_text(cp);
}

evidence::VerifyReport verify(const fs::path& store, const evidence::KeptCheckpoint* since = nullptr) {
  evidence::VerifyOptions options;
  options.since = since;
  evidence::VerifyReport report = evidence::verify_store(store, options);
  require(report.status != evidence::VerifyStatus::not_a_store, "a store with a ledger is `not_a_store`");
  require((report.status == evidence::VerifyStatus::damaged) == !report.findings.empty(),
          "verify's status disagrees with its findings");
  for (const auto& f : report.findings) {
    require(!f.message.empty(), "a finding without a message");
    require(f.item.starts_with("custody.jsonl") || f.item == "checkpoint.json" || f.item.starts_with("objects/") ||
                (since != nullptr && f.item == since->name),
            "a finding names no item of the store: " + f.item);
  }
  return report;
}

void hostile_store(std::string_view input) {
  auto parts = split(input, '\0', 2);
  std::string_view ledger = parts[0];
  std::string_view checkpoint = parts.size() > 1 ? parts[1] : std::string_view{};
  check_checkpoint(checkpoint);
  for (std::string_view line : split(ledger, '\n', ledger.size() + 1)) check_line(line);
  fs::path store = scratch().store("hostile");
  write_file(evidence::custody_path(store), ledger);
  std::error_code ec;
  if (parts.size() > 1) write_file(evidence::checkpoint_path(store), checkpoint);
  else fs::remove(evidence::checkpoint_path(store), ec);
  verify(store);
  if (auto kept = evidence::parse_checkpoint(checkpoint).checkpoint) {
    const evidence::KeptCheckpoint since{*kept, "kept.json"};
    verify(store, &since);
  }
}

// Printable text (quotes, backslashes and DEL included) so the JSON below stays valid UTF-8.
std::string printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes.substr(0, 64)) out += static_cast<char>(0x20 + c % 96);
  return out;
}

// A record by DESIGN §10: canonical JSON (sorted keys, no whitespace) hashed without `hash`.
json record(std::uint64_t seq, std::string_view content, const std::string& prev) {
  json r{{"seq", seq},
         {"event", "collected"},
         {"artifact", "/evidence/" + printable(content)},
         {"sha256", sha256_hex(content)},
         {"size", content.size()},
         {"collected_at", "2026-11-27T21:04:03Z"},
         {"collector", {{"tool", "writ fuzz"}, {"host", "fuzz-host"}, {"user", "fuzz"}}},
         {"run_id", seq % 2 == 0 ? json(nullptr) : json("run-" + std::to_string(seq))},
         {"step", nullptr},
         {"incident", printable(content.substr(content.size() / 2))},
         {"prev", prev}};
  r["hash"] = sha256_hex(r.dump());
  return r;
}

void valid_store(std::string_view input) {
  fs::path store = scratch().store("valid");
  std::string ledger, prev(evidence::kZeroHash), first_hash;
  std::vector<Digest> leaves;
  std::uint64_t seq = 0;
  for (std::string_view content : split(input, '\0', 4)) {
    json r = record(++seq, content, prev);
    std::string line = r.dump();
    prev = r["hash"].get<std::string>();
    if (first_hash.empty()) first_hash = prev;
    ledger += line + "\n";
    leaves.push_back(evidence::merkle_leaf_hash(line));
    write_file(evidence::object_path(store, sha256_hex(content)), content);
  }
  json cp{{"size", seq}, {"head", prev}, {"root", to_hex(evidence::merkle_root(leaves))},
          {"origin", "writ.evidence/" + first_hash.substr(0, 16)}, {"signature", nullptr}};
  write_file(evidence::checkpoint_path(store), cp.dump() + "\n");
  write_file(evidence::custody_path(store), ledger);
  evidence::VerifyReport report = verify(store);
  if (report.status != evidence::VerifyStatus::intact) {
    fail("a valid store does not verify: " + report.findings.front().item + ": " + report.findings.front().message);
  }
  require(report.records == seq, "verify counted another number of records");
  std::vector<std::string> heads{std::string(evidence::kZeroHash)};
  for (std::string_view line : split(ledger, '\n', seq)) heads.push_back(json::parse(line)["hash"].get<std::string>());
  for (std::uint64_t m = 0; m <= seq; ++m) {
    evidence::Checkpoint prefix{m, heads[m], to_hex(evidence::merkle_root(std::span(leaves).first(m))),
                                "writ.evidence/" + first_hash.substr(0, 16), std::nullopt, std::nullopt};
    const evidence::KeptCheckpoint since{prefix, "kept.json"};
    evidence::VerifyReport proved = verify(store, &since);
    require(proved.status == evidence::VerifyStatus::intact && proved.since && proved.since->consistent,
            "a prefix checkpoint of " + std::to_string(m) + " records is not proved consistent");
  }
  const evidence::KeptCheckpoint last{*evidence::parse_checkpoint(cp.dump()).checkpoint, "kept.json"};
  std::size_t at = input.empty() ? 0 : static_cast<unsigned char>(input[0]) * 131 % ledger.size();
  ledger[at] = static_cast<char>(ledger[at] ^ 0x01);
  write_file(evidence::custody_path(store), ledger);
  require(verify(store).status == evidence::VerifyStatus::damaged,
          "verify does not notice a changed byte at offset " + std::to_string(at) + " of custody.jsonl");
  require(verify(store, &last).status == evidence::VerifyStatus::damaged,
          "verify --since does not notice a changed byte at offset " + std::to_string(at) + " of custody.jsonl");
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
    if ((data[0] & 1) == 0) hostile_store(rest);
    else valid_store(rest);
  } catch (const std::exception& e) {
    fail(std::string("the custody ledger readers threw: ") + e.what());
  }
  return 0;
}
