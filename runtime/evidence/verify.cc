#include "runtime/evidence/verify.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "runtime/evidence/base64.h"
#include "runtime/evidence/custody_ledger.h"
#include "runtime/evidence/line_reader.h"
#include "runtime/evidence/merkle.h"
#include "runtime/evidence/signing.h"
#include "runtime/evidence/verify_internal.h"

namespace writ::evidence {

namespace {

namespace fs = std::filesystem;

std::string line_item(std::uint64_t line) { return "custody.jsonl:" + std::to_string(line); }

std::string records(std::uint64_t n) { return std::to_string(n) + (n == 1 ? " record" : " records"); }

// A line of the chain as check_chain needs it: an intact record, or a run of damaged
// (malformed or altered) lines, which costs one entry however long it is.
struct ChainEntry {
  std::uint64_t line = 0;
  std::uint64_t damaged = 0;  // > 0: this many consecutive damaged lines from `line`
  std::uint64_t seq = 0;
  Digest hash{};
  Digest prev{};
};

// "record 3 is missing", "records 4..5 are missing" when the ledger's last line is intact and
// is record `lines` (its tail was cut); else only how many ("1 record is missing"): a line
// deleted further up is named by the chain check, and naming the last seq would be wrong.
std::string missing_records(std::uint64_t lines, std::uint64_t covered, const std::vector<ChainEntry>& chain) {
  const bool tail_cut = lines == 0 || (!chain.empty() && chain.back().damaged == 0 && chain.back().seq == lines);
  const std::uint64_t first = lines + 1;
  if (!tail_cut) return records(covered - lines) + (covered - lines == 1 ? " is missing" : " are missing");
  if (first == covered) return "record " + std::to_string(first) + " is missing";
  return "records " + std::to_string(first) + ".." + std::to_string(covered) + " are missing";
}

struct Verifier {
  Verifier(const fs::path& store, const VerifyOptions& opts, VerifyReport& out)
      : root(store), options(opts), report(out), findings(opts.max_findings) {}

  const fs::path& root;
  const VerifyOptions& options;
  VerifyReport& report;
  FindingCollector findings;
  std::string input_error;  // a store file is not a regular file: nothing is verified

  std::optional<Checkpoint> cp;  // when checkpoint.json parses
  std::vector<ChainEntry> chain;
  ObjectIndex objects;
  std::uint64_t lines = 0;
  MerkleAccumulator tree;
  std::optional<Digest> covered_root;  // root of the lines the checkpoint covers, once read
  std::optional<ConsistencyProofBuilder> since_proof;
  std::optional<std::string> first_hash;  // line 1's hash, when intact
  std::optional<std::string> head_hash;   // the hash of line cp->size, when intact

  void snapshot();
  void read_checkpoint();
  void read_lines();
  void take_line(const LineReader::Line& line);
  void mark_damaged(std::uint64_t line);
  void check_chain();
  void check_checkpoint();
  void check_signature(const Checkpoint& cp);
  void check_since();
  bool kept_signature_ok(const Checkpoint& kept, const std::string& name, SinceReport& since);

