#include "runtime/evidence/merkle.h"

#include <bit>
#include <stdexcept>
#include <string>

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

// SUBPROOF(m, D[begin : begin + n], complete) of RFC 6962 §2.1.2, as leaf ranges.
void subproof(std::uint64_t m, std::uint64_t begin, std::uint64_t n, bool complete, std::vector<LeafRange>& out) {
  if (m == n) {
    if (!complete) out.push_back({begin, begin + n});
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    subproof(m, begin, k, complete, out);
    out.push_back({begin + k, begin + n});
  } else {
    subproof(m - k, begin + k, n - k, false, out);
    out.push_back({begin, begin + k});
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

void MerkleAccumulator::add(const Digest& leaf_hash) {
  Subtree top{1, leaf_hash};
  while (!stack_.empty() && stack_.back().leaves == top.leaves) {
    top = {top.leaves * 2, merkle_node_hash(stack_.back().hash, top.hash)};
    stack_.pop_back();
  }
  stack_.push_back(top);
  ++size_;
}

// Folding the perfect subtrees from the right reproduces the RFC's split at the largest power
// of two below n: the left part of every split is exactly one of the subtrees on the stack.
Digest MerkleAccumulator::root() const {
  if (stack_.empty()) return sha256("");
  Digest r = stack_.back().hash;
  for (auto it = stack_.rbegin() + 1; it != stack_.rend(); ++it) r = merkle_node_hash(it->hash, r);
  return r;
}

std::vector<LeafRange> merkle_consistency_ranges(std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size > new_size) {
    throw std::invalid_argument("merkle_consistency_ranges: old size " + std::to_string(old_size) +
                                " > new size " + std::to_string(new_size));
  }
  std::vector<LeafRange> out;
  if (old_size == 0 || old_size == new_size) return out;
  subproof(old_size, 0, new_size, true, out);
  return out;
}

ConsistencyProofBuilder::ConsistencyProofBuilder(std::uint64_t old_size, std::uint64_t new_size)
    : new_size_(new_size), ranges_(merkle_consistency_ranges(old_size, new_size)), roots_(ranges_.size()) {}

void ConsistencyProofBuilder::add(const Digest& leaf_hash) {
  const std::uint64_t index = added_++;
  for (std::size_t i = 0; i < ranges_.size(); ++i) {
    if (ranges_[i].begin <= index && index < ranges_[i].end) return roots_[i].add(leaf_hash);
  }
}

std::vector<Digest> ConsistencyProofBuilder::proof() const {
  if (!complete()) throw std::logic_error("ConsistencyProofBuilder::proof() before every leaf was added");
  std::vector<Digest> out;
  for (const MerkleAccumulator& root : roots_) out.push_back(root.root());
  return out;
}

std::vector<Digest> merkle_consistency_proof(std::span<const Digest> leaf_hashes, std::uint64_t old_size) {
  ConsistencyProofBuilder builder(old_size, leaf_hashes.size());
  for (const Digest& leaf : leaf_hashes) builder.add(leaf);
  return builder.proof();
}

bool merkle_verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Digest& old_root,
                               const Digest& new_root, std::span<const Digest> proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty() && old_root == sha256("");
  if (proof.empty()) return false;
  std::vector<Digest> path;
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = path.front();
  Digest sr = path.front();
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Digest& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      fr = merkle_node_hash(c, fr);
      sr = merkle_node_hash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = merkle_node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace writ::evidence
