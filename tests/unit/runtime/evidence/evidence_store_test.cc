#include "runtime/evidence/evidence_store.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/sha256.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/merkle.h"
#include "runtime/evidence/signing.h"
#include "runtime/evidence/verify.h"
#include "unit/runtime/evidence/evidence_test_support.h"

namespace {

using namespace writ::evidence;
using namespace writ::evidence::testing;
using nlohmann::json;

struct Fixture {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  std::filesystem::path store_root = dir / "evidence";
  EvidenceStore store{store_root, clock, identity, {"writ 0.1.0", nullptr}};

  std::filesystem::path artifact(const std::string& name, const std::string& content) {
    auto p = dir / name;
    write_file(p, content);
    return p;
  }
  std::vector<json> records() {
    std::vector<json> out;
    for (const auto& line : read_lines(custody_path(store_root))) out.push_back(json::parse(line));
    return out;
  }
};

}  // namespace

TEST_CASE("preserve stores the bytes at their content address, read-only, and records custody", "[evidence]") {
  Fixture f;
  auto art = f.artifact("auth.log", "Failed password for root from 203.0.113.9\n");
  PreserveResult r = f.store.preserve(art, {"run-42", "collect_logs", std::nullopt});
  REQUIRE(r);
  const std::string hex = writ::sha256_hex("Failed password for root from 203.0.113.9\n");
  CHECK(r.preserved->sha256 == hex);
  CHECK(r.preserved->size == 42);
  CHECK(r.preserved->seq == 1);
  CHECK_FALSE(r.preserved->already_stored);
  CHECK(r.preserved->object == f.store_root / "objects" / "sha256" / hex.substr(0, 2) / hex);
  CHECK(read_file(r.preserved->object) == read_file(art));
  struct stat st {};
  REQUIRE(::stat(r.preserved->object.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0444);

  auto recs = f.records();
  REQUIRE(recs.size() == 1);
  CHECK(recs[0] ==
        json::parse(R"({"seq":1,"event":"collected","artifact":")" + art.string() + R"(","sha256":")" + hex +
                    R"(","size":42,"collected_at":"2026-11-27T21:04:03Z","collector":{"tool":"writ 0.1.0",
                               "host":"ir-host-1","user":"responder"},"run_id":"run-42","step":"collect_logs",
                               "incident":null,"prev":")" +
                    std::string(kZeroHash) + R"(","hash":")" + recs[0]["hash"].get<std::string>() + R"("})"));
  CHECK(f.store_root / "tmp" != r.preserved->object.parent_path());
  CHECK(std::filesystem::is_empty(f.store_root / "tmp"));  // no temporary copies left behind
}

TEST_CASE("the checkpoint is rewritten after every append", "[evidence]") {
  Fixture f;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.store.preserve(f.artifact("a" + std::to_string(i), std::string(i + 1, 'x')), {}));
    auto lines = read_lines(custody_path(f.store_root));
    ParsedCheckpoint cp = parse_checkpoint(read_file(checkpoint_path(f.store_root)));
    REQUIRE(cp.checkpoint);
    CHECK(cp.checkpoint->size == lines.size());
    CHECK(cp.checkpoint->head == json::parse(lines.back())["hash"]);
    std::vector<writ::Digest> leaves;
    for (const auto& l : lines) leaves.push_back(merkle_leaf_hash(l));
    CHECK(cp.checkpoint->root == writ::to_hex(merkle_root(leaves)));
    CHECK(cp.checkpoint->origin == "writ.evidence/" + json::parse(lines[0])["hash"].get<std::string>().substr(0, 16));
    CHECK_FALSE(cp.checkpoint->signature);
  }
  auto recs = f.records();
  CHECK(recs[1]["prev"] == recs[0]["hash"]);
  CHECK(recs[2]["prev"] == recs[1]["hash"]);
  CHECK(recs[2]["seq"] == 3);
}

TEST_CASE("identical content is stored once but every collection is recorded", "[evidence]") {
  Fixture f;
  auto a = f.artifact("a.bin", "same bytes");
  auto b = f.artifact("b.bin", "same bytes");
  auto first = f.store.preserve(a, {});
  auto second = f.store.preserve(b, {std::nullopt, std::nullopt, "INC-9"});
  REQUIRE(first);
  REQUIRE(second);
  CHECK(second.preserved->already_stored);
  CHECK(second.preserved->object == first.preserved->object);
  auto recs = f.records();
  REQUIRE(recs.size() == 2);
  CHECK(recs[1]["artifact"] == b.string());
  CHECK(recs[1]["incident"] == "INC-9");
  CHECK(recs[1]["event"] == "collected");
  std::size_t objects = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(objects_dir(f.store_root)))
    objects += e.is_regular_file();
  CHECK(objects == 1);
}

