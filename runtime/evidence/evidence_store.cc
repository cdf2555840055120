#include "runtime/evidence/evidence_store.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <variant>
#include <vector>

#include "runtime/evidence/custody_ledger.h"
#include "runtime/evidence/posix_file.h"
#include "runtime/evidence/stream_copy.h"

namespace writ::evidence {

namespace {

PreserveResult fail(PreserveFailure kind, const std::string& where, const std::string& why) {
  return {std::nullopt, kind, where + ": " + why};
}

std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

constexpr std::string_view kSymlinkRefused =
    "is a symbolic link; refusing to follow it (preserve the file it points to)";

// Opens the artifact without following a symlink, refusing anything but a regular file. The
// lstat-then-open-then-fstat sequence also refuses a file swapped between the two looks.
std::variant<Fd, PreserveResult> open_artifact(const std::string& path, struct stat& st) {
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) != 0) return fail(PreserveFailure::refused, path, std::strerror(errno));
  if (S_ISLNK(lst.st_mode)) return fail(PreserveFailure::refused, path, std::string(kSymlinkRefused));
  if (!S_ISREG(lst.st_mode)) {
    return fail(PreserveFailure::refused, path, "is " + file_kind(lst.st_mode) + ", not a regular file; refusing it");
  }
  // O_NONBLOCK: a FIFO swapped in after lstat must not block the open.
  Fd fd = open_fd(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (!fd.valid()) {
    if (errno == ELOOP) return fail(PreserveFailure::refused, path, std::string(kSymlinkRefused));
    return fail(PreserveFailure::refused, path, std::string("cannot open: ") + std::strerror(errno));
  }
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != lst.st_dev || st.st_ino != lst.st_ino) {
    return fail(PreserveFailure::refused, path, "changed while being opened; refusing it");
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

// A uniquely named temporary file in ROOT/tmp, unlinked on destruction.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& dir) {
    std::string name = (dir / "preserve-XXXXXX").string();
    fd_ = Fd(::mkostemp(name.data(), O_CLOEXEC));
    if (fd_.valid()) path_ = name;
  }
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_.get(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  Fd fd_;
  std::filesystem::path path_;
};

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
  if (::link(tmp.path().c_str(), dest.c_str()) == 0) {
    if (auto ec = fsync_dir(dir))
      return {false, PreserveFailure::store, "cannot sync " + dir.string() + ": " + ec.message()};
    return {};
  }
  if (errno != EEXIST)
    return {false, PreserveFailure::store, "cannot store " + dest.string() + ": " + std::strerror(errno)};
  struct stat st {};
  if (::lstat(dest.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) != size) {
    return {false, PreserveFailure::damaged,
            dest.string() + " already exists with other content; run `writ evidence verify` on the store"};
  }
  return {true, PreserveFailure::none, {}};
}

// Re-reads the stored object from the disk (its cached pages are dropped first).
std::string verify_stored(const std::filesystem::path& object, const Digest& digest, std::uint64_t size,
                          const ProgressFn& progress) {
  Fd fd = open_fd(object, O_RDONLY | O_NOFOLLOW);
  if (!fd.valid()) return "cannot re-read " + object.string() + ": " + std::strerror(errno);
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
  StreamResult check = hash_stream(fd.get(), size, progress);
  if (check.read_error) return "cannot re-read " + object.string() + ": " + check.read_error.message();
  if (check.digest != digest || check.bytes != size)
    return object.string() + ": stored copy does not match the artifact";
  return {};
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

PreserveResult EvidenceStore::preserve(const std::filesystem::path& artifact, const CustodyContext& context,
                                       const PreserveOptions& options) {
  std::error_code path_ec;
  const std::string path = std::filesystem::absolute(artifact, path_ec).lexically_normal().string();
  if (path_ec) return fail(PreserveFailure::refused, artifact.string(), path_ec.message());
  struct stat st {};
  auto opened = open_artifact(path, st);
  if (auto* refused = std::get_if<PreserveResult>(&opened)) return std::move(*refused);
  const Fd& src = std::get<Fd>(opened);

  const auto tmp_dir = root_ / "tmp";
  if (auto ec = make_dirs(tmp_dir))
    return fail(PreserveFailure::store, tmp_dir.string(), "cannot create: " + ec.message());
  TempFile tmp(tmp_dir);
  if (tmp.fd() < 0)
    return fail(PreserveFailure::store, tmp_dir.string(), std::string("cannot create a file: ") + std::strerror(errno));

  StreamResult copy = copy_and_hash(src.get(), tmp.fd(), static_cast<std::uint64_t>(st.st_size), options.progress);
  if (copy.read_error) return fail(PreserveFailure::refused, path, "read failed: " + copy.read_error.message());
  std::error_code ec = copy.write_error;
  if (!ec) ec = fsync_fd(tmp.fd());
  if (!ec && ::fchmod(tmp.fd(), 0444) != 0) ec = last_error();
  if (ec) return fail(PreserveFailure::store, tmp.path().string(), "cannot write the copy: " + ec.message());

  const std::string hex = to_hex(copy.digest);
  const auto object = object_path(root_, hex);
  std::vector<RecordDraft> drafts{{CustodyEvent::collected, path, hex, copy.bytes}};
  if (options.verify_copy) {
    // Re-read the copy that will be kept — the object already stored, or our temporary inode,
    // which becomes the object — before taking the lock, so a long re-read blocks no writer.
    struct stat existing {};
    const bool stored = ::lstat(object.c_str(), &existing) == 0;
    if (auto err = verify_stored(stored ? object : tmp.path(), copy.digest, copy.bytes, options.progress);
        !err.empty()) {
      return fail(stored ? PreserveFailure::damaged : PreserveFailure::store, path, err);
    }
    drafts.push_back({CustodyEvent::verified, path, hex, copy.bytes});
  }
  // Objects appear only under the lock, together with their records, so a reader holding the
  // shared lock never sees an object without the record that names it.
  LedgerLock lock(root_);
  if (!lock.error().empty()) return fail(PreserveFailure::store, path, lock.error());
  Placed placed = place_object(tmp, object, copy.bytes);
  if (placed.failure != PreserveFailure::none) return fail(placed.failure, path, placed.error);
  CustodyLedger ledger(root_, clock_, identity_, options_.tool, options_.signer);
  AppendResult appended = ledger.append(drafts, context, lock);
  if (appended.records.empty() && !placed.already_stored) {
    ::unlink(object.c_str());  // no record names it: do not leave an unrecorded object behind
    fsync_dir(object.parent_path());
  }
  if (appended.records.empty()) {
    return {std::nullopt, appended.ledger_damaged ? PreserveFailure::damaged : PreserveFailure::store, appended.error};
  }
  Preserved done{path, hex, copy.bytes, object, placed.already_stored, appended.records.front().seq};
  PreserveResult result{std::move(done), PreserveFailure::none, {}};
  if (!appended.ok()) {  // records are durable, only the checkpoint failed: report, keep the result
    result.failure = PreserveFailure::store;
    result.error = appended.error;
  }
  return result;
}

}  // namespace writ::evidence
