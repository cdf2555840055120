// Where `preserve` artifacts go. The interpreter calls an EvidenceSink; StoreEvidenceSink is
// the real one, over the evidence store (runtime/evidence/evidence_store.h: copy while
// hashing, read-only object, custody record). An artifact counts as preserved only when the
// sink says so — the execution log never lists one the store did not preserve.
// Confinement: artifact paths must be absolute, free of `..`, and (when the connectors file
// names evidence_roots) lie under one of them; check_artifact_path says why not.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/clock.h"

namespace writ::runtime {

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
};

// The evidence store at `root`, stamping times from `clock` (which must outlive the sink).
class StoreEvidenceSink final : public EvidenceSink {
 public:
  StoreEvidenceSink(std::filesystem::path root, const Clock& clock, std::string tool);
  ~StoreEvidenceSink() override;
  EvidenceOutcome preserve(const std::string& artifact, const std::string& run_id, const std::string& step,
                           const std::string& incident) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Nothing when `path` may be preserved, else the reason ("relative path", "outside the
// evidence roots /evidence").
std::optional<std::string> check_artifact_path(const std::string& path, const std::vector<std::string>& roots);

}  // namespace writ::runtime
