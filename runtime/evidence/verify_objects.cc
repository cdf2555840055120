#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <string_view>

#include "runtime/evidence/posix_file.h"
#include "runtime/evidence/stream_copy.h"
#include "runtime/evidence/verify_internal.h"

namespace writ::evidence {

namespace {

struct Expected {
  std::uint64_t line;  // first record that names the object
  std::uint64_t size;
  std::uint64_t order;
};

// Makes one progress bar of all objects: `base` is what earlier objects contributed.
ProgressFn offset_progress(const ProgressFn& progress, std::uint64_t base, std::uint64_t total) {
  if (!progress) return {};
  return [&progress, base, total](std::uint64_t done, std::uint64_t) { progress(base + done, total); };
}

// The problem with one recorded object, or nothing when it hashes to its name.
std::optional<std::string> check_object(const std::filesystem::path& root, const std::string& hex, const Expected& want,
                                        const ProgressFn& progress) {
  const std::string at = " (recorded at custody.jsonl:" + std::to_string(want.line) + ")";
  const auto path = object_path(root, hex);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? "missing" + at : std::string("cannot be read: ") + std::strerror(errno) + at;
  }
  if (!S_ISREG(st.st_mode)) return "is not a regular file" + at;
  Fd fd = open_fd(path, O_RDONLY | O_NOFOLLOW);
  if (!fd.valid()) return std::string("cannot be read: ") + std::strerror(errno) + at;
  StreamResult hashed = hash_stream(fd.get(), want.size, progress);
  if (hashed.read_error) return "cannot be read: " + hashed.read_error.message() + at;
  const std::string got = to_hex(hashed.digest);
  if (got != hex) return "altered: its content hashes to " + got + at;
  if (hashed.bytes != want.size) {
    return "size " + std::to_string(hashed.bytes) + " differs from the recorded " + std::to_string(want.size) + at;
  }
  return std::nullopt;
}

bool is_hex_name(const std::string& name, std::size_t length) {
  return name.size() == length && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Everything under objects/sha256 that no record names, or that has no business being there.
// `named` holds every digest a parsed record mentions, altered ones included, so an altered
// record's object is not reported a second time as unrecorded.
void find_strays(const std::vector<std::string>& entries, const std::set<std::string>& named,
                 std::vector<RankedFinding>& out) {
  static constexpr std::string_view kPrefix = "objects/sha256/";
  std::uint64_t order = 0;
  for (const std::string& entry : entries) {
    const std::string rel = entry.substr(kPrefix.size());
    const auto slash = rel.find('/');
    const std::string name = slash == std::string::npos ? "" : rel.substr(slash + 1);
    const bool known =
        slash == 2 && is_hex_name(name, 64) && name.compare(0, 2, rel, 0, 2) == 0 && named.contains(name);
    if (!known)
      out.push_back({FindingRank::stray, order++, {entry, "is not recorded in custody.jsonl (unrecorded object)"}});
  }
}

}  // namespace

std::vector<std::string> list_object_entries(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::set<std::string> entries;  // sorted, so the report is deterministic
  std::error_code ec;
  for (fs::directory_iterator dir(objects_dir(root), ec), end; !ec && dir != end; dir.increment(ec)) {
    const std::string prefix = dir->path().filename().string();
    std::error_code kind_ec;
    if (!is_hex_name(prefix, 2) || dir->is_symlink(kind_ec) || !dir->is_directory(kind_ec)) {
      entries.insert("objects/sha256/" + prefix);
      continue;
    }
    std::error_code inner;
    for (fs::directory_iterator f(dir->path(), inner), fend; !inner && f != fend; f.increment(inner)) {
      entries.insert("objects/sha256/" + prefix + "/" + f->path().filename().string());
    }
  }
  return {entries.begin(), entries.end()};
}

void verify_objects(const std::filesystem::path& root, const std::vector<LedgerLine>& lines,
                    const std::vector<std::string>& entries, const ProgressFn& progress,
                    std::vector<RankedFinding>& out, std::uint64_t& object_count) {
  std::map<std::string, Expected> expected;
  std::set<std::string> named;
  std::vector<std::string> in_order;
  std::uint64_t total = 0;
  for (const LedgerLine& line : lines) {
    if (line.record) named.insert(line.record->sha256);
    if (!line.record || line.altered || expected.contains(line.record->sha256)) continue;
    expected.emplace(line.record->sha256, Expected{line.number, line.record->size, in_order.size()});
    in_order.push_back(line.record->sha256);
    total += line.record->size;
  }
  object_count = in_order.size();
  std::uint64_t base = 0;
  for (const std::string& hex : in_order) {
    const Expected& want = expected.at(hex);
    if (auto problem = check_object(root, hex, want, offset_progress(progress, base, total))) {
      out.push_back({FindingRank::object, want.order, {object_name(hex), *problem}});
    }
    base += want.size;
  }
  find_strays(entries, named, out);
}

}  // namespace writ::evidence
