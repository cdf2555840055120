#include "runtime/evidence/stream_copy.h"

#include <fcntl.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
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

// A ring of kBuffers buffers passed through three stages, each in order: a reader thread
// fills them, the calling thread hashes them, a writer thread writes them. Slot n is read
// again only once it was written, so the bytes written are exactly the bytes hashed; reading
// (a copy out of the page cache), hashing and writing overlap instead of adding up.
class Ring {
 public:
  Ring(int src, int dst, std::uint64_t limit)
      : storage_(static_cast<std::uint8_t*>(std::aligned_alloc(kAlignment, kBuffers * kStreamChunk))) {
    if (!storage_) throw std::bad_alloc();
    reader_ = std::thread([this, src, limit] { read_loop(src, limit); });
    writer_ = std::thread([this, dst] { write_loop(dst); });
  }
  ~Ring() { finish(); }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // The next buffer to hash, or nothing at the end of the input or after a failure.
  std::optional<std::span<const std::uint8_t>> next() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return hashed_ < read_ || read_done_ || write_error_; });
    if (write_error_ || hashed_ == read_) return std::nullopt;
    return buffer(hashed_).first(lengths_[hashed_ % kBuffers]);
  }

  // Hands the buffer next() returned on to the writer.
  void hashed() {
    {
      std::lock_guard lock(mutex_);
      ++hashed_;
    }
    cv_.notify_all();
  }

  // Stops the reader, lets the writer write every hashed buffer, and reports both threads' errors.
  void finish(StreamResult* result = nullptr) {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    cv_.notify_all();
    if (reader_.joinable()) reader_.join();
    if (writer_.joinable()) writer_.join();
    if (result) {
      result->read_error = read_error_;
      result->write_error = write_error_;
    }
  }

 private:
  std::span<std::uint8_t> buffer(std::uint64_t n) {
    return {storage_.get() + (n % kBuffers) * kStreamChunk, kStreamChunk};
  }

  void read_loop(int src, std::uint64_t limit) {
    for (std::uint64_t bytes = 0; bytes < limit;) {
      std::uint64_t n = 0;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return read_ < written_ + kBuffers || closed_ || write_error_; });
        if (closed_ || write_error_) break;
        n = read_;
      }
      auto buf = buffer(n).first(static_cast<std::size_t>(std::min<std::uint64_t>(kStreamChunk, limit - bytes)));
      const long got = read_full(src, buf);
      std::lock_guard lock(mutex_);
      if (got <= 0) {
        if (got < 0) read_error_ = last_error();
        break;
      }
      lengths_[n % kBuffers] = static_cast<std::size_t>(got);
      bytes += static_cast<std::uint64_t>(got);
      ++read_;
      cv_.notify_all();
    }
    std::lock_guard lock(mutex_);
    read_done_ = true;
    cv_.notify_all();
  }

  // Writes up to kMaxBatch hashed buffers at a time, in one pwritev.
  void write_loop(int dst) {
    Destination dest(dst);
    for (;;) {
      std::vector<iovec> parts;
      std::uint64_t length = 0;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return written_ < hashed_ || closed_; });
        if (written_ == hashed_) return;  // closed and drained
        for (std::uint64_t n = written_; n < hashed_ && parts.size() < kMaxBatch; ++n) {
          parts.push_back({buffer(n).data(), lengths_[n % kBuffers]});
          length += lengths_[n % kBuffers];
        }
      }
      const std::error_code ec = dest.write(parts, length);
      std::lock_guard lock(mutex_);
      written_ += parts.size();
      write_error_ = ec;
      cv_.notify_all();
      if (ec) return;
    }
  }

  std::unique_ptr<std::uint8_t, FreeDeleter> storage_;
  std::array<std::size_t, kBuffers> lengths_{};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t read_ = 0;     // buffers filled so far
  std::uint64_t hashed_ = 0;   // ... hashed
  std::uint64_t written_ = 0;  // ... written
  bool read_done_ = false;
  bool closed_ = false;
  std::error_code read_error_;
  std::error_code write_error_;
  std::thread reader_;
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
  Ring ring(src, dst, limit);
  while (auto bytes = ring.next()) {
    hasher.update(*bytes);
    result.bytes += bytes->size();
    ring.hashed();
    report(progress, result.bytes, limit);
  }
  ring.finish(&result);
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
