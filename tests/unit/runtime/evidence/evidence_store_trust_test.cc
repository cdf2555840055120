// The evidence store against hostile data (DESIGN §13, issue 11 findings 4, 5, 7, 9): files
// that change while they are copied, sparse giants, directories swapped for symlinks, FIFOs
// planted as store files, and signed stores appended to without their key.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <span>

#include "runtime/evidence/base64.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/custody_ledger.h"
#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/evidence_store.h"
#include "runtime/evidence/signing.h"
#include "unit/runtime/evidence/evidence_test_support.h"

namespace {

using namespace writ::evidence;
using namespace writ::evidence::testing;
namespace fs = std::filesystem;

struct Fixture {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  fs::path store_root = dir / "evidence";
  EvidenceStore store{store_root, clock, identity, {"writ 0.1.0", nullptr}};

  fs::path artifact(const std::string& name, const std::string& content) {
    auto p = dir / name;
    write_file(p, content);
    return p;
  }
  // Nothing of a refused preservation is left: no record, no object, no temporary.
  void expect_nothing_kept() const {
    CHECK_FALSE(fs::exists(custody_path(store_root)));
    CHECK((!fs::exists(objects_dir(store_root)) || fs::is_empty(objects_dir(store_root))));
    CHECK((!fs::exists(store_root / "tmp") || fs::is_empty(store_root / "tmp")));
  }
};

std::string pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 2654435761u) >> 13);
  return out;
}

void overwrite_at(const fs::path& path, off_t offset, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), offset) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

}  // namespace

TEST_CASE("a file modified while it is copied is refused as unstable, nothing kept", "[evidence][stable]") {
  Fixture f;
  auto art = f.artifact("disk.img", pattern(3 * 1024 * 1024 + 17));
  bool modified = false;
  PreserveOptions opts;
  opts.progress = [&](std::uint64_t done, std::uint64_t) {
    if (modified || done < 1024 * 1024) return;
    overwrite_at(art, 2 * 1024 * 1024, "tampered");  // same size: only the timestamps tell
    modified = true;
  };
  auto r = f.store.preserve(art, {"run-1", "collect", std::nullopt}, opts);
  REQUIRE(modified);
  CHECK_FALSE(r);
  CHECK(r.failure == PreserveFailure::unstable);
  CHECK_THAT(r.error, Catch::StartsWith(art.string() + ": changed while it was being copied (it was modified)"));
  f.expect_nothing_kept();
}

TEST_CASE("a growing file is not read past the size seen at open, and is refused", "[evidence][stable]") {
  Fixture f;
  const std::size_t size = 2 * 1024 * 1024 + 5;
  auto art = f.artifact("app.log", pattern(size));
  std::uint64_t most = 0;
  bool grown = false;
  PreserveOptions opts;
  opts.progress = [&](std::uint64_t done, std::uint64_t total) {
    most = std::max(most, done);
    CHECK(total == size);
    if (!grown) {
      std::ofstream(art, std::ios::app) << std::string(4 * 1024 * 1024, 'x');
      grown = true;
    }
  };
  auto r = f.store.preserve(art, {}, opts);
  CHECK(most == size);  // the 4 MiB appended were never read
  CHECK(r.failure == PreserveFailure::unstable);
  CHECK_THAT(r.error, Catch::Contains("its size went from " + std::to_string(size) + " to " +
                                      std::to_string(size + 4 * 1024 * 1024) + " bytes"));
  f.expect_nothing_kept();
}

TEST_CASE("a sparse file larger than the free space is refused before a byte is copied", "[evidence][stable]") {
  Fixture f;
  fs::create_directories(f.store_root);
  struct statvfs vfs {};
  REQUIRE(::statvfs(f.store_root.c_str(), &vfs) == 0);
  const std::uint64_t free = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const std::uint64_t size = std::max<std::uint64_t>(10ull << 40, free * 2);  // 10 TiB, or more than twice the free space
  const auto art = f.dir / "sparse.img";
  { std::ofstream(art) << ""; }
  REQUIRE(::truncate(art.c_str(), static_cast<off_t>(size)) == 0);
  std::uint64_t copied = 0;
  PreserveOptions opts;
  opts.progress = [&](std::uint64_t done, std::uint64_t) { copied = done; };
  auto r = f.store.preserve(art, {}, opts);
  CHECK(r.failure == PreserveFailure::store);
  CHECK(copied == 0);
  CHECK_THAT(r.error, Catch::StartsWith(art.string() + ": is " + std::to_string(size) + " bytes (") &&
                          Catch::Contains("free in the evidence store " + f.store_root.string()) &&
                          Catch::EndsWith("; nothing was copied"));
  f.expect_nothing_kept();
}

