#include "runtime/evidence/merkle.h"

#include <catch2/catch.hpp>
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