  void record_finding(std::uint64_t line, std::string message) {
    findings.add(FindingRank::record, line, line_item(line), std::move(message));
  }
  void ledger_finding(std::string message) { findings.add(FindingRank::ledger, 0, "custody.jsonl", std::move(message)); }
  void checkpoint_finding(std::string message) {
    findings.add(FindingRank::checkpoint, 0, "checkpoint.json", std::move(message));
  }
  void since_finding(std::string message) {
    findings.add(FindingRank::since, 0, options.since->name, std::move(message));
  }
};

void Verifier::read_checkpoint() {
  ReadFile file = read_checkpoint_file(root);
  if (file.problem == FileProblem::missing) return;
  if (file.problem == FileProblem::not_regular) {
    input_error = file.error;
    return;
  }
  if (file.problem == FileProblem::too_large) {
    return checkpoint_finding("malformed: larger than " + std::to_string(kMaxCheckpointBytes) + " bytes");
  }
  if (!file) return checkpoint_finding("cannot be read: " + file.error);
  ParsedCheckpoint parsed = parse_checkpoint(*file.text);
  if (!parsed.checkpoint) return checkpoint_finding("malformed: " + parsed.error);
  cp = std::move(parsed.checkpoint);
  if (cp->size == 0) covered_root = merkle_root({});
  if (options.since && options.since->checkpoint.size <= cp->size) {
    since_proof.emplace(options.since->checkpoint.size, cp->size);
  }
}

void Verifier::mark_damaged(std::uint64_t line) {
  if (!chain.empty() && chain.back().damaged > 0 && chain.back().line + chain.back().damaged == line) {
    ++chain.back().damaged;
  } else {
    chain.push_back({line, 1, 0, {}, {}});
  }
}

void Verifier::take_line(const LineReader::Line& line) {
  ++lines;
  const Digest leaf = merkle_leaf_hash(line.text);
  tree.add(leaf);
  if (cp && tree.size() == cp->size) covered_root = tree.root();
  if (since_proof) since_proof->add(leaf);
  std::optional<CustodyRecord> intact;
  if (line.too_long) {
    record_finding(line.number, "malformed record: longer than " + std::to_string(kMaxRecordLine) + " bytes");
  } else if (!line.terminated) {
    record_finding(line.number, "malformed record: incomplete, no newline at the end (truncated write)");
  } else if (ParsedRecord parsed = parse_record(line.text); !parsed.record) {
    record_finding(line.number, "malformed record: " + parsed.error);
  } else {
    const bool altered = compute_record_hash(*parsed.record) != parsed.record->hash;
    objects.add(*parsed.record, line.number, altered);
    if (altered) {
      record_finding(line.number, "altered: the record's content does not match its hash");
    } else {
      intact = std::move(parsed.record);
    }
  }
  if (!intact) return mark_damaged(line.number);
  chain.push_back({line.number, 0, intact->seq, *parse_sha256_hex(intact->hash), *parse_sha256_hex(intact->prev)});
  if (line.number == 1) first_hash = intact->hash;
  if (cp && line.number == cp->size) head_hash = intact->hash;
}

void Verifier::read_lines() {
  OpenedFile file = open_ledger_file(root);
  if (file.problem == FileProblem::missing) return;
  if (file.problem == FileProblem::not_regular) {
    input_error = file.error;
    return;
  }
  if (!file) return ledger_finding("cannot be read: " + file.error);
  LineReader reader(file.fd.get());
  while (auto line = reader.next()) take_line(*line);
  if (reader.error()) ledger_finding("cannot be read: " + reader.error().message());
}

// Writers place objects and append records under the lock, so what is read while holding the
// shared lock is consistent; the objects are hashed afterwards, without blocking writers.
void Verifier::snapshot() {
  LedgerReadLock lock(root);
  input_error = lock.error();
  if (input_error.empty()) read_checkpoint();
  if (input_error.empty()) read_lines();
  if (input_error.empty()) find_strays(root, objects, findings);
}

// seq must run 1, 2, 3, … and each prev must be the hash of the record before it. One finding
// per line, and the expectation re-synchronises after it, so one removed record yields one
// finding rather than one per later line.
void Verifier::check_chain() {
  std::map<std::uint64_t, std::size_t> by_seq;  // first intact entry holding each seq
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (chain[i].damaged == 0) by_seq.emplace(chain[i].seq, i);
  }
  const Digest zero = *parse_sha256_hex(kZeroHash);
  std::uint64_t max_seq = 0;
  for (const ChainEntry& e : chain) {
    if (e.damaged > 0) {
      max_seq += e.damaged;  // assume the damaged lines held their expected places
      continue;
    }
    const ChainEntry& first = chain[by_seq.at(e.seq)];
    if (&first != &e) {
      record_finding(e.line, (first.hash == e.hash ? "duplicate of line " : "repeats seq " + std::to_string(e.seq) +
                                                                                " of line ") +
                                 std::to_string(first.line));
      continue;
    }
    if (e.seq <= max_seq) {
      record_finding(e.line, "out of order: seq " + std::to_string(e.seq) + " comes after seq " + std::to_string(max_seq));
    } else if (e.seq > max_seq + 1) {
      const std::uint64_t want = max_seq + 1;
      auto later = by_seq.find(want);
      if (later != by_seq.end() && chain[later->second].line > e.line) {
        record_finding(e.line, "out of order: seq " + std::to_string(e.seq) + " where seq " + std::to_string(want) +
                                   " belongs (seq " + std::to_string(want) + " is at line " +
                                   std::to_string(chain[later->second].line) + ")");
      } else {
        std::string range = std::to_string(want) + (e.seq - 1 > want ? ".." + std::to_string(e.seq - 1) : "");
        record_finding(e.line, "records missing before this one: seq " + range + " removed");
      }
    } else if (e.seq == 1 && e.prev != zero) {
      record_finding(e.line, "chain broken: the first record's prev must be 64 zeros");
    } else if (auto before = by_seq.find(e.seq - 1);
               e.seq > 1 && before != by_seq.end() && chain[before->second].hash != e.prev) {
      // This record's own hash holds, so the one before it was rewritten (and re-hashed).
      record_finding(chain[before->second].line,
                     "altered and re-hashed: line " + std::to_string(e.line) + " chains to a different hash");
    }
    max_seq = std::max(max_seq, e.seq);
  }
}

void Verifier::check_signature(const Checkpoint& checkpoint) {
  if (options.key == nullptr) {
    if (checkpoint.signature) report.notes.push_back("checkpoint signature present but not checked (pass --key PUBLIC.pem)");
    return;
  }
  if (!checkpoint.signature) return checkpoint_finding("not signed, but a public key was given");
  const std::string want = options.key->key_id();
  if (checkpoint.key_id && *checkpoint.key_id != want) {
    return checkpoint_finding("signed by key " + *checkpoint.key_id + ", not by the given key " + want);
  }
  auto sig = base64_decode(*checkpoint.signature);
  if (!sig || !options.key->verify(checkpoint_text(checkpoint), *sig)) {
    return checkpoint_finding("signature does not verify with key " + want + " (forged or altered checkpoint)");
  }
  report.signature_verified = true;
}

void Verifier::check_checkpoint() {
  if (!cp) {
    if (lines > 0 && !findings.any(FindingRank::checkpoint))
      checkpoint_finding("missing: the ledger's length and content cannot be checked");
    return;
  }
  if (cp->size > lines) {
    ledger_finding("truncated: checkpoint.json covers " + records(cp->size) + ", the ledger holds " +
                   std::to_string(lines) + " (" + missing_records(lines, cp->size, chain) + ")");
  } else {
    if (cp->size < lines) {
      record_finding(cp->size + 1, "not covered by checkpoint.json (it covers " + std::to_string(cp->size) +
                                       " records): appended after the last checkpoint");
    }
    if (to_hex(*covered_root) != cp->root) {
      checkpoint_finding("root does not match records 1.." + std::to_string(cp->size) +
                         " (records altered, reordered or removed, or the checkpoint replaced)");
    }
    if (head_hash && *head_hash != cp->head) {
      record_finding(cp->size, "does not match the head in checkpoint.json (altered, or the checkpoint replaced)");
    }
  }
  if (first_hash && cp->origin != origin_for(*first_hash)) {
    checkpoint_finding("origin '" + cp->origin + "' names another ledger");
  }
  check_signature(*cp);
}

// The kept checkpoint is the auditor's own copy; with a key its signature must hold too.
bool Verifier::kept_signature_ok(const Checkpoint& kept, const std::string& name, SinceReport& since) {
  if (options.key == nullptr) {
    if (kept.signature) report.notes.push_back(name + ": signature present but not checked (pass --key PUBLIC.pem)");
    return true;
  }
  if (!kept.signature) {
    report.notes.push_back(name + ": not signed; it proves only as much as the place it was kept");
    return true;
  }
  const std::string want = options.key->key_id();
  if (kept.key_id && *kept.key_id != want) {
    since_finding("signed by key " + *kept.key_id + ", not by the given key " + want);
    return false;
  }
  auto sig = base64_decode(*kept.signature);
  if (!sig || !options.key->verify(checkpoint_text(kept), *sig)) {
    since_finding("signature does not verify with key " + want + " (forged or altered checkpoint)");
    return false;
  }
  since.signature_verified = true;
  return true;
}

void Verifier::check_since() {
  if (options.since == nullptr) return;
  const Checkpoint& kept = options.since->checkpoint;
  SinceReport since{kept.size, kept.root, cp ? cp->size : 0, {}, {}, false, false};
  if (!kept_signature_ok(kept, options.since->name, since)) return;
  if (first_hash && kept.size > 0 && kept.origin != origin_for(*first_hash)) {
    return since_finding("origin '" + kept.origin + "' names another ledger than this store's " +
                         origin_for(*first_hash));
  }
  if (!cp) return since_finding("cannot be compared: the store has no valid checkpoint.json");
  if (kept.size > cp->size) {
    report.since = since;
    return since_finding("covers " + std::to_string(kept.size) + " records, the store's checkpoint only " +
                         std::to_string(cp->size) + ": records were removed, or an older state of the store restored");
  }
  if (!since_proof || !since_proof->complete() || !covered_root) {
    return since_finding("cannot be proved: custody.jsonl holds fewer records than checkpoint.json covers");
  }
  since.new_root = to_hex(*covered_root);
  std::vector<Digest> proof = since_proof->proof();
  for (const Digest& d : proof) since.proof.push_back(to_hex(d));
  since.consistent = merkle_verify_consistency(kept.size, cp->size, *parse_sha256_hex(kept.root), *covered_root, proof);
  report.since = since;
  if (!since.consistent) {
    since_finding("the store is not an append-only extension of it: its first " + std::to_string(kept.size) +
                  " records are not the ones this checkpoint covers (the RFC 6962 consistency proof fails)");
  }
}

bool looks_like_store(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return false;
  return fs::exists(custody_path(root), ec) || fs::exists(checkpoint_path(root), ec) ||
         fs::exists(root / "objects", ec);
}

}  // namespace

