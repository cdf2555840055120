#include "runtime/evidence/merkle.h"

#include <bit>
#include <stdexcept>

namespace writ::evidence {

namespace {

// Largest power of two strictly smaller than n (n >= 2).
std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

Digest subtree_root(std::span<const Digest> leaves) {
  if (leaves.size() == 1) return leaves[0];
  const std::uint64_t k = split_point(leaves.size());
  return merkle_node_hash(subtree_root(leaves.first(k)), subtree_root(leaves.subspan(k)));
}

void audit_path(std::span<const Digest> leaves, std::uint64_t index, std::vector<Digest>& out) {
  if (leaves.size() <= 1) return;
  const std::uint64_t k = split_point(leaves.size());
  if (index < k) {
    audit_path(leaves.first(k), index, out);
    out.push_back(subtree_root(leaves.subspan(k)));
  } else {
    audit_path(leaves.subspan(k), index - k, out);
    out.push_back(subtree_root(leaves.first(k)));
  }
}

}  // namespace

Digest merkle_leaf_hash(std::string_view entry) {
  Sha256 h;
  const std::uint8_t prefix = 0x00;
  h.update(std::span<const std::uint8_t>(&prefix, 1));
  h.update(entry);
  return h.finish();
}

Digest merkle_node_hash(const Digest& left, const Digest& right) {
  Sha256 h;
  const std::uint8_t prefix = 0x01;
  h.update(std::span<const std::uint8_t>(&prefix, 1));
  h.update(left);
  h.update(right);
  return h.finish();
}

Digest merkle_root(std::span<const Digest> leaf_hashes) {
  if (leaf_hashes.empty()) return sha256("");
  // Recursion depth is log2(n): the split keeps the left subtree a perfect power of two.
  return subtree_root(leaf_hashes);
}

std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaf_hashes, std::uint64_t index) {
  if (index >= leaf_hashes.size()) throw std::out_of_range("merkle_inclusion_proof: index out of range");
  std::vector<Digest> out;
  audit_path(leaf_hashes, index, out);
  return out;
}

bool merkle_verify_inclusion(const Digest& leaf_hash, std::uint64_t index, std::uint64_t size,
                             std::span<const Digest> proof, const Digest& root) {
  if (index >= size) return false;
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = merkle_node_hash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace writ::evidence
