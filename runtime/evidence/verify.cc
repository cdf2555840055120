#include "runtime/evidence/verify.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "runtime/evidence/base64.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/custody_ledger.h"
#include "runtime/evidence/line_reader.h"
#include "runtime/evidence/merkle.h"
#include "runtime/evidence/posix_file.h"
#include "runtime/evidence/signing.h"
#include "runtime/evidence/verify_internal.h"

namespace writ::evidence {

namespace {

namespace fs = std::filesystem;

std::string line_item(std::uint64_t line) { return "custody.jsonl:" + std::to_string(line); }

struct Verifier {
  const fs::path& root;
  const VerifyOptions& options;
  VerifyReport& report;
  std::vector<LedgerLine> lines;
  std::vector<RankedFinding> findings;
  // The snapshot taken under the readers' lock, besides `lines`.
  std::optional<std::string> checkpoint;  // nothing when absent
  std::vector<std::string> object_entries;

  void snapshot();
  void read_checkpoint();

  void record_finding(std::uint64_t line, std::string message) {
    findings.push_back({FindingRank::record, line, {line_item(line), std::move(message)}});
  }
  void ledger_finding(std::string message) {
    findings.push_back({FindingRank::ledger, 0, {"custody.jsonl", std::move(message)}});
  }
  void checkpoint_finding(std::string message) {
    findings.push_back({FindingRank::checkpoint, 0, {"checkpoint.json", std::move(message)}});
  }

