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

// Every entry under ROOT/objects/sha256, as "objects/sha256/<dir>" for an entry that is not a
// two-hex-digit directory and "objects/sha256/<dir>/<name>" for the files of those that are.
std::vector<std::string> list_object_entries(const std::filesystem::path& root);

// Re-hashes every object the well-formed records name, then reports the `entries` (a listing
// taken together with the ledger) that no record names.
void verify_objects(const std::filesystem::path& root, const std::vector<LedgerLine>& lines,
                    const std::vector<std::string>& entries, const ProgressFn& progress,
                    std::vector<RankedFinding>& out, std::uint64_t& object_count);

}  // namespace writ::evidence
