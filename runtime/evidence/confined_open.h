// Opening an artifact so that what is copied is what its path names, beneath an evidence root,
// even while another process rewrites the directories on the way (DESIGN §13).
//
// Roots come in sets — the active policy's, the connectors file's — and a path must lie beneath
// a root of every set that names any (so beneath the intersection); when no set names a root,
// the root is "/". The path is resolved from the shallowest root that contains it. That root's
// own path is configuration and is opened as it is; every component below it is resolved
// without following a symbolic link or a magic link: openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) where the kernel offers it, else (ENOSYS, or
// EPERM/EINVAL from a seccomp filter or an old kernel) a walk that opens one component at a time
// with O_NOFOLLOW. A directory swapped for a symlink at any moment is therefore refused, never
// followed. Only a regular file is returned, with the fstat of the opened descriptor; the open
// never blocks (O_NONBLOCK, cleared once the file is known to be regular).
//
// Paths are taken lexically: absolute, without `..`; "." and repeated slashes are ignored.
// Refusals are returned as messages that name the path; nothing here throws. Thread-safe.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "runtime/evidence/posix_file.h"

namespace writ::evidence {

// One source of evidence roots.
struct RootSet {
  std::string source;              // names it in messages: "policy `strict`", "the connectors file"
  std::vector<std::string> roots;  // absolute directories; an empty list confines nothing
};

// Where a path is resolved from.
struct Beneath {
  std::string base;      // the root the path is resolved from ("/" when no set names roots)
  std::string relative;  // the path below it, never empty, no leading '/'
  std::string error;     // set when the path may not be preserved at all: "lies outside the evidence roots (…) of …"
};

// The lexical half of confinement: absolute, no `..`, beneath a root of every set naming one.
Beneath locate_beneath(const std::string& path, const std::vector<RootSet>& sets);

enum class ResolveMethod {
  automatic,  // openat2, falling back to the walk where the kernel or a filter refuses it
  openat2,    // openat2 only (tests)
  walk,       // the component-wise O_NOFOLLOW walk only (tests, and the fallback)
};

struct ConfinedFile {
  Fd fd;
  struct stat st {};
  std::string error;  // "<path>: <why>" when the file was not opened

  explicit operator bool() const { return fd.valid(); }
};

// `host_root` (a tabletop's staged host image; empty for the real host) stands for "/": the
// path is located and confined exactly as without it, and then resolved beneath
// host_root + base instead of base. It is configuration, opened as it is.
ConfinedFile open_confined(const std::string& path, const std::vector<RootSet>& sets,
                           ResolveMethod method = ResolveMethod::automatic, const std::string& host_root = {});

// For a preflight, before the artifact may exist: the lexical check, then each component that
// already exists below the root must not be a symbolic link (a missing one is fine: the step may
// create it). Advisory only — open_confined() is what enforces the rule when the file is read.
std::optional<std::string> check_confined(const std::string& path, const std::vector<RootSet>& sets,
                                          const std::string& host_root = {});

}  // namespace writ::evidence