  void read_lines();
  void check_chain();
  void check_checkpoint();
  void check_signature(const Checkpoint& cp);
  bool has_checkpoint_finding() const {
    return std::any_of(findings.begin(), findings.end(),
                       [](const RankedFinding& f) { return f.rank == FindingRank::checkpoint; });
  }
};

void Verifier::read_lines() {
  Fd fd = open_fd(custody_path(root), O_RDONLY | O_NOFOLLOW);
  if (!fd.valid()) {
    if (errno != ENOENT) ledger_finding(std::string("cannot be read: ") + std::strerror(errno));
    return;
  }
  LineReader reader(fd.get());
  while (auto line = reader.next()) {
    LedgerLine entry{line->number, merkle_leaf_hash(line->text), std::nullopt, false};
    if (line->too_long) {
      record_finding(line->number, "malformed record: longer than " + std::to_string(kMaxRecordLine) + " bytes");
    } else if (!line->terminated) {
      record_finding(line->number, "malformed record: incomplete, no newline at the end (truncated write)");
    } else if (ParsedRecord parsed = parse_record(line->text); !parsed.record) {
      record_finding(line->number, "malformed record: " + parsed.error);
    } else {
      entry.record = std::move(parsed.record);
      entry.altered = compute_record_hash(*entry.record) != entry.record->hash;
      if (entry.altered) record_finding(line->number, "altered: the record's content does not match its hash");
    }
    lines.push_back(std::move(entry));
  }
  if (reader.error()) ledger_finding("cannot be read: " + reader.error().message());
}

// seq must run 1, 2, 3, … and each prev must be the hash of the record before it. One finding
// per line, and the expectation re-synchronises after it, so one removed record yields one
// finding rather than one per later line.
void Verifier::check_chain() {
  std::map<std::uint64_t, const LedgerLine*> by_seq;  // first line holding each seq
  for (const LedgerLine& l : lines) {
    if (l.record && !l.altered) by_seq.emplace(l.record->seq, &l);
  }
  std::uint64_t max_seq = 0;
  for (const LedgerLine& l : lines) {
    if (!l.record || l.altered) {
      ++max_seq;  // assume the damaged line held its expected place
      continue;
    }
    const CustodyRecord& r = *l.record;
    const LedgerLine* first = by_seq.at(r.seq);
    if (first != &l) {
      record_finding(l.number, (first->record->hash == r.hash ? "duplicate of line "
                                                              : "repeats seq " + std::to_string(r.seq) + " of line ") +
                                   std::to_string(first->number));
      continue;
    }
    if (r.seq <= max_seq) {
      record_finding(l.number,
                     "out of order: seq " + std::to_string(r.seq) + " comes after seq " + std::to_string(max_seq));
    } else if (r.seq > max_seq + 1) {
      const std::uint64_t want = max_seq + 1;
      auto later = by_seq.find(want);
      if (later != by_seq.end() && later->second->number > l.number) {
        record_finding(l.number, "out of order: seq " + std::to_string(r.seq) + " where seq " + std::to_string(want) +
                                     " belongs (seq " + std::to_string(want) + " is at line " +
                                     std::to_string(later->second->number) + ")");
      } else {
        std::string range = std::to_string(want) + (r.seq - 1 > want ? ".." + std::to_string(r.seq - 1) : "");
        record_finding(l.number, "records missing before this one: seq " + range + " removed");
      }
    } else if (r.seq == 1 && r.prev != kZeroHash) {
      record_finding(l.number, "chain broken: the first record's prev must be 64 zeros");
    } else if (auto before = by_seq.find(r.seq - 1);
               r.seq > 1 && before != by_seq.end() && before->second->record->hash != r.prev) {
      // This record's own hash holds, so the one before it was rewritten (and re-hashed).
      record_finding(before->second->number,
                     "altered and re-hashed: line " + std::to_string(l.number) + " chains to a different hash");
    }
    max_seq = std::max(max_seq, r.seq);
  }
}

void Verifier::check_signature(const Checkpoint& cp) {
  if (options.key == nullptr) {
    if (cp.signature) report.notes.push_back("checkpoint signature present but not checked (pass --key PUBLIC.pem)");
    return;
  }
  if (!cp.signature) return checkpoint_finding("not signed, but a public key was given");
  const std::string want = options.key->key_id();
  if (cp.key_id && *cp.key_id != want) {
    return checkpoint_finding("signed by key " + *cp.key_id + ", not by the given key " + want);
  }
  auto sig = base64_decode(*cp.signature);
  if (!sig || !options.key->verify(checkpoint_text(cp), *sig)) {
    return checkpoint_finding("signature does not verify with key " + want + " (forged or altered checkpoint)");
  }
  report.signature_verified = true;
}

void Verifier::read_checkpoint() {
  Fd fd = open_fd(checkpoint_path(root), O_RDONLY | O_NOFOLLOW);
  if (!fd.valid()) {
    if (errno != ENOENT) checkpoint_finding(std::string("cannot be read: ") + std::strerror(errno));
    return;
  }
  std::string text(64 * 1024 + 1, '\0');
  long n = read_full(fd.get(), std::span(reinterpret_cast<std::uint8_t*>(text.data()), text.size()));
  if (n < 0) return checkpoint_finding(std::string("cannot be read: ") + std::strerror(errno));
  text.resize(static_cast<std::size_t>(n));
  checkpoint = std::move(text);
}

// Writers place objects and append records under the lock, so what is read while holding the
// shared lock is consistent; the objects are hashed afterwards, without blocking writers.
void Verifier::snapshot() {
  LedgerReadLock lock(root);
  read_lines();
  read_checkpoint();
  object_entries = list_object_entries(root);
}

void Verifier::check_checkpoint() {
  if (!checkpoint) {
    if (!lines.empty() && !has_checkpoint_finding())
      checkpoint_finding("missing: the ledger's length and content cannot be checked");
    return;
  }
  const std::string& text = *checkpoint;
  ParsedCheckpoint parsed = parse_checkpoint(text);
  if (!parsed.checkpoint) return checkpoint_finding("malformed: " + parsed.error);
  const Checkpoint& cp = *parsed.checkpoint;
  const std::uint64_t count = lines.size();
  if (cp.size > count) {
    ledger_finding("truncated: checkpoint.json covers " + std::to_string(cp.size) + " records, the ledger holds " +
                   std::to_string(count) + " (records " + std::to_string(count + 1) + ".." + std::to_string(cp.size) +
                   " are missing)");
  } else {
    if (cp.size < count) {
      record_finding(cp.size + 1, "not covered by checkpoint.json (it covers " + std::to_string(cp.size) +
                                      " records): appended after the last checkpoint");
    }
    std::vector<Digest> leaves;
    for (std::uint64_t i = 0; i < cp.size; ++i) leaves.push_back(lines[i].leaf);
    if (to_hex(merkle_root(leaves)) != cp.root) {
      checkpoint_finding("root does not match records 1.." + std::to_string(cp.size) +
                         " (records altered, reordered or removed, or the checkpoint replaced)");
    }
    const LedgerLine* head = cp.size > 0 ? &lines[cp.size - 1] : nullptr;
    if (head && head->record && !head->altered && head->record->hash != cp.head) {
      record_finding(head->number, "does not match the head in checkpoint.json (altered, or the checkpoint replaced)");
    }
  }
  if (!lines.empty() && lines[0].record && !lines[0].altered && cp.origin != origin_for(lines[0].record->hash)) {
    checkpoint_finding("origin '" + cp.origin + "' names another ledger");
  }
  check_signature(cp);
}

bool looks_like_store(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return false;
  return fs::exists(custody_path(root), ec) || fs::exists(checkpoint_path(root), ec) ||
         fs::exists(root / "objects", ec);
}

}  // namespace

VerifyReport verify_store(const fs::path& root, const VerifyOptions& options) {
  VerifyReport report;
  if (!looks_like_store(root)) {
    report.status = VerifyStatus::not_a_store;
    return report;
  }
  Verifier v{root, options, report, {}, {}, {}, {}};
  v.snapshot();
  v.check_chain();
  v.check_checkpoint();
  verify_objects(root, v.lines, v.object_entries, options.progress, v.findings, report.objects);
  std::stable_sort(v.findings.begin(), v.findings.end(), [](const RankedFinding& a, const RankedFinding& b) {
    return std::pair(a.rank, a.order) < std::pair(b.rank, b.order);
  });
  for (auto& f : v.findings) report.findings.push_back(std::move(f.finding));
  report.records = v.lines.size();
  report.status = report.findings.empty() ? VerifyStatus::intact : VerifyStatus::damaged;
  return report;
}

}  // namespace writ::evidence
