#include "runtime/evidence/evidence_store.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/regular_file.h"
#include "runtime/evidence/confined_open.h"
#include "runtime/evidence/custody_ledger.h"
#include "runtime/evidence/posix_file.h"
#include "runtime/evidence/stream_copy.h"
#include "runtime/evidence/temp_file.h"

namespace writ::evidence {

namespace {

PreserveResult fail(PreserveFailure kind, const std::string& where, const std::string& why) {
  return {std::nullopt, kind, where + ": " + why};
}

// "10995116277760 bytes (10.0 TiB)": exact for the record, readable for the responder.
std::string describe_size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::string out = std::to_string(bytes) + " bytes";
  if (bytes < 1024) return out;
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, " (%.1f %s)", value, kUnits[unit]);
  return out + text;
}

// A copy larger than the free space would fill the disk the store shares with everything
// else before failing; refuse it before the first byte (a sparse file's size is what a copy
// writes). When the free space cannot be told, the write errors speak instead.
std::optional<std::string> check_space(int fd, std::uint64_t size, const std::filesystem::path& root) {
  struct statvfs vfs {};
  if (::fstatvfs(fd, &vfs) != 0) return std::nullopt;
  const std::uint64_t free = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (size <= free) return std::nullopt;
  return "is " + describe_size(size) + ", more than the " + describe_size(free) + " free in the evidence store " +
         root.string() + "; nothing was copied";
}

