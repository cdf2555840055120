#include "runtime/evidence/verify.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "runtime/evidence/base64.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/merkle.h"
#include "runtime/evidence/signing.h"
#include "unit/runtime/evidence/evidence_test_support.h"

namespace {

using namespace writ::evidence;
using namespace writ::evidence::testing;
using nlohmann::json;

// A store of five records over four objects (record 5 collects record 1's content again),
// signed with a fresh key. Built once per process and copied for each test: every preserve
// fsyncs several times, which is slow on a busy disk.
struct Template {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  Ed25519PrivateKey key = Ed25519PrivateKey::generate();
  std::vector<std::string> digests;

  Template() {
    EvidenceStore store(dir / "ev", clock, identity, {"writ 0.1.0", &key});
    for (int i = 0; i < 5; ++i) {
      auto art = dir / ("artifact" + std::to_string(i));
      write_file(art, i == 4 ? "content 0" : "content " + std::to_string(i));
      auto r = store.preserve(art, {"run-1", "collect", "INC-1"});
      if (!r) throw std::runtime_error(r.error);
      digests.push_back(r.preserved->sha256);
    }
  }
};

const Template& store_template() {
  static const Template built;
  return built;
}

struct Store {
  ScratchDir dir;
  Ed25519PrivateKey key = store_template().key;
  Ed25519PublicKey pub = Ed25519PublicKey::from_private(key);
  std::filesystem::path root = dir / "ev";
  std::vector<std::string> digests = store_template().digests;

  Store() { std::filesystem::copy(store_template().dir.path(), dir.path(), std::filesystem::copy_options::recursive); }

  std::vector<std::string> lines() const { return read_lines(custody_path(root)); }
  void set_lines(const std::vector<std::string>& lines) const { write_lines(custody_path(root), lines); }

  VerifyReport verify(bool with_key = true) const {
    VerifyOptions opts;
    if (with_key) opts.key = &pub;
    return verify_store(root, opts);
  }
};

// The first finding names `item` and says `words`.
void expect_first(const VerifyReport& report, const std::string& item, const std::string& words) {
  REQUIRE(report.status == VerifyStatus::damaged);
  REQUIRE_FALSE(report.findings.empty());
  INFO("first finding: " << report.findings[0].item << ": " << report.findings[0].message);
  CHECK(report.findings[0].item == item);
  CHECK_THAT(report.findings[0].message, Catch::Contains(words));
}

void make_writable(const std::filesystem::path& p) { ::chmod(p.c_str(), 0644); }

}  // namespace

TEST_CASE("an untouched store verifies intact, signature included", "[evidence]") {
  Store s;
  VerifyReport report = s.verify();
  CHECK(report.status == VerifyStatus::intact);
  CHECK(report.findings.empty());
  CHECK(report.records == 5);
  CHECK(report.objects == 4);
  CHECK(report.signature_verified);
  VerifyReport no_key = s.verify(false);
  CHECK(no_key.status == VerifyStatus::intact);
  CHECK_FALSE(no_key.signature_verified);
  CHECK(no_key.notes ==
        std::vector<std::string>{"checkpoint signature present but not checked (pass --key PUBLIC.pem)"});
}

TEST_CASE("a flipped byte in an object is named", "[evidence]") {
  Store s;
  auto obj = object_path(s.root, s.digests[2]);
  make_writable(obj);
  std::string bytes = read_file(obj);
  bytes[3] ^= 0x01;
  write_file(obj, bytes);
  expect_first(s.verify(), object_name(s.digests[2]), "altered: its content hashes to");
  CHECK_THAT(s.verify().findings[0].message, Catch::Contains("(recorded at custody.jsonl:3)"));
}

TEST_CASE("a deleted object is named", "[evidence]") {
  Store s;
  std::filesystem::remove(object_path(s.root, s.digests[1]));
  expect_first(s.verify(), object_name(s.digests[1]), "missing (recorded at custody.jsonl:2)");
}

TEST_CASE("an object replaced by a symlink is named", "[evidence]") {
  Store s;
  auto obj = object_path(s.root, s.digests[1]);
  std::filesystem::remove(obj);
  std::filesystem::create_symlink(s.dir / "artifact1", obj);
  expect_first(s.verify(), object_name(s.digests[1]), "is not a regular file");
}

