#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/regular_file.h"
#include "runtime/evidence/stream_copy.h"
#include "runtime/evidence/verify_internal.h"

namespace writ::evidence {

namespace {

// Makes one progress bar of all objects: `base` is what earlier objects contributed.
ProgressFn offset_progress(const ProgressFn& progress, std::uint64_t base, std::uint64_t total) {
  if (!progress) return {};
  return [&progress, base, total](std::uint64_t done, std::uint64_t) { progress(base + done, total); };
}

// The problem with one recorded object, or nothing when it hashes to its name.
std::optional<std::string> check_object(const std::filesystem::path& root, const std::string& hex,
                                        const ExpectedObject& want, const ProgressFn& progress) {
  const std::string at = " (recorded at custody.jsonl:" + std::to_string(want.line) + ")";
  const auto path = object_path(root, hex);
  OpenedFile file = open_regular_file(path.string(), O_NOFOLLOW);
  if (file.problem == FileProblem::missing) return "missing" + at;
  if (file.problem == FileProblem::not_regular) return "is not a regular file" + at;
  if (!file) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return "is not a regular file (a symbolic link)" + at;
    return file.error.substr(path.string().size() + 2) + at;  // the message without the path, which `item` names
  }
  StreamResult hashed = hash_stream(file.fd.get(), want.size, progress);
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

void add_stray(FindingCollector& out, std::string item) {
  out.add(FindingRank::stray, 0, std::move(item), "is not recorded in custody.jsonl (unrecorded object)");
}

}  // namespace

void ObjectIndex::add(const CustodyRecord& record, std::uint64_t line, bool altered) {
  if (altered) {
    if (!expected.contains(record.sha256)) named_by_altered.insert(record.sha256);
    return;
  }
  if (expected.contains(record.sha256)) return;
  named_by_altered.erase(record.sha256);
  expected.emplace(record.sha256, ExpectedObject{line, record.size, expected.size()});
  total_bytes += record.size;
}

// Streams the directory: only strays are kept (in the capped collector), so a store holding a
// million planted files costs no more memory than one holding a hundred.
void find_strays(const std::filesystem::path& root, const ObjectIndex& index, FindingCollector& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator dir(objects_dir(root), ec), end; !ec && dir != end; dir.increment(ec)) {
    const std::string prefix = dir->path().filename().string();
    std::error_code kind_ec;
    if (!is_hex_name(prefix, 2) || dir->is_symlink(kind_ec) || !dir->is_directory(kind_ec)) {
      add_stray(out, "objects/sha256/" + prefix);
      continue;
    }
    std::error_code inner;
    for (fs::directory_iterator f(dir->path(), inner), fend; !inner && f != fend; f.increment(inner)) {
      const std::string name = f->path().filename().string();
      const bool known = is_hex_name(name, 64) && name.compare(0, 2, prefix) == 0 &&
                         (index.expected.contains(name) || index.named_by_altered.contains(name));
      if (!known) add_stray(out, "objects/sha256/" + prefix + "/" + name);
    }
  }
}

void verify_objects(const std::filesystem::path& root, const ObjectIndex& index, const ProgressFn& progress,
                    FindingCollector& out) {
  std::vector<const std::pair<const std::string, ExpectedObject>*> in_order(index.expected.size());
  for (const auto& entry : index.expected) in_order[entry.second.order] = &entry;
  std::uint64_t base = 0;
  for (const auto* entry : in_order) {
    const auto& [hex, want] = *entry;
    if (auto problem = check_object(root, hex, want, offset_progress(progress, base, index.total_bytes))) {
      out.add(FindingRank::object, want.order, object_name(hex), *problem);
    }
    base += want.size;
  }
}

}  // namespace writ::evidence
