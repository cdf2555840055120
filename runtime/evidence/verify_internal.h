// Shared between verify.cc (ledger and checkpoint) and verify_objects.cc (the object store).
// Internal to runtime/evidence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/verify.h"

namespace writ::evidence {

// One line of custody.jsonl as verify saw it.
struct LedgerLine {
  std::uint64_t number = 0;
  Digest leaf{};
  std::optional<CustodyRecord> record;  // when well-formed
  bool altered = false;                 // its hash does not match its content
};

// Findings are ranked so the report reads in ledger order.
enum class FindingRank { record = 0, ledger = 1, checkpoint = 2, object = 3, stray = 4 };

struct RankedFinding {
  FindingRank rank;
  std::uint64_t order;  // line number, or position among objects
  Finding finding;
};

// Re-hashes every object the well-formed records name, then reports objects no record names.
void verify_objects(const std::filesystem::path& root, const std::vector<LedgerLine>& lines,
                    const ProgressFn& progress, std::vector<RankedFinding>& out, std::uint64_t& object_count);

}  // namespace writ::evidence
