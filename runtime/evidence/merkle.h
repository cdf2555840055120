// RFC 6962 (Certificate Transparency) Merkle tree hashing: leaf hash SHA-256(0x00 || entry),
// node hash SHA-256(0x01 || left || right), the tree of n > 1 leaves split at the largest power
// of two smaller than n, the empty tree hashing to SHA-256(""). The root fixes both the entries
// and their order. Inclusion proofs are the RFC 6962 §2.1.1 audit paths; verification follows
// RFC 9162 §2.1.3.2 so an auditor can check a proof with nothing but SHA-256.
// Pure functions, no state, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/sha256.h"

namespace writ::evidence {

Digest merkle_leaf_hash(std::string_view entry);
Digest merkle_node_hash(const Digest& left, const Digest& right);

// The Merkle tree hash over leaves given by their leaf hashes, in order.
Digest merkle_root(std::span<const Digest> leaf_hashes);

// Audit path for leaf `index` of the tree over `leaf_hashes`, from the leaf's sibling up.
// Precondition: index < leaf_hashes.size() (throws std::out_of_range otherwise).
std::vector<Digest> merkle_inclusion_proof(std::span<const Digest> leaf_hashes, std::uint64_t index);

// True when `proof` shows that `leaf_hash` is leaf `index` of a tree of `size` leaves whose
// root is `root`. Any malformed input (index >= size, wrong proof length) yields false.
bool merkle_verify_inclusion(const Digest& leaf_hash, std::uint64_t index, std::uint64_t size,
                             std::span<const Digest> proof, const Digest& root);

}  // namespace writ::evidence