TEST_CASE("an object no record names is reported", "[evidence]") {
  Store s;
  const std::string planted = std::string(64, 'f');
  std::filesystem::create_directories(s.root / "objects/sha256/ff");
  write_file(s.root / "objects/sha256/ff" / planted, "planted");
  expect_first(s.verify(), object_name(planted), "not recorded in custody.jsonl");
}

TEST_CASE("a deleted record is named", "[evidence]") {
  Store s;
  auto lines = s.lines();
  lines.erase(lines.begin() + 2);  // seq 3
  s.set_lines(lines);
  expect_first(s.verify(), "custody.jsonl:3", "records missing before this one: seq 3 removed");
}

TEST_CASE("reordered records are named", "[evidence]") {
  Store s;
  auto lines = s.lines();
  std::swap(lines[1], lines[2]);
  s.set_lines(lines);
  VerifyReport report = s.verify();
  expect_first(report, "custody.jsonl:2", "out of order: seq 3 where seq 2 belongs (seq 2 is at line 3)");
  CHECK(report.findings[1].item == "custody.jsonl:3");
  CHECK(report.findings[1].message == "out of order: seq 2 comes after seq 3");
}

TEST_CASE("a duplicated record is named", "[evidence]") {
  Store s;
  auto lines = s.lines();
  lines.insert(lines.begin() + 2, lines[1]);
  s.set_lines(lines);
  expect_first(s.verify(), "custody.jsonl:3", "duplicate of line 2");
}

TEST_CASE("truncated ledgers are named", "[evidence]") {
  Store s;
  auto lines = s.lines();
  SECTION("last records dropped") {
    lines.resize(3);
    s.set_lines(lines);
    expect_first(s.verify(), "custody.jsonl",
                 "truncated: checkpoint.json covers 5 records, the ledger holds 3 (records 4..5 are missing)");
  }
  SECTION("the last line deleted") {
    lines.pop_back();
    s.set_lines(lines);
    expect_first(s.verify(), "custody.jsonl",
                 "truncated: checkpoint.json covers 5 records, the ledger holds 4 (record 5 is missing)");
  }
  SECTION("a line deleted further up") {
    lines.erase(lines.begin() + 1);
    s.set_lines(lines);
    auto report = s.verify();
    expect_first(report, "custody.jsonl:2", "seq 2 removed");
    CHECK(std::any_of(report.findings.begin(), report.findings.end(), [](const auto& f) {
      return f.message == "truncated: checkpoint.json covers 5 records, the ledger holds 4 (1 record is missing)";
    }));
  }
  SECTION("ledger emptied") {
    s.set_lines({});
    expect_first(s.verify(), "custody.jsonl", "truncated");
  }
  SECTION("last line cut mid-record") {
    write_file(custody_path(s.root),
               read_file(custody_path(s.root)).substr(0, read_file(custody_path(s.root)).size() - 30));
    expect_first(s.verify(), "custody.jsonl:5", "malformed record: incomplete, no newline at the end");
  }
}

TEST_CASE("editing any field of a record is named", "[evidence]") {
  const std::vector<std::pair<std::string, json>> edits = {
      {"seq", 9},
      {"event", "verified"},
      {"artifact", "/etc/shadow"},
      {"sha256", std::string(64, '0')},
      {"size", 1},
      {"collected_at", "2020-01-01T00:00:00Z"},
      {"collector", {{"tool", "writ 0.1.0"}, {"host", "elsewhere"}, {"user", "responder"}}},
      {"run_id", "run-2"},
      {"step", nullptr},
      {"incident", "INC-2"},
      {"prev", std::string(64, '1')},
      {"hash", std::string(64, '2')},
  };
  for (const auto& [field, value] : edits) {
    DYNAMIC_SECTION("field " << field) {
      Store s;
      auto lines = s.lines();
      json j = json::parse(lines[1]);
      j[field] = value;
      lines[1] = j.dump();
      s.set_lines(lines);
      expect_first(s.verify(), "custody.jsonl:2", "altered: the record's content does not match its hash");
    }
  }
}

