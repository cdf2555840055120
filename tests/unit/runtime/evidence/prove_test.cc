#include "runtime/evidence/prove.h"
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "runtime/evidence/base64.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/merkle.h"
#include "runtime/evidence/signing.h"
#include "unit/runtime/evidence/evidence_test_support.h"

using namespace writ::evidence;
using namespace writ::evidence::testing;
using nlohmann::json;

namespace {

writ::Digest digest_of(const std::string& hex) {
  writ::Digest d{};
  for (std::size_t i = 0; i < d.size(); ++i)
    d[i] = static_cast<std::uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return d;
}

}  // namespace

TEST_CASE("prove emits an in-toto statement whose inclusion proofs check against the checkpoint", "[evidence]") {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  EvidenceStore store(dir / "ev", clock, identity);
  std::string target;
  for (int i = 0; i < 7; ++i) {
    write_file(dir / ("f" + std::to_string(i)), i % 3 == 0 ? "repeat" : "unique " + std::to_string(i));
    auto r = store.preserve(dir / ("f" + std::to_string(i)), {});
    REQUIRE(r);
    if (i == 0) target = r.preserved->sha256;
  }
  ProveResult result = prove_artifact(dir / "ev", target, nullptr);
  REQUIRE(result.status == ProveStatus::ok);
  json st = json::parse(result.document);
  CHECK(st["_type"] == "https://in-toto.io/Statement/v1");
  CHECK(st["predicateType"] == kCustodyPredicateType);
  CHECK(st["subject"][0]["digest"]["sha256"] == target);
  CHECK(st["subject"][0]["name"] == (dir / "f0").string());
  const json& cp = st["predicate"]["checkpoint"];
  const writ::Digest root = digest_of(cp["root"]);
  std::vector<std::uint64_t> indices;
  for (const json& e : st["predicate"]["custody"]) {
    std::vector<writ::Digest> path;
    for (const json& h : e["inclusion_proof"]) path.push_back(digest_of(h));
    const auto index = e["leaf_index"].get<std::uint64_t>();
    CHECK(merkle_verify_inclusion(merkle_leaf_hash(e["line"].get<std::string>()), index, cp["size"], path, root));
    indices.push_back(index);
  }
  CHECK(indices == std::vector<std::uint64_t>{0, 3, 6});  // f0, f3, f6 share the content

  CHECK(prove_artifact(dir / "ev", std::string(64, '0'), nullptr).status == ProveStatus::not_found);
  auto found = find_record(dir / "ev", target);
  REQUIRE(found.record);
  CHECK(found.record->seq == 1);
  CHECK(find_record(dir / "ev", std::string(64, '0')).status == ProveStatus::not_found);
}

TEST_CASE("a signed proof is a DSSE envelope over the statement", "[evidence]") {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  auto key = Ed25519PrivateKey::generate();
  EvidenceStore store(dir / "ev", clock, identity, {"writ test", &key});
  write_file(dir / "a", "a");
  auto r = store.preserve(dir / "a", {});
  REQUIRE(r);
  ProveResult result = prove_artifact(dir / "ev", r.preserved->sha256, &key);
  REQUIRE(result.status == ProveStatus::ok);
  json env = json::parse(result.document);
  CHECK(env["payloadType"] == kInTotoPayloadType);
  CHECK(env["signatures"][0]["keyid"] == key.key_id());
  auto payload = base64_decode(env["payload"].get<std::string>());
  REQUIRE(payload);
  auto sig = base64_decode(env["signatures"][0]["sig"].get<std::string>());
  REQUIRE(sig);
  auto pub = Ed25519PublicKey::from_private(key);
  CHECK(pub.verify(dsse_pae(kInTotoPayloadType, *payload), *sig));
  CHECK(dsse_pae("t", "body") == "DSSEv1 1 t 4 body");
  json st = json::parse(*payload);
  const json& cp = st["predicate"]["checkpoint"];
  CHECK(pub.verify(cp["text"].get<std::string>(), *base64_decode(cp["signature"].get<std::string>())));
}

TEST_CASE("prove refuses a ledger that does not match its checkpoint", "[evidence]") {
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  EvidenceStore store(dir / "ev", clock, identity);
  write_file(dir / "a", "a");
  write_file(dir / "b", "b");
  auto r = store.preserve(dir / "a", {});
  REQUIRE(store.preserve(dir / "b", {}));
  auto lines = read_lines(custody_path(dir / "ev"));
  write_lines(custody_path(dir / "ev"), {lines[0]});
  CHECK(prove_artifact(dir / "ev", r.preserved->sha256, nullptr).status == ProveStatus::damaged);
  std::filesystem::remove(checkpoint_path(dir / "ev"));
  CHECK(prove_artifact(dir / "ev", r.preserved->sha256, nullptr).status == ProveStatus::damaged);
}

TEST_CASE("a FIFO planted as a store file makes prove refuse at once, never block", "[evidence][fifo]") {
  const std::string name = GENERATE(std::string("custody.jsonl"), std::string("checkpoint.json"), std::string(".lock"));
  ScratchDir dir;
  FixedClock clock;
  FixedIdentity identity;
  EvidenceStore store(dir / "ev", clock, identity);
  write_file(dir / "a", "a");
  auto r = store.preserve(dir / "a", {});
  REQUIRE(r);
  std::filesystem::remove(dir / "ev" / name);
  REQUIRE(::mkfifo((dir / "ev" / name).c_str(), 0600) == 0);
  ProveResult result = prove_artifact(dir / "ev", r.preserved->sha256, nullptr);
  CHECK(result.status == ProveStatus::not_regular);
  CHECK(result.error == (dir / "ev" / name).string() + ": is a FIFO, not a regular file");
  if (name != "checkpoint.json") CHECK(find_record(dir / "ev", r.preserved->sha256).status == ProveStatus::not_regular);
}
