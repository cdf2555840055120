// Opening the files writ reads, when another process may have put something else at the path.
// Every input — runbooks, events, connectors, approvals and policy files, baselines, journals,
// custody ledgers, checkpoints — is opened here: with O_NONBLOCK, so the open itself never waits
// (a FIFO without a writer, a terminal), then fstat on the opened descriptor, so anything but a
// regular file (FIFO, socket, device, directory) is refused before a byte is read. The check is
// on the descriptor, not the name, so a file swapped between a look and the open is caught too.
// Failures are returned as data whose message names the path; nothing here throws.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>

#include "common/unique_fd.h"

namespace writ {

enum class FileProblem {
  none,
  missing,      // no such file (or a path component is missing)
  not_regular,  // a FIFO, socket, device or directory
  unreadable,   // permission, I/O error, a symlink refused by O_NOFOLLOW, ...
  too_large,    // more bytes than the caller's limit
};

struct OpenedFile {
  UniqueFd fd;  // blocking again (O_NONBLOCK cleared) when opened
  struct stat st {};
  FileProblem problem = FileProblem::none;
  std::string error;  // "<path>: is a FIFO, not a regular file"

  explicit operator bool() const { return problem == FileProblem::none; }
};

// Opens `path` with `flags` (O_RDONLY by default; O_WRONLY|O_APPEND, O_NOFOLLOW, ... may be
// given) plus O_NONBLOCK|O_NOCTTY|O_CLOEXEC, and refuses anything but a regular file.
OpenedFile open_regular_file(const std::string& path, int flags = 0);

struct ReadFile {
  std::optional<std::string> text;  // set when the whole file was read
  FileProblem problem = FileProblem::none;
  std::string error;

  explicit operator bool() const { return text.has_value(); }
};

// Reads a whole regular file of at most `max_bytes`; a larger file is `too_large` and is not
// read past the limit.
ReadFile read_regular_file(const std::string& path, std::size_t max_bytes, int flags = 0);

// Appends all of an opened descriptor to `out`, at most `max_bytes`: `none`, or `too_large` /
// `unreadable` with `error` naming `path`.
FileProblem read_all(int fd, const std::string& path, std::size_t max_bytes, std::string& out, std::string& error);

// "a FIFO", "a socket", "a directory", "a character device", "a block device",
// "a symbolic link", "a regular file".
std::string file_type_name(mode_t mode);

}  // namespace writ