bool same_time(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

// A copy is kept only if the file looked the same before and after it: otherwise it may mix
// old and new bytes, and no hash of it describes what was on the host at any one moment.
std::optional<std::string> changed_while_copied(int fd, const struct stat& before, std::uint64_t copied) {
  struct stat after {};
  if (::fstat(fd, &after) != 0) return std::string("cannot stat after copying: ") + std::strerror(errno);
  std::string what;
  if (after.st_size != before.st_size || copied != static_cast<std::uint64_t>(before.st_size)) {
    what = "its size went from " + std::to_string(before.st_size) + " to " + std::to_string(after.st_size) + " bytes";
  } else if (!same_time(after.st_mtim, before.st_mtim)) {
    what = "it was modified";
  } else if (!same_time(after.st_ctim, before.st_ctim)) {
    what = "its inode changed (ctime)";
  } else {
    return std::nullopt;
  }
  return "changed while it was being copied (" + what +
         "); the copy is discarded and nothing was recorded — preserve it again once it is quiet";
}

struct Placed {
  bool already_stored = false;
  PreserveFailure failure = PreserveFailure::none;
  std::string error;
};

// Places the finished temporary copy at its content address. link(2) never replaces an
// existing object, so identical content already stored is simply kept.
Placed place_object(const TempFile& tmp, const std::filesystem::path& dest, std::uint64_t size) {
  const auto dir = dest.parent_path();
  if (auto ec = make_dirs(dir))
    return {false, PreserveFailure::store, "cannot create " + dir.string() + ": " + ec.message()};
  const std::error_code linked = tmp.link_to(dest);
  if (!linked) {
    if (auto ec = fsync_dir(dir))
      return {false, PreserveFailure::store, "cannot sync " + dir.string() + ": " + ec.message()};
    return {};
  }
  if (linked != std::errc::file_exists)
    return {false, PreserveFailure::store, "cannot store " + dest.string() + ": " + linked.message()};
  struct stat st {};
  if (::lstat(dest.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != size) {
    return {false, PreserveFailure::damaged,
            dest.string() + " already exists with other content; run `writ evidence verify` on the store"};
  }
  return {true, PreserveFailure::none, {}};
}

// Re-reads the copy that will be kept — the object already stored, or our temporary, which
// becomes the object — from the disk (its cached pages are dropped first).
std::string verify_stored(const std::filesystem::path& object, bool stored, const TempFile& tmp, const Digest& digest,
                          std::uint64_t size, const ProgressFn& progress) {
  OpenedFile file = stored ? open_regular_file(object.string(), O_NOFOLLOW) : open_regular_file(tmp.reopen_path());
  if (!file) return "cannot re-read " + object.string() + ": " + file.error;
  ::posix_fadvise(file.fd.get(), 0, 0, POSIX_FADV_DONTNEED);
  StreamResult check = hash_stream(file.fd.get(), size, progress);
  if (check.read_error) return "cannot re-read " + object.string() + ": " + check.read_error.message();
  if (check.digest != digest || check.bytes != size)
    return object.string() + ": stored copy does not match the artifact";
  return {};
}

struct Copied {
  StreamResult stream;
  PreserveResult failure;  // failure.failure != none: the copy is not kept
};

// Copies the opened artifact into `tmp` and makes the copy durable and read-only.
Copied copy_artifact(const std::string& path, const ConfinedFile& src, const TempFile& tmp,
                     const std::filesystem::path& root, const ProgressFn& progress) {
  Copied out;
  const auto size = static_cast<std::uint64_t>(src.st.st_size);
  if (auto full = check_space(tmp.fd(), size, root)) {
    out.failure = fail(PreserveFailure::store, path, *full);
    return out;
  }
  out.stream = copy_and_hash(src.fd.get(), tmp.fd(), size, progress);
  if (out.stream.read_error) {
    out.failure = fail(PreserveFailure::refused, path, "read failed: " + out.stream.read_error.message());
  } else if (auto changed = changed_while_copied(src.fd.get(), src.st, out.stream.bytes)) {
    out.failure = fail(PreserveFailure::unstable, path, *changed);
  } else {
    std::error_code ec = out.stream.write_error;
    if (!ec) ec = fsync_fd(tmp.fd());
    if (!ec && ::fchmod(tmp.fd(), 0444) != 0) ec = last_error();
    if (ec) out.failure = fail(PreserveFailure::store, path, "cannot write the copy in " + root.string() + "/tmp: " + ec.message());
  }
  return out;
}

// With root sets (a run), the path is taken as given: relative or `..` is refused when it is
// opened, not normalised away. Without (the CLI), it is made absolute the way a shell user
// means it.
std::string artifact_path(const std::filesystem::path& artifact, const PreserveOptions& options, std::error_code& ec) {
  if (!options.roots.empty()) return artifact.string();
  return std::filesystem::absolute(artifact, ec).lexically_normal().string();
}

}  // namespace

std::chrono::system_clock::time_point SystemClock::now() const { return std::chrono::system_clock::now(); }

std::string SystemIdentity::host() const {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

std::string SystemIdentity::user() const {
  const uid_t uid = ::geteuid();
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) return found->pw_name;
  return "uid:" + std::to_string(uid);
}

EvidenceStore::EvidenceStore(std::filesystem::path root, const Clock& clock, const Identity& identity,
                             StoreOptions options)
    : root_(std::move(root)), clock_(clock), identity_(identity), options_(std::move(options)) {}

EvidenceStore::~EvidenceStore() = default;

std::optional<std::string> EvidenceStore::refusal(const std::filesystem::path& artifact,
                                                  const PreserveOptions& options) const {
  std::error_code path_ec;
  const std::string path = artifact_path(artifact, options, path_ec);
  if (path_ec) return artifact.string() + ": " + path_ec.message();
  ConfinedFile src = open_confined(path, options.roots, options.resolve, options.host_root);
  if (!src) return src.error;
  return std::nullopt;
}

PreserveResult EvidenceStore::preserve(const std::filesystem::path& artifact, const CustodyContext& context,
                                       const PreserveOptions& options) {
  std::error_code path_ec;
  const std::string path = artifact_path(artifact, options, path_ec);
  if (path_ec) return fail(PreserveFailure::refused, artifact.string(), path_ec.message());
  // Refuse what the append would refuse before a long copy, not after it.
  if (StoreCheck early = check_store(root_, options_.signer); early.failure != PreserveFailure::none) {
    return {std::nullopt, early.failure, early.error};
  }
  ConfinedFile src = open_confined(path, options.roots, options.resolve, options.host_root);
  if (!src) return {std::nullopt, PreserveFailure::refused, src.error};

  const auto tmp_dir = root_ / "tmp";
  if (auto ec = make_dirs(tmp_dir))
    return fail(PreserveFailure::store, tmp_dir.string(), "cannot create: " + ec.message());
  TempFile tmp(tmp_dir);
  if (!tmp.valid())
    return fail(PreserveFailure::store, tmp_dir.string(), "cannot create a file: " + tmp.error().message());
  Copied copied = copy_artifact(path, src, tmp, root_, options.progress);
  if (copied.failure.failure != PreserveFailure::none) return std::move(copied.failure);
  const StreamResult& copy = copied.stream;

  const std::string hex = to_hex(copy.digest);
  const auto object = object_path(root_, hex);
  std::vector<RecordDraft> drafts{{CustodyEvent::collected, path, hex, copy.bytes}};
  if (options.verify_copy) {
    // Before taking the lock, so a long re-read blocks no writer.
    struct stat existing {};
    const bool stored = ::lstat(object.c_str(), &existing) == 0;
    if (auto err = verify_stored(object, stored, tmp, copy.digest, copy.bytes, options.progress); !err.empty()) {
      return fail(stored ? PreserveFailure::damaged : PreserveFailure::store, path, err);
    }
    drafts.push_back({CustodyEvent::verified, path, hex, copy.bytes});
  }
  // Objects appear only under the lock, together with their records, so a reader holding the
  // shared lock never sees an object without the record that names it.
  LedgerLock lock(root_);
  if (!lock.error().empty()) {
    return fail(lock.not_regular() ? PreserveFailure::not_regular : PreserveFailure::store, path, lock.error());
  }
  Placed placed = place_object(tmp, object, copy.bytes);
  if (placed.failure != PreserveFailure::none) return fail(placed.failure, path, placed.error);
  CustodyLedger ledger(root_, clock_, identity_, options_.tool, options_.signer);
  AppendResult appended = ledger.append(drafts, context, lock);
  if (appended.records.empty() && !placed.already_stored) {
    ::unlink(object.c_str());  // no record names it: do not leave an unrecorded object behind
    fsync_dir(object.parent_path());
  }
  if (appended.records.empty()) return {std::nullopt, appended.failure, appended.error};
  Preserved done{path, hex, copy.bytes, object, placed.already_stored, appended.records.front().seq};
  PreserveResult result{std::move(done), PreserveFailure::none, {}};
  if (!appended.ok()) {  // records are durable, only the checkpoint failed: report, keep the result
    result.failure = PreserveFailure::store;
    result.error = appended.error;
  }
  return result;
}

}  // namespace writ::evidence
