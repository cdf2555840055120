#include "runtime/evidence/posix_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <thread>

#include "common/regular_file.h"

namespace writ::evidence {

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

std::error_code last_error() { return {errno, std::system_category()}; }

Fd open_fd(const std::filesystem::path& path, int flags, int mode) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return Fd(fd);
}

std::error_code write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

std::error_code write_all(int fd, std::string_view bytes) {
  return write_all(fd, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

long read_full(int fd, std::span<std::uint8_t> buffer) {
  std::size_t done = 0;
  while (done < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return static_cast<long>(done);
}

std::error_code fsync_fd(int fd) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return last_error();
  }
  return {};
}

std::error_code fsync_dir(const std::filesystem::path& dir) {
  Fd fd = open_fd(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.valid()) return last_error();
  return fsync_fd(fd.get());
}

std::error_code make_dirs(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? std::error_code{} : std::make_error_code(std::errc::not_a_directory);
  }
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    if (auto ec = make_dirs(dir.parent_path())) return ec;
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return last_error();
  return dir.has_parent_path() ? fsync_dir(dir.parent_path()) : std::error_code{};
}

std::error_code replace_file_atomically(const std::filesystem::path& path, std::string_view content) {
  auto tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // a leftover of a crashed writer, or anything planted there
  {
    // Whoever can write the directory may have left a symlink or FIFO at the temporary name.
    ::unlink(tmp.c_str());
    Fd fd = open_fd(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    if (!fd.valid()) return last_error();
    if (auto ec = write_all(fd.get(), content)) return ec;
    if (auto ec = fsync_fd(fd.get())) return ec;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto ec = last_error();
    ::unlink(tmp.c_str());
    return ec;
  }
  return fsync_dir(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));
}

namespace {

// Opens the lock file as a regular file only; an exclusive lock creates it when it is absent.
OpenedFile open_lock_file(const std::filesystem::path& path, bool shared) {
  const int flags = (shared ? O_RDONLY : O_RDWR) | O_NOFOLLOW;
  OpenedFile file = open_regular_file(path, flags);
  if (file.problem != FileProblem::missing || shared) return file;
  Fd created = open_fd(path, flags | O_CREAT | O_EXCL | O_NONBLOCK, 0644);
  if (!created.valid() && errno == EEXIST) return open_regular_file(path, flags);  // another process was first
  if (!created.valid()) {
    file.error = path.string() + ": cannot create: " + last_error().message();
    file.problem = FileProblem::unreadable;
    return file;
  }
  file.fd.reset(created.release());
  file.problem = FileProblem::none;
  file.error.clear();
  return file;
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout, Mode mode) {
  const bool shared = mode == Mode::shared;
  OpenedFile file = open_lock_file(path, shared);
  if (file.problem != FileProblem::none) {
    failure_ = file.problem == FileProblem::missing       ? Failure::missing
               : file.problem == FileProblem::not_regular ? Failure::not_regular
                                                          : Failure::other;
    error_ = file.error;
    return;
  }
  fd_ = Fd(file.fd.release());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (::flock(fd_.get(), (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    std::error_code ec = last_error();
    if (errno == EWOULDBLOCK || errno == EINTR) {
      if (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
        continue;
      }
      ec = std::make_error_code(std::errc::timed_out);
    }
    failure_ = Failure::other;
    error_ = path.string() + ": cannot lock: " + ec.message();
    fd_ = Fd();
    return;
  }
}

}  // namespace writ::evidence
