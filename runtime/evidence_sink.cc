#include "runtime/evidence_sink.h"

#include <fmt/format.h>

#include "runtime/evidence/confined_open.h"
#include "runtime/evidence/custody_ledger.h"
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

std::optional<std::vector<std::string>> strings_of(const nlohmann::json& j) {
  if (!j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& item : j) {
    if (!item.is_string()) return std::nullopt;
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

nlohmann::json EvidenceRoots::to_json() const {
  nlohmann::json j{{"policy", policy}, {"connectors", connectors}};
  if (!host_root.empty()) j["host_root"] = host_root;
  return j;
}

std::optional<EvidenceRoots> EvidenceRoots::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("policy") || !j.contains("connectors")) return std::nullopt;
  auto policy = strings_of(j["policy"]);
  auto connectors = strings_of(j["connectors"]);
  if (!policy || !connectors) return std::nullopt;
  EvidenceRoots roots{std::move(*policy), std::move(*connectors), {}};
  if (j.contains("host_root")) {
    const auto& host = j["host_root"];
    if (!host.is_string() || host.get<std::string>().empty() || host.get<std::string>().front() != '/') return std::nullopt;
    roots.host_root = host.get<std::string>();
  }
  return roots;
}

std::vector<evidence::RootSet> EvidenceRoots::sets() const {
  return {{"the policy", policy}, {"the connectors file", connectors}};
}

struct StoreEvidenceSink::Impl {
  Impl(std::filesystem::path root, const Clock& clock, std::string tool, EvidenceRoots confined_to,
       const evidence::CheckpointSigner* key)
      : clock_adapter(clock),
        roots(std::move(confined_to)),
        signer(key),
        store(std::move(root), clock_adapter, identity, evidence::StoreOptions{std::move(tool), key}) {}
  ClockAdapter clock_adapter;
  evidence::SystemIdentity identity;
  EvidenceRoots roots;
  const evidence::CheckpointSigner* signer;
  evidence::EvidenceStore store;
  ArtifactProgress progress;
};

StoreEvidenceSink::StoreEvidenceSink(std::filesystem::path root, const Clock& clock, std::string tool,
                                     EvidenceRoots roots, const evidence::CheckpointSigner* signer, ArtifactProgress progress)
    : impl_(std::make_unique<Impl>(std::move(root), clock, std::move(tool), std::move(roots), signer)) {
  impl_->progress = std::move(progress);
}

StoreEvidenceSink::~StoreEvidenceSink() = default;

EvidenceOutcome StoreEvidenceSink::preserve(const std::string& artifact, const std::string& run_id, const std::string& step,
                                            const std::string& incident) {
  evidence::CustodyContext context{run_id, step, incident.empty() ? std::nullopt : std::optional<std::string>(incident)};
  evidence::PreserveOptions options;
  options.roots = impl_->roots.sets();
  options.host_root = impl_->roots.host_root;
  if (impl_->progress) {
    options.progress = [this, &artifact](std::uint64_t done, std::uint64_t total) { impl_->progress(artifact, done, total); };
  }
  const auto result = impl_->store.preserve(artifact, context, options);
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

std::optional<std::string> StoreEvidenceSink::check_ready() const {
  const evidence::StoreCheck check = evidence::check_store(impl_->store.root(), impl_->signer);
  if (check.failure == evidence::PreserveFailure::none) return std::nullopt;
  if (check.failure == evidence::PreserveFailure::signing) {
    return check.error + "; a run takes the key as --key PRIVATE.pem or as signing_key in the connectors file";
  }
  return check.error;
}

std::optional<std::string> check_artifact_path(const std::string& path, const EvidenceRoots& roots) {
  return evidence::check_confined(path, roots.sets(), roots.host_root);
}

}  // namespace writ::runtime
