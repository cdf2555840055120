#include "runtime/evidence/stream_copy.h"

#include <fcntl.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "runtime/evidence/posix_file.h"

namespace writ::evidence {

namespace {

constexpr std::size_t kBuffers = 12;
constexpr std::size_t kMaxBatch = 6;      // buffers coalesced into one writev (6 MiB)
constexpr std::size_t kAlignment = 4096;  // O_DIRECT buffer, offset and length alignment
// Buffered writes start writeback every kWindow bytes and await it one window later, which
// bounds the dirty pages of a huge copy and leaves little for the final fsync.
constexpr std::uint64_t kWindow = 16 * kStreamChunk;

struct Chunk {
  std::size_t buffer;
  std::size_t length;
};

struct FreeDeleter {
  void operator()(std::uint8_t* p) const { std::free(p); }
};

// Starts and paces writeback of a buffered destination. sync_file_range is only a hint here:
// the caller's fsync is what makes the copy durable, so its errors are ignored.
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
      ::posix_fadvise(fd_, static_cast<off_t>(awaited_), static_cast<off_t>(started_ - awaited_), POSIX_FADV_DONTNEED);
      awaited_ = started_;
    }
    started_ = end;
  }

 private:
  int fd_;
  std::uint64_t started_ = 0;
  std::uint64_t awaited_ = 0;
};

// The destination is written with O_DIRECT while every write is block aligned: the copy goes
// from our buffer to the disk without a second memory copy into the page cache, which on
// virtualised disks costs several times the hashing. The last, partial chunk (or a
// filesystem without O_DIRECT) falls back to buffered writes paced by WritebackPacer.
class Destination {
 public:
  explicit Destination(int fd) : fd_(fd), pacer_(fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    direct_ = flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_DIRECT) == 0;
  }

  std::error_code write(std::span<const iovec> parts, std::uint64_t length) {
    if (direct_ && length % kAlignment != 0) go_buffered();
    std::error_code ec = writev_all(parts);
    if (ec == std::errc::invalid_argument && direct_) {  // the device wants other alignment
      go_buffered();
      ec = writev_all(parts);
    }
    written_ += length;
    if (!ec && !direct_) pacer_.wrote(written_);
    return ec;
  }

 private:
  void go_buffered() {
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_DIRECT);
    direct_ = false;
  }

  // pwritev at the expected offset, so a failed direct attempt can be retried in place.
  std::error_code writev_all(std::span<const iovec> parts) {
    std::vector<iovec> rest(parts.begin(), parts.end());
    std::size_t first = 0;
    std::uint64_t offset = written_;
    while (first < rest.size()) {
      ssize_t n =
          ::pwritev(fd_, rest.data() + first, static_cast<int>(rest.size() - first), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return last_error();
      }
      offset += static_cast<std::uint64_t>(n);
      for (auto done = static_cast<std::size_t>(n); done > 0 && first < rest.size();) {
        std::size_t step = std::min(done, rest[first].iov_len);
        rest[first].iov_base = static_cast<std::uint8_t*>(rest[first].iov_base) + step;
        rest[first].iov_len -= step;
        done -= step;
        if (rest[first].iov_len == 0) ++first;
      }
    }
    return {};
  }

  int fd_;
  bool direct_ = false;
  std::uint64_t written_ = 0;
  WritebackPacer pacer_;
};

// A bounded hand-off of filled buffers from the hashing thread to the writer thread.
class Pipeline {
 public:
  explicit Pipeline(int dst)
      : dst_(dst), storage_(static_cast<std::uint8_t*>(std::aligned_alloc(kAlignment, kBuffers * kStreamChunk))) {
    if (!storage_) throw std::bad_alloc();
    for (std::size_t i = 0; i < kBuffers; ++i) free_.push_back(i);
    writer_ = std::thread([this] { write_loop(); });
  }
  ~Pipeline() { finish(); }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  std::span<std::uint8_t> buffer(std::size_t index) { return {storage_.get() + index * kStreamChunk, kStreamChunk}; }

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
  // Takes up to kMaxBatch queued chunks, in order; empty once closed and drained.
  std::vector<Chunk> take_batch() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return !full_.empty() || closed_; });
    std::vector<Chunk> batch;
    while (!full_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(full_.front());
      full_.pop_front();
    }
    return batch;
  }

  void write_loop() {
    Destination dest(dst_);
    for (auto batch = take_batch(); !batch.empty(); batch = take_batch()) {
      std::vector<iovec> parts;
      std::uint64_t length = 0;
      for (const Chunk& c : batch) {
        parts.push_back({buffer(c.buffer).data(), c.length});
        length += c.length;
      }
      std::error_code ec = error_ ? error_ : dest.write(parts, length);  // after a failure, only drain
      {
        std::lock_guard lock(mutex_);
        error_ = ec;
        for (const Chunk& c : batch) free_.push_back(c.buffer);
      }
      cv_.notify_all();
    }
  }

  int dst_;
  std::unique_ptr<std::uint8_t, FreeDeleter> storage_;
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

StreamResult copy_and_hash(int src, int dst, std::uint64_t limit, const ProgressFn& progress) {
  ::posix_fadvise(src, 0, 0, POSIX_FADV_SEQUENTIAL);
  StreamResult result;
  Sha256 hasher;
  Pipeline pipeline(dst);
  while (result.bytes < limit) {
    auto index = pipeline.acquire();
    if (!index) break;  // the writer failed; finish() reports why
    auto buf = pipeline.buffer(*index);
    buf = buf.first(static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), limit - result.bytes)));
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
    report(progress, result.bytes, limit);
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