TEST_CASE("a record altered and re-hashed is named through the chain and the checkpoint", "[evidence]") {
  Store s;
  auto lines = s.lines();
  SECTION("inside the ledger") {
    auto rec = *parse_record(lines[1]).record;
    rec.artifact = "/tmp/innocent";
    rec.hash = compute_record_hash(rec);
    lines[1] = record_line(rec);
    s.set_lines(lines);
    VerifyReport report = s.verify();
    expect_first(report, "custody.jsonl:2", "altered and re-hashed: line 3 chains to a different hash");
    CHECK(report.findings.back().item == "checkpoint.json");
  }
  SECTION("the head record") {
    auto rec = *parse_record(lines[4]).record;
    rec.size = 0;
    rec.hash = compute_record_hash(rec);
    lines[4] = record_line(rec);
    s.set_lines(lines);
    expect_first(s.verify(), "custody.jsonl:5", "does not match the head in checkpoint.json");
  }
}

TEST_CASE("malformed lines are named with a reason", "[evidence]") {
  Store s;
  auto lines = s.lines();
  SECTION("not JSON") { lines[2] = "garbage"; }
  SECTION("not canonical") { lines[2] = json::parse(lines[2]).dump(2); }
  SECTION("an empty line") { lines.insert(lines.begin() + 2, ""); }
  SECTION("a huge line") { lines[2] = std::string(200000, 'x'); }
  s.set_lines(lines);
  expect_first(s.verify(), "custody.jsonl:3", "malformed record");
}

TEST_CASE("a replaced, malformed or missing checkpoint is named", "[evidence]") {
  Store s;
  SECTION("replaced by another store's checkpoint") {
    FixedClock clock;
    FixedIdentity identity;
    write_file(s.dir / "other-artifact", "other");
    REQUIRE(EvidenceStore(s.dir / "other", clock, identity).preserve(s.dir / "other-artifact", {}));
    write_file(checkpoint_path(s.root), read_file(checkpoint_path(s.dir / "other")));
    VerifyReport report = s.verify(false);
    REQUIRE(report.status == VerifyStatus::damaged);
    bool named = false;
    for (const auto& f : report.findings)
      named = named || (f.item == "checkpoint.json" && f.message.find("root does not match") != std::string::npos);
    CHECK(named);
  }
  SECTION("root edited") {
    auto cp = *parse_checkpoint(read_file(checkpoint_path(s.root))).checkpoint;
    cp.root = std::string(64, 'a');
    write_file(checkpoint_path(s.root), checkpoint_json(cp));
    expect_first(s.verify(false), "checkpoint.json", "root does not match records 1..5");
  }
  SECTION("a record appended behind the checkpoint's back") {
    auto lines = s.lines();
    auto rec = *parse_record(lines.back()).record;
    rec.seq = 6;
    rec.prev = rec.hash;
    rec.hash = compute_record_hash(rec);
    lines.push_back(record_line(rec));
    s.set_lines(lines);
    expect_first(s.verify(false), "custody.jsonl:6", "not covered by checkpoint.json (it covers 5 records)");
  }
  SECTION("malformed") {
    write_file(checkpoint_path(s.root), "{\"size\":");
    expect_first(s.verify(false), "checkpoint.json", "malformed: not valid JSON");
  }
  SECTION("missing") {
    std::filesystem::remove(checkpoint_path(s.root));
    expect_first(s.verify(false), "checkpoint.json", "missing");
  }
}

