// Small RAII helpers over POSIX file descriptors for the evidence store: an owning Fd, a
// lock file, write-all, fsync of a directory, and atomic replacement of a small file.
// Internal to runtime/evidence. Failures are returned as std::error_code (the caller turns
// them into messages naming the path), never thrown.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace writ::evidence {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

std::error_code last_error();

// open(2) with O_CLOEXEC added; EINTR retried.
Fd open_fd(const std::filesystem::path& path, int flags, int mode = 0);

std::error_code write_all(int fd, std::span<const std::uint8_t> bytes);
std::error_code write_all(int fd, std::string_view bytes);

// Reads up to buffer.size() bytes, retrying EINTR and short reads until full or EOF.
// Returns the count read, or -1 with errno set.
long read_full(int fd, std::span<std::uint8_t> buffer);

std::error_code fsync_fd(int fd);
std::error_code fsync_dir(const std::filesystem::path& dir);

// mkdir -p, fsyncing each parent whose entry list changed.
std::error_code make_dirs(const std::filesystem::path& dir);

// Writes `content` to a temporary sibling (created afresh with O_EXCL, so nothing planted at
// its name is opened), fsyncs it, renames it over `path` and fsyncs the directory: a reader
// sees the old or the new file, never a mix.
std::error_code replace_file_atomically(const std::filesystem::path& path, std::string_view content);

// A flock(2) on a lock file, held for the object's lifetime. flock locks belong to the open
// file description, so two locks in one process exclude each other too. An exclusive lock
// creates the file; a shared one only opens it read-only (a reader may lack write access).
// The lock file is opened without following a symlink and without blocking, and anything but
// a regular file (a FIFO put there to hang writ) is refused.
class FileLock {
 public:
  enum class Mode { exclusive, shared };
  enum class Failure { none, missing, not_regular, other };

  // Waits at most `timeout`; check failure() afterwards.
  FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout, Mode mode = Mode::exclusive);
  ~FileLock() = default;  // closing the descriptor releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  Failure failure() const { return failure_; }
  // Why the lock is not held, naming the path: "<path>: is a FIFO, not a regular file",
  // "<path>: cannot lock: Connection timed out". Empty when it is held.
  const std::string& error() const { return error_; }

 private:
  Fd fd_;
  Failure failure_ = Failure::none;
  std::string error_;
};

}  // namespace writ::evidence
