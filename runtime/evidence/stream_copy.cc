#include "runtime/evidence/stream_copy.h"

#include <fcntl.h>

#include <condition_variable>
#include <deque>
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "runtime/evidence/posix_file.h"

namespace writ::evidence {

namespace {

constexpr std::size_t kBuffers = 8;
// Writeback is started every kWindow bytes and awaited one window later, which bounds the
// dirty pages of a huge copy and leaves little for the final fsync.
constexpr std::uint64_t kWindow = 16 * kStreamChunk;

struct Chunk {
  std::size_t buffer;
  std::size_t length;
};

// Starts and paces writeback of the destination. sync_file_range is only a hint here: the
// caller's fsync is what makes the copy durable, so its errors are ignored.
class WritebackPacer {
 public:
  explicit WritebackPacer(int fd) : fd_(fd) {}

  void wrote(std::uint64_t end) {
    if (end - started_ < kWindow) return;
    ::sync_file_range(fd_, static_cast<off_t>(started_), static_cast<off_t>(end - started_), SYNC_FILE_RANGE_WRITE);
    if (started_ > awaited_) {
      ::sync_file_range(fd_, static_cast<off_t>(awaited_), static_cast<off_t>(started_ - awaited_),
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
      // The stored copy is not needed in memory; keep a disk image from flooding the cache.
      ::posix_fadvise(fd_, static_cast<off_t>(awaited_), static_cast<off_t>(started_ - awaited_),
                      POSIX_FADV_DONTNEED);
      awaited_ = started_;
    }
    started_ = end;
  }

 private:
  int fd_;
  std::uint64_t started_ = 0;
  std::uint64_t awaited_ = 0;
};

// A bounded hand-off of filled buffers from the hashing thread to the writer thread.
class Pipeline {
 public:
  explicit Pipeline(int dst) : dst_(dst), storage_(kBuffers * kStreamChunk) {
    for (std::size_t i = 0; i < kBuffers; ++i) free_.push_back(i);
    writer_ = std::thread([this] { write_loop(); });
  }
  ~Pipeline() { finish(); }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  std::span<std::uint8_t> buffer(std::size_t index) {
    return {storage_.data() + index * kStreamChunk, kStreamChunk};
  }

  // A free buffer, or nothing once the writer has failed.
  std::optional<std::size_t> acquire() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !free_.empty() || error_; });
    if (error_) return std::nullopt;
    std::size_t index = free_.back();
    free_.pop_back();
    return index;
  }

  void submit(Chunk chunk) {
    {
      std::lock_guard lock(mutex_);
      full_.push_back(chunk);
    }
    cv_.notify_all();
  }

  void release(std::size_t index) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(index);
    }
    cv_.notify_all();
  }

  // Waits for every submitted buffer to be written; returns the first write error.
  std::error_code finish() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
    return error_;
  }

 private:
  void write_loop() {
    WritebackPacer pacer(dst_);
    std::uint64_t written = 0;
    for (;;) {
      Chunk chunk{};
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return !full_.empty() || closed_; });
        if (full_.empty()) return;
        chunk = full_.front();
        full_.pop_front();
      }
      if (!error_) {
        auto ec = write_all(dst_, buffer(chunk.buffer).first(chunk.length));
        std::lock_guard lock(mutex_);
        error_ = ec;
      }
      written += chunk.length;
      if (!error_) pacer.wrote(written);
      release(chunk.buffer);
    }
  }

  int dst_;
  std::vector<std::uint8_t> storage_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::size_t> free_;
  std::deque<Chunk> full_;
  bool closed_ = false;
  std::error_code error_;
  std::thread writer_;
};

void report(const ProgressFn& progress, std::uint64_t done, std::uint64_t total) {
  if (progress) progress(done, std::max(done, total));
}

}  // namespace

StreamResult copy_and_hash(int src, int dst, std::uint64_t expected_size, const ProgressFn& progress) {
  ::posix_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
  StreamResult result;
  Sha256 hasher;
  Pipeline pipeline(dst);
  for (;;) {
    auto index = pipeline.acquire();
    if (!index) break;  // the writer failed; finish() reports why
    auto buf = pipeline.buffer(*index);
    long n = read_full(src, buf);
    if (n <= 0) {
      if (n < 0) result.read_error = last_error();
      pipeline.release(*index);
      break;
    }
    auto bytes = buf.first(static_cast<std::size_t>(n));
    hasher.update(bytes);
    pipeline.submit({*index, bytes.size()});
    result.bytes += bytes.size();
    report(progress, result.bytes, expected_size);
  }
  result.write_error = pipeline.finish();
  result.digest = hasher.finish();
  return result;
}

StreamResult hash_stream(int fd, std::uint64_t expected_size, const ProgressFn& progress) {
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  StreamResult result;
  Sha256 hasher;
  std::vector<std::uint8_t> buf(kStreamChunk);
  for (;;) {
    long n = read_full(fd, buf);
    if (n <= 0) {
      if (n < 0) result.read_error = last_error();
      break;
    }
    hasher.update(std::span(buf).first(static_cast<std::size_t>(n)));
    result.bytes += static_cast<std::uint64_t>(n);
    report(progress, result.bytes, expected_size);
  }
  result.digest = hasher.finish();
  return result;
}

}  // namespace writ::evidence
