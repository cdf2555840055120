// Shared between verify.cc (ledger and checkpoint) and verify_objects.cc (the object store).
// Internal to runtime/evidence.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/sha256.h"
#include "runtime/evidence/custody_record.h"
#include "runtime/evidence/verify.h"

namespace writ::evidence {

// Findings are ranked so the report reads in ledger order.
enum class FindingRank { record = 0, ledger = 1, checkpoint = 2, since = 3, object = 4, stray = 5 };

struct RankedFinding {
  FindingRank rank;
  std::uint64_t order;  // line number, or position among objects
  Finding finding;
  std::uint64_t added = 0;  // keeps findings of equal rank, order and item in the order found
};

// Keeps the first `keep` findings in report order (rank, order, item) and counts all of them,
// so a ledger of a million damaged lines costs no more memory than one of a hundred.
class FindingCollector {
 public:
  explicit FindingCollector(std::size_t keep) : keep_(keep) {}
  void add(FindingRank rank, std::uint64_t order, std::string item, std::string message);
  bool any(FindingRank rank) const { return ranks_.contains(rank); }
  std::uint64_t total() const { return total_; }
  std::vector<Finding> take();  // the kept findings, sorted

 private:
  void trim();

  std::size_t keep_;
  std::vector<RankedFinding> kept_;
  std::uint64_t total_ = 0;
  std::set<FindingRank> ranks_;
};

struct ExpectedObject {
  std::uint64_t line;   // first well-formed record that names the object
  std::uint64_t size;
  std::uint64_t order;  // position among the objects, in ledger order
};

// The objects the ledger names, gathered while it streams by.
struct ObjectIndex {
  std::map<std::string, ExpectedObject> expected;  // hex digest -> first intact record naming it
  std::set<std::string> named_by_altered;         // digests only altered records name
  std::uint64_t total_bytes = 0;

  void add(const CustodyRecord& record, std::uint64_t line, bool altered);
};

// Everything under ROOT/objects/sha256 that no record names, or that has no business there
// ("objects/sha256/<dir>" for an entry that is not a two-hex-digit directory). Run together
// with the ledger read, under the readers' lock, so a concurrent writer's new object is not
// taken for a stray.
void find_strays(const std::filesystem::path& root, const ObjectIndex& index, FindingCollector& out);

// Re-hashes every object the intact records name.
void verify_objects(const std::filesystem::path& root, const ObjectIndex& index, const ProgressFn& progress,
                    FindingCollector& out);

}  // namespace writ::evidence
