#include "runtime/evidence/temp_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace writ::evidence {

namespace {

// Errors by which a filesystem (or an old kernel, which takes O_TMPFILE for O_DIRECTORY) says
// it has no unnamed temporary files, as opposed to a store that cannot be written at all.
bool tmpfile_unsupported(int error) { return error == EOPNOTSUPP || error == EISDIR || error == EINVAL; }

}  // namespace

TempFile::TempFile(const std::filesystem::path& dir, Kind kind) {
  if (kind == Kind::automatic) {
    fd_ = open_fd(dir, O_TMPFILE | O_RDWR, 0600);
    if (fd_.valid()) return;
    if (!tmpfile_unsupported(errno)) {
      error_ = last_error();
      return;
    }
  }
  std::string name = (dir / "preserve-XXXXXX").string();
  fd_ = Fd(::mkostemp(name.data(), O_CLOEXEC));
  if (fd_.valid()) {
    name_ = std::move(name);
  } else {
    error_ = last_error();
  }
}

TempFile::~TempFile() {
  if (!name_.empty()) ::unlink(name_.c_str());
}

std::string TempFile::reopen_path() const {
  return anonymous() ? "/proc/self/fd/" + std::to_string(fd_.get()) : name_;
}

std::error_code TempFile::link_to(const std::filesystem::path& dest) const {
  if (!anonymous()) return ::link(name_.c_str(), dest.c_str()) == 0 ? std::error_code{} : last_error();
  // linkat through /proc needs no privilege; AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH) covers
  // a system without /proc mounted.
  if (::linkat(AT_FDCWD, reopen_path().c_str(), AT_FDCWD, dest.c_str(), AT_SYMLINK_FOLLOW) == 0) return {};
  const std::error_code ec = last_error();
  if (ec != std::errc::no_such_file_or_directory || ::access("/proc/self/fd", F_OK) == 0) return ec;
  if (::linkat(fd_.get(), "", AT_FDCWD, dest.c_str(), AT_EMPTY_PATH) == 0) return {};
  return last_error();
}

}  // namespace writ::evidence
