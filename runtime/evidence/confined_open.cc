#include "runtime/evidence/confined_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>

#include "common/regular_file.h"
#include "common/text.h"

namespace writ::evidence {

namespace {

constexpr int kFileFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

// The components of a path, without empty and "." ones; `..` is kept so it can be refused.
std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") out.push_back(std::move(part));
    start = end + 1;
  }
  return out;
}

std::string joined(std::span<const std::string> parts) { return join(parts, "/"); }

bool has_prefix(const std::vector<std::string>& path, const std::vector<std::string>& root) {
  return path.size() >= root.size() && std::equal(root.begin(), root.end(), path.begin());
}

ConfinedFile refused(const std::string& path, const std::string& why) {
  ConfinedFile out;
  out.error = path + ": " + why;
  return out;
}

// The first component of `relative` (beneath `root_fd`) that is a symbolic link, as a path
// below the root; empty when none is (or it cannot be told). Used for messages only.
std::string first_symlink(int root_fd, const std::vector<std::string>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string prefix = joined(std::span(parts).first(i + 1));
    struct stat st {};
    if (::fstatat(root_fd, prefix.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
    if (S_ISLNK(st.st_mode)) return prefix;
  }
  return {};
}

// An evidence root as the host sees it: beneath the staged host image of a tabletop, if any.
std::string on_host(const std::string& host_root, const std::string& base) {
  if (host_root.empty()) return base;
  return base == "/" ? host_root : host_root + base;
}

std::string below(const std::string& base, const std::string& relative) {
  return base == "/" ? "/" + relative : base + "/" + relative;
}

std::string symlink_message(const std::string& base, const std::vector<std::string>& parts, const std::string& link) {
  if (link == joined(parts)) return "is a symbolic link; refusing to follow it (preserve the file it points to)";
  return below(base, link) + " is a symbolic link; refusing to follow it (evidence paths are resolved without "
                             "following symbolic links, beneath the evidence root " + base + ")";
}

ConfinedFile open_failure(const std::string& path, const Beneath& at, int root_fd, int error) {
  const auto parts = components(at.relative);
  if (error == ELOOP || error == ENOTDIR || error == EXDEV) {
    if (auto link = first_symlink(root_fd, parts); !link.empty()) {
      return refused(path, symlink_message(at.base, parts, link));
    }
    if (error == EXDEV) return refused(path, "leads out of the evidence root " + at.base + "; refusing it");
  }
  if (error == ENOENT) return refused(path, std::strerror(ENOENT));
  return refused(path, std::string("cannot open: ") + std::strerror(error));
}

// Checks the opened descriptor: a regular file, made blocking again.
ConfinedFile finish(const std::string& path, Fd fd) {
  ConfinedFile out;
  if (::fstat(fd.get(), &out.st) != 0) return refused(path, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(out.st.st_mode)) {
    return refused(path, "is " + file_type_name(out.st.st_mode) + ", not a regular file; refusing it");
  }
  const int status = ::fcntl(fd.get(), F_GETFL);
  if (status < 0 || ::fcntl(fd.get(), F_SETFL, status & ~O_NONBLOCK) != 0) {
    return refused(path, std::string("cannot open: ") + std::strerror(errno));
  }
  out.fd = std::move(fd);
  return out;
}

// openat2 beneath the root. Returns -1 with errno set; EAGAIN (a concurrent rename seen by
// the kernel's checks) is retried a few times.
int openat2_beneath(int root_fd, const std::string& relative) {
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(kFileFlags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = -1;
  for (int attempt = 0; attempt < 8; ++attempt) {
    fd = ::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how);
    if (fd >= 0 || (errno != EINTR && errno != EAGAIN)) break;
  }
  return static_cast<int>(fd);
}

// Errors by which openat2 says it is unavailable here rather than that the path is bad.
bool openat2_unavailable(int error) { return error == ENOSYS || error == EPERM || error == EINVAL || error == E2BIG; }

// One component at a time: each directory with O_PATH|O_DIRECTORY|O_NOFOLLOW (a symlink fails),
// the file itself with O_NOFOLLOW. Returns -1 with errno set.
int walk_beneath(int root_fd, const std::vector<std::string>& parts) {
  Fd held;
  int dir = root_fd;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = -1;
    do {
      next = ::openat(dir, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    } while (next < 0 && errno == EINTR);
    if (next < 0) return -1;
    held = Fd(next);
    dir = held.get();
  }
  int fd = -1;
  do {
    fd = ::openat(dir, parts.back().c_str(), kFileFlags);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

Beneath locate_beneath(const std::string& path, const std::vector<RootSet>& sets) {
  Beneath out;
  if (path.empty() || path.front() != '/') {
    out.error = "is not absolute";
    return out;
  }
  const auto parts = components(path);
  for (const auto& part : parts) {
    if (part == "..") {
      out.error = "contains `..`";
      return out;
    }
  }
  std::optional<std::vector<std::string>> base;
  for (const RootSet& set : sets) {
    if (set.roots.empty()) continue;
    bool inside = false;
    for (const auto& root : set.roots) {
      const auto root_parts = components(root);
      if (!has_prefix(parts, root_parts)) continue;
      inside = true;
      if (!base || root_parts.size() < base->size()) base = root_parts;
    }
    if (!inside) {
      out.error = "lies outside the evidence roots (" + join(set.roots, ", ") + ") of " + set.source;
      return out;
    }
  }
  const std::size_t depth = base ? base->size() : 0;
  if (parts.size() <= depth) {
    out.error = "names an evidence root, not a file";
    return out;
  }
  out.base = "/" + (base ? joined(*base) : std::string());
  out.relative = joined(std::span(parts).subspan(depth));
  return out;
}

ConfinedFile open_confined(const std::string& path, const std::vector<RootSet>& sets, ResolveMethod method,
                           const std::string& host_root) {
  const Beneath at = locate_beneath(path, sets);
  if (!at.error.empty()) return refused(path, at.error);
  Fd root = open_fd(on_host(host_root, at.base), O_PATH | O_DIRECTORY);
  if (!root.valid()) {
    return refused(path, "cannot open the evidence root " + on_host(host_root, at.base) + ": " + std::strerror(errno));
  }
  int fd = -1;
  int error = 0;
  if (method != ResolveMethod::walk) {
    fd = openat2_beneath(root.get(), at.relative);
    error = errno;
  }
  if (method == ResolveMethod::walk || (fd < 0 && method == ResolveMethod::automatic && openat2_unavailable(error))) {
    fd = walk_beneath(root.get(), components(at.relative));
    error = errno;
  }
  if (fd < 0) return open_failure(path, at, root.get(), error);
  return finish(path, Fd(fd));
}

std::optional<std::string> check_confined(const std::string& path, const std::vector<RootSet>& sets,
                                          const std::string& host_root) {
  const Beneath at = locate_beneath(path, sets);
  if (!at.error.empty()) return "artifact path \"" + path + "\" " + at.error;
  Fd root = open_fd(on_host(host_root, at.base), O_PATH | O_DIRECTORY);
  if (!root.valid()) return std::nullopt;  // nothing to preserve there yet: the step itself will say so
  const auto parts = components(at.relative);
  if (auto link = first_symlink(root.get(), parts); !link.empty()) {
    return "artifact path \"" + path + "\": " + symlink_message(at.base, parts, link);
  }
  return std::nullopt;
}

}  // namespace writ::evidence
