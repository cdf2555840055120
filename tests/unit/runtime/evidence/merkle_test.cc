#include "runtime/evidence/merkle.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using writ::Digest;
using namespace writ::evidence;

// The Certificate Transparency test inputs (certificate-transparency merkle_tree_test.cc) and
// their roots, which also match an independent python3 RFC 6962 reference.
const std::vector<std::string> kLeaves = {
    std::string(""),
    std::string("\x00", 1),
    std::string("\x10"),
    std::string("\x20\x21"),
    std::string("\x30\x31"),
    std::string("\x40\x41\x42\x43"),
    std::string("\x50\x51\x52\x53\x54\x55\x56\x57"),
    std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"),
};

const std::vector<std::string> kRoots = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<Digest> leaf_hashes(std::size_t n) {
  std::vector<Digest> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(merkle_leaf_hash(kLeaves[i]));
  return out;
}

std::vector<std::string> hex_all(const std::vector<Digest>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(writ::to_hex(d));
  return out;
}

}  // namespace

TEST_CASE("empty tree hashes to SHA-256 of nothing", "[evidence][merkle]") {
  CHECK(writ::to_hex(merkle_root({})) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("roots match the RFC 6962 test vectors for 1..8 leaves", "[evidence][merkle]") {
  for (std::size_t n = 1; n <= kLeaves.size(); ++n) {
    INFO("tree size " << n);
    CHECK(writ::to_hex(merkle_root(leaf_hashes(n))) == kRoots[n - 1]);
  }
}

TEST_CASE("inclusion proofs match the known audit paths", "[evidence][merkle]") {
  auto leaves = leaf_hashes(8);
  CHECK(hex_all(merkle_inclusion_proof(leaves, 0)) ==
        std::vector<std::string>{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                                 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                                 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"});
  CHECK(hex_all(merkle_inclusion_proof(leaves, 5)) ==
        std::vector<std::string>{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                                 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                                 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"});
  CHECK(hex_all(merkle_inclusion_proof(leaf_hashes(3), 2)) ==
        std::vector<std::string>{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"});
  CHECK(merkle_inclusion_proof(leaf_hashes(1), 0).empty());
  CHECK_THROWS_AS(merkle_inclusion_proof(leaves, 8), std::out_of_range);
}

TEST_CASE("every proof in trees up to 40 leaves verifies, and only for its own leaf", "[evidence][merkle]") {
  std::vector<Digest> leaves;
  for (int i = 0; i < 40; ++i) leaves.push_back(merkle_leaf_hash("entry " + std::to_string(i)));
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    std::span<const Digest> tree(leaves.data(), n);
    const Digest root = merkle_root(tree);
    for (std::size_t m = 0; m < n; ++m) {
      auto proof = merkle_inclusion_proof(tree, m);
      INFO("leaf " << m << " of " << n);
      REQUIRE(merkle_verify_inclusion(tree[m], m, n, proof, root));
      if (n > 1) {
        CHECK_FALSE(merkle_verify_inclusion(tree[(m + 1) % n], m, n, proof, root));  // other leaf
        CHECK_FALSE(merkle_verify_inclusion(tree[m], (m + 1) % n, n, proof, root));  // other index
      }
      if (n < leaves.size()) {  // the root of a larger tree
        CHECK_FALSE(merkle_verify_inclusion(tree[m], m, n + 1, proof, merkle_root(std::span(leaves.data(), n + 1))));
      }
    }
  }
}

TEST_CASE("malformed proofs are rejected, never trusted", "[evidence][merkle]") {
  auto leaves = leaf_hashes(8);
  const Digest root = merkle_root(leaves);
  auto proof = merkle_inclusion_proof(leaves, 3);
  auto flipped = proof;
  flipped[1][0] ^= 1;
  CHECK_FALSE(merkle_verify_inclusion(leaves[3], 3, 8, flipped, root));
  auto longer = proof;
  longer.push_back(root);
  CHECK_FALSE(merkle_verify_inclusion(leaves[3], 3, 8, longer, root));
  auto shorter = std::vector<Digest>(proof.begin(), proof.end() - 1);
  CHECK_FALSE(merkle_verify_inclusion(leaves[3], 3, 8, shorter, root));
  CHECK_FALSE(merkle_verify_inclusion(leaves[3], 8, 8, proof, root));
  CHECK_FALSE(merkle_verify_inclusion(leaves[0], 0, 0, {}, root));
}

TEST_CASE("the root depends on order", "[evidence][merkle]") {
  auto leaves = leaf_hashes(5);
  auto swapped = leaves;
  std::swap(swapped[1], swapped[2]);
  CHECK(merkle_root(leaves) != merkle_root(swapped));
}

TEST_CASE("the streaming accumulator gives the same root as the recursive definition", "[evidence][merkle]") {
  std::vector<Digest> leaves;
  MerkleAccumulator acc;
  CHECK(acc.root() == merkle_root({}));
  for (int i = 0; i < 70; ++i) {
    leaves.push_back(merkle_leaf_hash("entry " + std::to_string(i)));
    acc.add(leaves.back());
    INFO("tree size " << leaves.size());
    CHECK(acc.size() == leaves.size());
    CHECK(acc.root() == merkle_root(leaves));
  }
}

// The RFC 6962 §2.1.3 example tree of seven leaves d0..d6, hashed by hand: a..f are the leaf
// hashes of d0..d5, j = leaf(d6); g = (a,b), h = (c,d), i = (e,f); k = (g,h), l = (i,j); root = (k,l).
TEST_CASE("consistency proofs are the RFC 6962 example's, node for node", "[evidence][merkle]") {
  auto leaves = leaf_hashes(7);
  const Digest a = leaves[0], b = leaves[1], c = leaves[2], d = leaves[3], e = leaves[4], f = leaves[5];
  const Digest g = merkle_node_hash(a, b), h = merkle_node_hash(c, d), i = merkle_node_hash(e, f), j = leaves[6];
  const Digest k = merkle_node_hash(g, h), l = merkle_node_hash(i, j);
  CHECK(merkle_node_hash(k, l) == merkle_root(leaves));
  CHECK(merkle_consistency_proof(leaves, 3) == std::vector<Digest>{c, d, g, l});
  CHECK(merkle_consistency_proof(leaves, 4) == std::vector<Digest>{l});
  CHECK(merkle_consistency_proof(leaves, 6) == std::vector<Digest>{i, j, k});
  CHECK(merkle_consistency_proof(leaves, 7).empty());
  CHECK(merkle_consistency_proof(leaves, 0).empty());
  const Digest root3 = merkle_node_hash(g, c);
  CHECK(merkle_verify_consistency(3, 7, root3, merkle_root(leaves), std::vector<Digest>{c, d, g, l}));
  CHECK(merkle_verify_consistency(4, 7, k, merkle_root(leaves), std::vector<Digest>{l}));
  CHECK(merkle_verify_consistency(6, 7, merkle_node_hash(k, i), merkle_root(leaves), std::vector<Digest>{i, j, k}));
  CHECK_THROWS_AS(merkle_consistency_ranges(8, 7), std::invalid_argument);
}

TEST_CASE("every consistency proof for 0 <= m <= n <= 9 verifies, and no tampered one does", "[evidence][merkle]") {
  std::vector<Digest> all;
  for (int x = 0; x < 9; ++x) all.push_back(merkle_leaf_hash("record " + std::to_string(x)));
  for (std::uint64_t n = 0; n <= 9; ++n) {
    std::span<const Digest> tree(all.data(), n);
    const Digest new_root = merkle_root(tree);
    for (std::uint64_t m = 0; m <= n; ++m) {
      INFO("m = " << m << ", n = " << n);
      const Digest old_root = merkle_root(tree.first(m));
      auto proof = merkle_consistency_proof(tree, m);
      ConsistencyProofBuilder builder(m, n);
      for (const Digest& leaf : tree) builder.add(leaf);
      CHECK(builder.proof() == proof);
      REQUIRE(merkle_verify_consistency(m, n, old_root, new_root, proof));

      Digest other_old = old_root;
      other_old[0] ^= 1;
      CHECK_FALSE(merkle_verify_consistency(m, n, other_old, new_root, proof));
      Digest other_new = new_root;
      other_new[31] ^= 1;
      if (m > 0) CHECK_FALSE(merkle_verify_consistency(m, n, old_root, other_new, proof));  // the empty tree prefixes any
      for (std::size_t x = 0; x < proof.size(); ++x) {
        auto flipped = proof;
        flipped[x][7] ^= 0x80;
        CHECK_FALSE(merkle_verify_consistency(m, n, old_root, new_root, flipped));
      }
      auto longer = proof;
      longer.push_back(new_root);
      CHECK_FALSE(merkle_verify_consistency(m, n, old_root, new_root, longer));
      if (!proof.empty()) {
        CHECK_FALSE(merkle_verify_consistency(m, n, old_root, new_root, std::span(proof).first(proof.size() - 1)));
      }
      if (m > 0 && m < n) {  // an old tree that is not a prefix: its first leaf rewritten
        auto rewritten = std::vector<Digest>(tree.begin(), tree.end());
        rewritten[0] = merkle_leaf_hash("rewritten");
        CHECK_FALSE(merkle_verify_consistency(m, n, old_root, merkle_root(rewritten),
                                              merkle_consistency_proof(rewritten, m)));
      }
      CHECK_FALSE(merkle_verify_consistency(n + 1, n, new_root, new_root, proof));  // old larger than new
    }
  }
}
