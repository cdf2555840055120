// copy_and_hash: reader, hashing caller and writer around a ring of buffers. The bytes written
// are the bytes hashed, in order, however many times the ring wraps; the size bound holds; a
// failing side stops the copy with its error instead of hanging.
#include "runtime/evidence/stream_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "common/sha256.h"
#include "unit/runtime/evidence/evidence_test_support.h"
#include "common/unique_fd.h"

namespace writ::evidence {
namespace {

using testing::ScratchDir;

std::string random_bytes(std::size_t size) {
  std::mt19937_64 rng(size);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

StreamResult copy(const std::filesystem::path& from, const std::filesystem::path& to, std::uint64_t limit) {
  UniqueFd src(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd dst(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  REQUIRE(src.get() >= 0);
  REQUIRE(dst.get() >= 0);
  return copy_and_hash(src.get(), dst.get(), limit, nullptr);
}

TEST_CASE("copy_and_hash copies and hashes the same bytes across many turns of the ring", "[evidence]") {
  ScratchDir dir;
  // 40 buffers and a tail that is not block aligned: the writer leaves O_DIRECT for the end.
  const std::string content = random_bytes(40 * kStreamChunk + 12345);
  testing::write_file(dir / "in", content);
  const StreamResult result = copy(dir / "in", dir / "out", content.size());
  REQUIRE(result.ok());
  CHECK(result.bytes == content.size());
  CHECK(result.digest == sha256(content));
  CHECK(testing::read_file(dir / "out") == content);
}

TEST_CASE("copy_and_hash stops at its limit and at the end of the input", "[evidence]") {
  ScratchDir dir;
  const std::string content = random_bytes(3 * kStreamChunk + 7);
  testing::write_file(dir / "in", content);
  const std::uint64_t limit = kStreamChunk + 5;
  StreamResult bounded = copy(dir / "in", dir / "out", limit);
  REQUIRE(bounded.ok());
  CHECK(bounded.bytes == limit);
  CHECK(bounded.digest == sha256(std::string_view(content).substr(0, limit)));
  CHECK(testing::read_file(dir / "out") == content.substr(0, limit));

  testing::write_file(dir / "empty", "");
  StreamResult empty = copy(dir / "empty", dir / "out", 1 << 20);
  REQUIRE(empty.ok());
  CHECK(empty.bytes == 0);
  CHECK(empty.digest == sha256(""));
}

TEST_CASE("copy_and_hash reports a destination that cannot be written, and returns", "[evidence]") {
  ScratchDir dir;
  const std::string content = random_bytes(20 * kStreamChunk);
  testing::write_file(dir / "in", content);
  testing::write_file(dir / "out", "");
  UniqueFd src(::open((dir / "in").c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd read_only(::open((dir / "out").c_str(), O_RDONLY | O_CLOEXEC));
  const StreamResult result = copy_and_hash(src.get(), read_only.get(), content.size(), nullptr);
  CHECK(result.write_error);
  CHECK_FALSE(result.read_error);
  CHECK_FALSE(result.ok());
}

TEST_CASE("copy_and_hash reports a source that cannot be read", "[evidence]") {
  ScratchDir dir;
  UniqueFd directory(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd dst(::open((dir / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  const StreamResult result = copy_and_hash(directory.get(), dst.get(), 1 << 20, nullptr);
  CHECK(result.read_error);
  CHECK(result.bytes == 0);
}

}  // namespace
}  // namespace writ::evidence
