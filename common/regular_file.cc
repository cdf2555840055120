#include "common/regular_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace writ {

namespace {

OpenedFile failed(FileProblem problem, std::string error) {
  OpenedFile out;
  out.problem = problem;
  out.error = std::move(error);
  return out;
}

// Why open(2) failed, told the way a user can act on: a FIFO opened for writing without a
// reader fails with ENXIO, which says nothing about what the path is, so look at it.
OpenedFile open_failure(const std::string& path, int error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return failed(FileProblem::not_regular, path + ": is " + file_type_name(st.st_mode) + ", not a regular file");
  }
  if (error == ENOENT || error == ENOTDIR) return failed(FileProblem::missing, path + ": no such file or directory");
  if (error == ELOOP) return failed(FileProblem::unreadable, path + ": is a symbolic link; refusing to follow it");
  return failed(FileProblem::unreadable, path + ": cannot open: " + std::strerror(error));
}

}  // namespace

std::string file_type_name(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

OpenedFile open_regular_file(const std::string& path, int flags) {
  int fd = -1;
  do {
    fd = ::open(path.c_str(), flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return open_failure(path, errno);
  OpenedFile out;
  out.fd.reset(fd);
  if (::fstat(fd, &out.st) != 0) return failed(FileProblem::unreadable, path + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(out.st.st_mode)) {
    return failed(FileProblem::not_regular, path + ": is " + file_type_name(out.st.st_mode) + ", not a regular file");
  }
  const int status = ::fcntl(fd, F_GETFL);
  if (status < 0 || ::fcntl(fd, F_SETFL, status & ~O_NONBLOCK) != 0) {
    return failed(FileProblem::unreadable, path + ": cannot open: " + std::strerror(errno));
  }
  return out;
}

FileProblem read_all(int fd, const std::string& path, std::size_t max_bytes, std::string& out, std::string& error) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": cannot read: " + std::strerror(errno);
      return FileProblem::unreadable;
    }
    if (n == 0) return FileProblem::none;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      error = path + ": larger than the limit of " + std::to_string(max_bytes) + " bytes";
      return FileProblem::too_large;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

ReadFile read_regular_file(const std::string& path, std::size_t max_bytes, int flags) {
  ReadFile result;
  auto file = open_regular_file(path, flags);
  if (!file) {
    result.problem = file.problem;
    result.error = std::move(file.error);
    return result;
  }
  if (static_cast<std::uint64_t>(file.st.st_size) > max_bytes) {
    result.problem = FileProblem::too_large;
    result.error = path + ": larger than the limit of " + std::to_string(max_bytes) + " bytes";
    return result;
  }
  std::string text;
  result.problem = read_all(file.fd.get(), path, max_bytes, text, result.error);
  if (result.problem != FileProblem::none) return result;
  result.text = std::move(text);
  return result;
}

}  // namespace writ
