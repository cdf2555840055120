// Streaming copy-and-hash in constant memory (a fixed ring of 1 MiB buffers, whatever the
// artifact size). copy_and_hash() hashes each buffer on the calling thread while a reader
// thread fills the next ones and a writer thread writes the previous ones, so the bytes
// written are exactly the bytes hashed, and it starts writeback as it goes so the final fsync
// has little left to do.
// Internal to runtime/evidence; errors are returned, never thrown (OpenSSL failures aside).
#pragma once

#include <cstdint>
#include <system_error>

#include "common/sha256.h"
#include "runtime/evidence/evidence_store.h"

namespace writ::evidence {

inline constexpr std::size_t kStreamChunk = std::size_t{1} << 20;  // 1 MiB

struct StreamResult {
  Digest digest{};
  std::uint64_t bytes = 0;
  std::error_code read_error;   // reading the source failed
  std::error_code write_error;  // writing the destination failed

  bool ok() const { return !read_error && !write_error; }
};

// Copies at most `limit` bytes of `src` to `dst` (fewer at EOF), hashing them with SHA-256.
// Does not fsync `dst`. A file that grows while it is copied is not read past `limit`.
StreamResult copy_and_hash(int src, int dst, std::uint64_t limit, const ProgressFn& progress);

// Hashes `fd` until EOF.
StreamResult hash_stream(int fd, std::uint64_t expected_size, const ProgressFn& progress);

}  // namespace writ::evidence