TEST_CASE("a forged or absent signature is named when a key is given", "[evidence]") {
  Store s;
  auto cp = *parse_checkpoint(read_file(checkpoint_path(s.root))).checkpoint;
  SECTION("signature bytes changed") {
    auto sig = *base64_decode(*cp.signature);
    sig[10] ^= 0x40;
    cp.signature = base64_encode(sig);
    write_file(checkpoint_path(s.root), checkpoint_json(cp));
    expect_first(s.verify(), "checkpoint.json", "signature does not verify with key " + s.key.key_id());
  }
  SECTION("re-signed by an attacker's key under the victim's key id") {
    auto attacker = Ed25519PrivateKey::generate();
    cp.signature = base64_encode(attacker.sign(checkpoint_text(cp)));
    write_file(checkpoint_path(s.root), checkpoint_json(cp));
    expect_first(s.verify(), "checkpoint.json", "signature does not verify");
  }
  SECTION("re-signed by an attacker's key, honestly named") {
    auto attacker = Ed25519PrivateKey::generate();
    cp.signature = base64_encode(attacker.sign(checkpoint_text(cp)));
    cp.key_id = attacker.key_id();
    write_file(checkpoint_path(s.root), checkpoint_json(cp));
    expect_first(s.verify(), "checkpoint.json", "signed by key " + attacker.key_id() + ", not by the given key");
  }
  SECTION("signature removed") {
    cp.signature.reset();
    cp.key_id.reset();
    write_file(checkpoint_path(s.root), checkpoint_json(cp));
    expect_first(s.verify(), "checkpoint.json", "not signed, but a public key was given");
    CHECK(s.verify(false).status == VerifyStatus::intact);  // without a key an unsigned store is fine
  }
}

TEST_CASE("a directory that is not a store is a usage problem, not damage", "[evidence]") {
  ScratchDir dir;
  CHECK(verify_store(dir.path()).status == VerifyStatus::not_a_store);
  CHECK(verify_store(dir / "absent").status == VerifyStatus::not_a_store);
}

namespace {

// Rewrites the whole chain from line `from` on (re-hashing every later record) and writes a
// matching unsigned checkpoint: what an attacker with write access and no key can do.
void rewrite_and_rehash(const Store& s, std::size_t from, const std::string& artifact) {
  auto lines = s.lines();
  std::string prev = from == 0 ? std::string(kZeroHash) : parse_record(lines[from - 1]).record->hash;
  std::vector<writ::Digest> leaves;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i >= from) {
      auto rec = *parse_record(lines[i]).record;
      if (i == from) rec.artifact = artifact;
      rec.prev = prev;
      rec.hash = compute_record_hash(rec);
      lines[i] = record_line(rec);
    }
    prev = parse_record(lines[i]).record->hash;
    leaves.push_back(merkle_leaf_hash(lines[i]));
  }
  s.set_lines(lines);
  Checkpoint cp{lines.size(), prev, writ::to_hex(merkle_root(leaves)),
                origin_for(parse_record(lines[0]).record->hash), std::nullopt, std::nullopt};
  write_file(checkpoint_path(s.root), checkpoint_json(cp));
}

KeptCheckpoint kept(const Store& s, const std::string& name = "kept.json") {
  return {*parse_checkpoint(read_file(checkpoint_path(s.root))).checkpoint, name};
}

VerifyReport verify_since(const Store& s, const KeptCheckpoint& since, bool with_key = false) {
  VerifyOptions opts;
  if (with_key) opts.key = &s.pub;
  opts.since = &since;
  return verify_store(s.root, opts);
}

}  // namespace

TEST_CASE("verify --since proves a store extends the checkpoint an auditor kept", "[evidence][since]") {
  Store s;
  const KeptCheckpoint old = kept(s);
  FixedClock clock;
  FixedIdentity identity;
  EvidenceStore store(s.root, clock, identity, {"writ 0.1.0", &s.key});
  write_file(s.dir / "more", "more");
  REQUIRE(store.preserve(s.dir / "more", {}));
  VerifyReport report = verify_since(s, old, true);
  INFO((report.findings.empty() ? "" : report.findings[0].item + ": " + report.findings[0].message));
  REQUIRE(report.status == VerifyStatus::intact);
  REQUIRE(report.since);
  CHECK(report.since->consistent);
  CHECK(report.since->signature_verified);
  CHECK(report.since->old_size == 5);
  CHECK(report.since->new_size == 6);
  CHECK(report.since->proof.size() == 3);  // PROOF(5, D[6]) = [leaf 4, leaf 5, MTH(D[0:4])]
  CHECK(verify_since(s, kept(s), true).since->proof.empty());  // the current checkpoint itself
}

