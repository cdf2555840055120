// Where `preserve` artifacts go. The interpreter calls an EvidenceSink; StoreEvidenceSink is
// the real one, over the evidence store (runtime/evidence/evidence_store.h: confined open,
// stable copy while hashing, read-only object, custody record, signed checkpoint when a key is
// given). An artifact counts as preserved only when the sink says so — the execution log never
// lists one the store did not preserve.
// Confinement (DESIGN §13): artifact paths must be absolute, free of `..`, and lie beneath a
// root of the active policy's evidence_roots and of the connectors file's (each list that names
// any); every component is resolved without following symbolic links when the file is opened
// (runtime/evidence/confined_open.h). check_artifact_path is the same rule, asked early.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/clock.h"

namespace writ::evidence {
class CheckpointSigner;
struct RootSet;
}  // namespace writ::evidence

namespace writ::runtime {

// The evidence roots a run is confined to. Journaled in run_started as
// {"policy": [...], "connectors": [...], "host_root": "..."} so --resume and rollback confine the same way.
struct EvidenceRoots {
  std::vector<std::string> policy;      // the active policy's evidence_roots
  std::vector<std::string> connectors;  // the connectors file's evidence_roots
  // A tabletop's staged host image (`writ run --dry-run --artifact-root DIR`): artifacts are
  // confined by the lists above and then read beneath this directory as if it were "/".
  // Empty for the real host (and then not journaled).
  std::string host_root;

  nlohmann::json to_json() const;
  // Nothing when `j` is not that shape (a journal written before the key existed).
  static std::optional<EvidenceRoots> from_json(const nlohmann::json& j);
  std::vector<evidence::RootSet> sets() const;
};

struct EvidenceOutcome {
  bool preserved = false;
  std::string sha256;
  std::uint64_t size = 0;
  std::string object;        // where the store keeps the copy
  std::uint64_t custody_seq = 0;
  std::string error;         // when !preserved
};

class EvidenceSink {
 public:
  virtual ~EvidenceSink() = default;
  virtual EvidenceOutcome preserve(const std::string& artifact, const std::string& run_id, const std::string& step,
                                   const std::string& incident) = 0;
  // Before the first effect of a run that will preserve: why preserving is bound to fail
  // (the store is signed and no key was given, a store file is a FIFO, ...), or nothing.
  virtual std::optional<std::string> check_ready() const { return std::nullopt; }
};

// Called with (artifact, bytes done, total) while an artifact is copied; may be empty.
using ArtifactProgress = std::function<void(const std::string&, std::uint64_t, std::uint64_t)>;

// The evidence store at `root`, stamping times from `clock`, confining artifacts to `roots`
// and signing checkpoints with `signer` (nullable). `clock` and `signer` must outlive the sink.
class StoreEvidenceSink final : public EvidenceSink {
 public:
  StoreEvidenceSink(std::filesystem::path root, const Clock& clock, std::string tool, EvidenceRoots roots = {},
                    const evidence::CheckpointSigner* signer = nullptr, ArtifactProgress progress = {});
  ~StoreEvidenceSink() override;
  EvidenceOutcome preserve(const std::string& artifact, const std::string& run_id, const std::string& step,
                           const std::string& incident) override;
  std::optional<std::string> check_ready() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Nothing when `path` may be preserved, else the reason ("artifact path \"/x\" lies outside the
// evidence roots (/evidence) of the connectors file", "... is a symbolic link ...").
std::optional<std::string> check_artifact_path(const std::string& path, const EvidenceRoots& roots);

}  // namespace writ::runtime
