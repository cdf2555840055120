#include "runtime/evidence_sink.h"

#include <fmt/format.h>

#include "common/text.h"
#include "runtime/evidence/evidence_store.h"

namespace writ::runtime {

namespace {

class ClockAdapter final : public evidence::Clock {
 public:
  explicit ClockAdapter(const runtime::Clock& clock) : clock_(clock) {}
  std::chrono::system_clock::time_point now() const override { return clock_.now(); }

 private:
  const runtime::Clock& clock_;
};

bool has_dot_dot(const std::filesystem::path& path) {
  for (const auto& part : path) {
    if (part == "..") return true;
  }
  return false;
}

bool under(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r) {
    if (r->empty()) continue;  // a trailing "/" in the root
    if (p == path.end() || *p != *r) return false;
    ++p;
  }
  return true;
}

}  // namespace

struct StoreEvidenceSink::Impl {
  Impl(std::filesystem::path root, const Clock& clock, std::string tool)
      : clock_adapter(clock), store(std::move(root), clock_adapter, identity, evidence::StoreOptions{std::move(tool), nullptr}) {}
  ClockAdapter clock_adapter;
  evidence::SystemIdentity identity;
  evidence::EvidenceStore store;
};

StoreEvidenceSink::StoreEvidenceSink(std::filesystem::path root, const Clock& clock, std::string tool)
    : impl_(std::make_unique<Impl>(std::move(root), clock, std::move(tool))) {}

StoreEvidenceSink::~StoreEvidenceSink() = default;

EvidenceOutcome StoreEvidenceSink::preserve(const std::string& artifact, const std::string& run_id, const std::string& step,
                                            const std::string& incident) {
  evidence::CustodyContext context{run_id, step, incident.empty() ? std::nullopt : std::optional<std::string>(incident)};
  const auto result = impl_->store.preserve(artifact, context);
  EvidenceOutcome out;
  if (!result) {
    out.error = result.error.empty() ? fmt::format("{}: not preserved", artifact) : result.error;
    return out;
  }
  out.preserved = true;
  out.sha256 = result.preserved->sha256;
  out.size = result.preserved->size;
  out.object = result.preserved->object.string();
  out.custody_seq = result.preserved->seq;
  return out;
}

std::optional<std::string> check_artifact_path(const std::string& path, const std::vector<std::string>& roots) {
  const std::filesystem::path p(path);
  if (!p.is_absolute()) return fmt::format("artifact path \"{}\" is not absolute", path);
  if (has_dot_dot(p)) return fmt::format("artifact path \"{}\" contains `..`", path);
  if (roots.empty()) return std::nullopt;
  for (const auto& root : roots) {
    if (!under(p.lexically_normal(), std::filesystem::path(root).lexically_normal())) continue;
    // A symlinked directory on the way must not lead out of the root.
    std::error_code ec1, ec2;
    const auto real_parent = std::filesystem::canonical(p.parent_path(), ec1);
    const auto real_root = std::filesystem::canonical(root, ec2);
    if (ec1 || ec2 || under(real_parent, real_root)) return std::nullopt;
    return fmt::format("artifact path \"{}\" leads out of evidence root {} through a symbolic link", path, root);
  }
  return fmt::format("artifact path \"{}\" lies outside the evidence roots ({})", path, join(roots, ", "));
}

}  // namespace writ::runtime