TEST_CASE("verify --since: a rollback to an older signed checkpoint is damage", "[evidence][since]") {
  Store s;
  auto lines = s.lines();
  const std::string newest = read_file(checkpoint_path(s.root));
  // The older signed checkpoint, from when the store held four records.
  Store four;
  four.set_lines({lines.begin(), lines.end() - 1});
  std::vector<writ::Digest> leaves;
  for (std::size_t i = 0; i < 4; ++i) leaves.push_back(merkle_leaf_hash(lines[i]));
  Checkpoint older{4, parse_record(lines[3]).record->hash, writ::to_hex(merkle_root(leaves)),
                   kept(s).checkpoint.origin, std::nullopt, std::nullopt};
  older.signature = base64_encode(s.key.sign(checkpoint_text(older)));
  older.key_id = s.key.key_id();
  write_file(checkpoint_path(four.root), checkpoint_json(older));
  // Plain verify cannot tell (the limit --since exists for) ...
  CHECK(four.verify().status == VerifyStatus::intact);
  // ... a checkpoint kept before the rollback can.
  write_file(s.dir / "newest.json", newest);
  const KeptCheckpoint kept_newest{*parse_checkpoint(newest).checkpoint, "newest.json"};
  VerifyReport report = verify_since(four, kept_newest, true);
  expect_first(report, "newest.json",
               "covers 5 records, the store's checkpoint only 4: records were removed, or an older state");
}

TEST_CASE("verify --since: a chain rewritten and re-hashed without the key is damage", "[evidence][since]") {
  Store s;
  const KeptCheckpoint old = kept(s);
  ::chmod(checkpoint_path(s.root).c_str(), 0644);
  rewrite_and_rehash(s, 1, "/tmp/innocent");
  CHECK(s.verify(false).status == VerifyStatus::intact);  // unsigned and consistent: plain verify passes
  VerifyReport report = verify_since(s, old);
  expect_first(report, "kept.json", "the store is not an append-only extension of it");
  REQUIRE(report.since);
  CHECK_FALSE(report.since->consistent);
}

TEST_CASE("verify --since: a kept checkpoint whose signature fails, or of another ledger, is damage", "[evidence][since]") {
  Store s;
  KeptCheckpoint old = kept(s);
  SECTION("forged signature") {
    old.checkpoint.signature = base64_encode(std::string(64, 'x'));
    expect_first(verify_since(s, old, true), "kept.json", "signature does not verify with key");
  }
  SECTION("another ledger") {
    old.checkpoint.origin = "writ.evidence/0000000000000000";
    old.checkpoint.signature.reset();
    expect_first(verify_since(s, old), "kept.json", "names another ledger");
  }
  SECTION("without a key the signature is only noted") {
    VerifyReport report = verify_since(s, old);
    CHECK(report.status == VerifyStatus::intact);
    CHECK_THAT(report.notes.back(), Catch::Contains("kept.json: signature present but not checked"));
  }
}

TEST_CASE("verify keeps the first findings and counts the rest", "[evidence][limits]") {
  Store s;
  auto lines = s.lines();
  lines.insert(lines.end(), 5000, "{}");
  s.set_lines(lines);
  VerifyOptions opts;
  opts.max_findings = 100;
  VerifyReport report = verify_store(s.root, opts);
  CHECK(report.status == VerifyStatus::damaged);
  CHECK(report.records == 5005);
  CHECK(report.findings.size() == 100);
  CHECK(report.findings_total == 5001);  // 5000 malformed lines + "record 6 not covered by the checkpoint"
  CHECK(report.findings[0].item == "custody.jsonl:6");
  CHECK(report.findings[99].item == "custody.jsonl:104");  // line 6 holds two of them
}

TEST_CASE("a FIFO planted as a store file makes verify refuse at once, never block", "[evidence][fifo]") {
  const std::string name = GENERATE(std::string("custody.jsonl"), std::string("checkpoint.json"), std::string(".lock"));
  Store s;
  ::chmod(s.root.c_str(), 0755);
  std::filesystem::remove(s.root / name);
  REQUIRE(::mkfifo((s.root / name).c_str(), 0600) == 0);
  VerifyReport report = s.verify();
  CHECK(report.status == VerifyStatus::not_regular);
  CHECK(report.error == (s.root / name).string() + ": is a FIFO, not a regular file");
}