void FindingCollector::add(FindingRank rank, std::uint64_t order, std::string item, std::string message) {
  ++total_;
  ranks_.insert(rank);
  kept_.push_back({rank, order, {std::move(item), std::move(message)}, total_});
  if (kept_.size() >= 2 * keep_ + 64) trim();  // amortised: sort only now and then
}

void FindingCollector::trim() {
  auto key = [](const RankedFinding& f) { return std::tie(f.rank, f.order, f.finding.item, f.added); };
  std::sort(kept_.begin(), kept_.end(), [&](const RankedFinding& a, const RankedFinding& b) { return key(a) < key(b); });
  if (kept_.size() > keep_) kept_.resize(keep_);
}

std::vector<Finding> FindingCollector::take() {
  trim();
  std::vector<Finding> out;
  for (auto& f : kept_) out.push_back(std::move(f.finding));
  kept_.clear();
  return out;
}

VerifyReport verify_store(const fs::path& root, const VerifyOptions& options) {
  VerifyReport report;
  if (!looks_like_store(root)) {
    report.status = VerifyStatus::not_a_store;
    return report;
  }
  Verifier v(root, options, report);
  v.snapshot();
  if (!v.input_error.empty()) {
    report.status = VerifyStatus::not_regular;
    report.error = v.input_error;
    return report;
  }
  v.check_chain();
  v.check_checkpoint();
  v.check_since();
  verify_objects(root, v.objects, options.progress, v.findings);
  report.findings_total = v.findings.total();
  report.findings = v.findings.take();
  report.records = v.lines;
  report.objects = v.objects.expected.size();
  report.status = report.findings_total == 0 ? VerifyStatus::intact : VerifyStatus::damaged;
  return report;
}

}  // namespace writ::evidence
