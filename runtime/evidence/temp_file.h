// The temporary file an object is copied into before it gets its content address. Preferably
// unnamed (O_TMPFILE in ROOT/tmp): until link_to() gives it a name it exists only as an open
// descriptor, so a copy killed at any point leaves nothing behind. Where the filesystem refuses
// O_TMPFILE, a named file from mkostemp is used instead and unlinked by the destructor (only a
// process killed mid-copy leaves that one behind, as ROOT/tmp/preserve-XXXXXX).
// Internal to runtime/evidence. Errors are returned as std::error_code, never thrown.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include "runtime/evidence/posix_file.h"

namespace writ::evidence {

class TempFile {
 public:
  enum class Kind {
    automatic,  // O_TMPFILE, else named
    named,      // the fallback, always (tests)
  };

  // A new, empty file opened read-write in `dir`; check error() / valid().
  TempFile(const std::filesystem::path& dir, Kind kind = Kind::automatic);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool valid() const { return fd_.valid(); }
  std::error_code error() const { return error_; }
  int fd() const { return fd_.get(); }
  bool anonymous() const { return name_.empty(); }

  // Gives the file the name `dest`, never replacing an existing file (EEXIST then).
  std::error_code link_to(const std::filesystem::path& dest) const;

  // A path that opens this file again with a fresh file description (no O_DIRECT inherited):
  // /proc/self/fd/N for an unnamed file (open it without O_NOFOLLOW), its name otherwise.
  std::string reopen_path() const;

 private:
  Fd fd_;
  std::string name_;  // empty for an O_TMPFILE
  std::error_code error_;
};

}  // namespace writ::evidence