TEST_CASE("symlinks and non-regular files are refused with a clear error", "[evidence]") {
  Fixture f;
  auto target = f.artifact("real.log", "data");
  std::filesystem::create_symlink(target, f.dir / "link.log");
  auto r = f.store.preserve(f.dir / "link.log", {});
  CHECK_FALSE(r);
  CHECK(r.failure == PreserveFailure::refused);
  CHECK(r.error ==
        (f.dir / "link.log").string() + ": is a symbolic link; refusing to follow it (preserve the file it points to)");

  r = f.store.preserve(f.dir.path(), {});
  CHECK(r.failure == PreserveFailure::refused);
  CHECK_THAT(r.error, Catch::Contains("is a directory, not a regular file"));

  REQUIRE(::mkfifo((f.dir / "pipe").c_str(), 0600) == 0);
  r = f.store.preserve(f.dir / "pipe", {});  // must not block waiting for a writer
  CHECK_THAT(r.error, Catch::Contains("is a FIFO, not a regular file"));

  r = f.store.preserve("/dev/null", {});
  CHECK_THAT(r.error, Catch::Contains("is a character device"));

  r = f.store.preserve(f.dir / "absent", {});
  CHECK(r.failure == PreserveFailure::refused);
  CHECK_THAT(r.error, Catch::Contains("No such file or directory"));

  CHECK_FALSE(std::filesystem::exists(custody_path(f.store_root)));  // nothing recorded
}

TEST_CASE("refusal() names what preserve() would refuse, and touches nothing", "[evidence]") {
  Fixture f;
  auto good = f.artifact("real.log", "data");
  std::filesystem::create_symlink(good, f.dir / "link.log");
  REQUIRE(::mkfifo((f.dir / "pipe").c_str(), 0600) == 0);
  CHECK_FALSE(f.store.refusal(good).has_value());
  CHECK(f.store.refusal(f.dir / "link.log") == f.store.preserve(f.dir / "link.log", {}).error);
  for (const auto& [path, words] : {std::pair{f.dir.path(), "is a directory, not a regular file"},
                                    std::pair{f.dir / "pipe", "is a FIFO, not a regular file"},
                                    std::pair{f.dir / "absent", "No such file or directory"}}) {
    auto why = f.store.refusal(path);
    REQUIRE(why.has_value());
    CHECK_THAT(*why, Catch::StartsWith(path.string() + ": ") && Catch::Contains(words));
  }
  // Roots confine as preserve() does: a relative path is refused, not made absolute.
  PreserveOptions confined;
  confined.roots = {RootSet{"policy `strict`", {f.dir.path().string()}}};
  CHECK_FALSE(f.store.refusal(good, confined).has_value());
  CHECK(f.store.refusal("real.log", confined).has_value());
  CHECK_FALSE(std::filesystem::exists(f.store_root));  // the store is not even created
}

TEST_CASE("verify_copy re-reads the stored object and records a verified event", "[evidence]") {
  Fixture f;
  PreserveOptions opts;
  opts.verify_copy = true;
  auto r = f.store.preserve(f.artifact("x", "payload"), {"run-1", "s", std::nullopt}, opts);
  REQUIRE(r);
  auto recs = f.records();
  REQUIRE(recs.size() == 2);
  CHECK(recs[0]["event"] == "collected");
  CHECK(recs[1]["event"] == "verified");
  CHECK(recs[1]["sha256"] == recs[0]["sha256"]);
  CHECK(recs[1]["prev"] == recs[0]["hash"]);
}

TEST_CASE("multi-chunk artifacts stream with progress and hash like a whole-buffer hash", "[evidence]") {
  Fixture f;
  std::string big(5 * 1024 * 1024 + 12345, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  auto art = f.artifact("disk.img", big);
  std::uint64_t last = 0;
  std::uint64_t calls = 0;
  PreserveOptions opts;
  opts.progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(done >= last);
    CHECK(total == big.size());
    last = done;
    ++calls;
  };
  auto r = f.store.preserve(art, {}, opts);
  REQUIRE(r);
  CHECK(r.preserved->sha256 == writ::sha256_hex(big));
  CHECK(r.preserved->size == big.size());
  CHECK(last == big.size());
  CHECK(calls == 6);
  CHECK(read_file(r.preserved->object) == big);
}

TEST_CASE("an empty artifact is preserved", "[evidence]") {
  Fixture f;
  auto r = f.store.preserve(f.artifact("empty", ""), {});
  REQUIRE(r);
  CHECK(r.preserved->sha256 == writ::sha256_hex(""));
  CHECK(r.preserved->size == 0);
}