TEST_CASE("a parent directory swapped for a symlink is refused when the file is opened", "[evidence][confine]") {
  Fixture f;
  const auto root = f.dir / "host";
  fs::create_directories(root / "sub");
  fs::create_directories(f.dir / "elsewhere");
  write_file(root / "sub" / "auth.log", "inside");
  write_file(f.dir / "elsewhere" / "auth.log", "OUTSIDE");
  PreserveOptions opts;
  opts.roots = {{"the connectors file", {root.string()}}};
  opts.resolve = GENERATE(ResolveMethod::automatic, ResolveMethod::walk);
  // The swap a preflight cannot see: it happens after any check made before the open.
  fs::rename(root / "sub", f.dir / "moved");
  fs::create_directory_symlink(f.dir / "elsewhere", root / "sub");
  auto r = f.store.preserve(root / "sub" / "auth.log", {}, opts);
  CHECK(r.failure == PreserveFailure::refused);
  CHECK_THAT(r.error, Catch::Contains((root / "sub").string() + " is a symbolic link; refusing to follow it"));
  f.expect_nothing_kept();

  opts.roots = {{"the policy", {(f.dir / "other").string()}}};
  r = f.store.preserve(f.dir / "moved" / "auth.log", {}, opts);
  CHECK(r.failure == PreserveFailure::refused);
  CHECK_THAT(r.error, Catch::Contains("lies outside the evidence roots"));
}

TEST_CASE("a FIFO planted as a store file is refused at once, never waited on", "[evidence][fifo]") {
  const std::string name = GENERATE(std::string("custody.jsonl"), std::string("checkpoint.json"), std::string(".lock"));
  Fixture f;
  fs::create_directories(f.store_root);
  REQUIRE(::mkfifo((f.store_root / name).c_str(), 0600) == 0);
  auto r = f.store.preserve(f.artifact("a", "a"), {});
  CHECK(r.failure == PreserveFailure::not_regular);
  CHECK(r.error == (f.store_root / name).string() + ": is a FIFO, not a regular file");
  CHECK(check_store(f.store_root, nullptr).failure == PreserveFailure::not_regular);

  // The same under the lock, for a FIFO that appears after the early check.
  {
    CustodyLedger ledger(f.store_root, f.clock, f.identity, "writ", nullptr);
    const RecordDraft draft{CustodyEvent::collected, "/a", std::string(64, 'a'), 1};
    AppendResult appended = ledger.append(std::span(&draft, 1), {});
    CHECK(appended.failure == PreserveFailure::not_regular);
    CHECK_THAT(appended.error, Catch::Contains((f.store_root / name).string() + ": is a FIFO, not a regular file"));
  }
}

TEST_CASE("a signed store takes appends only with its own key", "[evidence][signing]") {
  Fixture f;
  auto key = Ed25519PrivateKey::generate();
  EvidenceStore signed_store(f.store_root, f.clock, f.identity, {"writ 0.1.0", &key});
  REQUIRE(signed_store.preserve(f.artifact("a", "a"), {}));
  const std::string before = read_file(custody_path(f.store_root));

  auto r = f.store.preserve(f.artifact("b", "b"), {});  // no key
  CHECK(r.failure == PreserveFailure::signing);
  CHECK_THAT(r.error, Catch::Contains("the store is signed (by key " + key.key_id() +
                                      "); refusing to append unsigned records, which would drop its signature"));
  CHECK(check_store(f.store_root, nullptr).failure == PreserveFailure::signing);

  auto other = Ed25519PrivateKey::generate();
  EvidenceStore other_store(f.store_root, f.clock, f.identity, {"writ 0.1.0", &other});
  r = other_store.preserve(f.artifact("b", "b"), {});
  CHECK(r.failure == PreserveFailure::signing);
  CHECK_THAT(r.error, Catch::Contains("signed by key " + key.key_id() + ", not by the given key " + other.key_id()));
  CHECK(read_file(custody_path(f.store_root)) == before);  // nothing appended either time

  REQUIRE(signed_store.preserve(f.artifact("b", "b"), {}));
  CHECK(check_store(f.store_root, &key).failure == PreserveFailure::none);
}

TEST_CASE("a forged signature is never signed over, even with the right key", "[evidence][signing]") {
  Fixture f;
  auto key = Ed25519PrivateKey::generate();
  EvidenceStore signed_store(f.store_root, f.clock, f.identity, {"writ 0.1.0", &key});
  REQUIRE(signed_store.preserve(f.artifact("a", "a"), {}));
  auto cp = *parse_checkpoint(read_file(checkpoint_path(f.store_root))).checkpoint;
  cp.signature = base64_encode(std::string(64, 'x'));  // keeps the key id, forges the signature
  write_file(checkpoint_path(f.store_root), checkpoint_json(cp));
  auto r = signed_store.preserve(f.artifact("b", "b"), {});
  CHECK(r.failure == PreserveFailure::damaged);
  CHECK_THAT(r.error, Catch::Contains("its signature does not verify with the given key " + key.key_id()));
}

TEST_CASE("with root sets the path is taken as given: `..` and relative paths are refused", "[evidence][confine]") {
  Fixture f;
  fs::create_directories(f.dir / "host");
  write_file(f.dir / "host" / "a.log", "a");
  PreserveOptions opts;
  opts.roots = {{"the policy", {}}, {"the connectors file", {}}};
  auto r = f.store.preserve((f.dir / "host" / ".." / "host" / "a.log").string(), {}, opts);
  CHECK(r.failure == PreserveFailure::refused);
  CHECK_THAT(r.error, Catch::EndsWith(": contains `..`"));
  r = f.store.preserve("host/a.log", {}, opts);
  CHECK_THAT(r.error, Catch::EndsWith(": is not absolute"));
  CHECK(f.store.preserve(f.dir / "host" / "a.log", {}, opts));
}