TEST_CASE("a signer signs every checkpoint", "[evidence]") {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  auto key = Ed25519PrivateKey::generate();
  EvidenceStore store(dir / "ev", clock, identity, {"writ 0.1.0", &key});
  write_file(dir / "a", "a");
  REQUIRE(store.preserve(dir / "a", {}));
  auto cp = parse_checkpoint(read_file(checkpoint_path(dir / "ev"))).checkpoint;
  REQUIRE(cp);
  REQUIRE(cp->signature);
  CHECK(cp->key_id == key.key_id());
  auto pub = Ed25519PublicKey::from_private(key);
  VerifyOptions opts;
  opts.key = &pub;
  auto report = verify_store(dir / "ev", opts);
  CHECK(report.status == VerifyStatus::intact);
  CHECK(report.signature_verified);
}

TEST_CASE("concurrent preservers are serialised: nothing interleaves or is lost", "[evidence]") {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i)
      write_file(dir / ("f" + std::to_string(t) + "_" + std::to_string(i)), std::to_string(t * 1000 + i));
  }
  std::vector<std::jthread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      EvidenceStore store(dir / "ev", clock, identity);  // one store per writer, like separate runs
      for (int i = 0; i < kEach; ++i) {
        if (!store.preserve(dir / ("f" + std::to_string(t) + "_" + std::to_string(i)),
                            {"run-" + std::to_string(t), std::nullopt, std::nullopt}))
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  auto report = verify_store(dir / "ev");
  CHECK(report.status == VerifyStatus::intact);
  CHECK(report.findings.empty());
  CHECK(report.records == kThreads * kEach);
  CHECK(report.objects == kThreads * kEach);
}

TEST_CASE("verify during concurrent preserves sees a consistent store every time", "[evidence]") {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  for (int i = 0; i < 60; ++i) write_file(dir / ("f" + std::to_string(i)), "artifact " + std::to_string(i));
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};  // Catch2 assertions are not thread-safe: count, check later
  std::jthread writer([&] {
    EvidenceStore store(dir / "ev", clock, identity);
    for (int i = 0; i < 60; ++i) failures += store.preserve(dir / ("f" + std::to_string(i)), {}) ? 0 : 1;
    done = true;
  });
  int checks = 0;
  while (!done || checks == 0) {
    if (!std::filesystem::exists(dir / "ev" / ".lock")) continue;
    VerifyReport report = verify_store(dir / "ev");
    if (report.status == VerifyStatus::not_a_store) continue;
    INFO((report.findings.empty() ? "" : report.findings[0].item + ": " + report.findings[0].message));
    REQUIRE(report.status == VerifyStatus::intact);
    ++checks;
  }
  writer.join();
  CHECK(failures == 0);
  CHECK(verify_store(dir / "ev").records == 60);
}

TEST_CASE("the store refuses to append to a ledger that no longer matches its checkpoint", "[evidence]") {
  Fixture f;
  REQUIRE(f.store.preserve(f.artifact("a", "1"), {}));
  REQUIRE(f.store.preserve(f.artifact("b", "2"), {}));
  auto lines = read_lines(custody_path(f.store_root));
  write_lines(custody_path(f.store_root), {lines[0]});  // drop the last record
  auto r = f.store.preserve(f.artifact("c", "3"), {});
  CHECK_FALSE(r);
  CHECK(r.failure == PreserveFailure::damaged);
  CHECK_THAT(r.error,
             Catch::Contains("refusing to append: custody.jsonl holds 1 records but checkpoint.json covers 2"));
  CHECK(read_lines(custody_path(f.store_root)).size() == 1);  // nothing written

  write_file(custody_path(f.store_root), lines[0] + "\n" + lines[1].substr(0, 20));  // torn last line
  r = f.store.preserve(f.artifact("c", "3"), {});
  CHECK_THAT(r.error, Catch::Contains("custody.jsonl:2 is an incomplete record (no newline)"));
}

TEST_CASE("records left uncovered by an interrupted append are covered by the next one", "[evidence]") {
  Fixture f;
  REQUIRE(f.store.preserve(f.artifact("a", "1"), {}));
  const std::string first_checkpoint = read_file(checkpoint_path(f.store_root));
  REQUIRE(f.store.preserve(f.artifact("b", "2"), {}));
  write_file(checkpoint_path(f.store_root), first_checkpoint);  // as if we crashed before the checkpoint
  REQUIRE(f.store.preserve(f.artifact("c", "3"), {}));
  CHECK(verify_store(f.store_root).status == VerifyStatus::intact);
}
