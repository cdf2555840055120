#include "runtime/evidence/prove.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "common/canonical_json.h"
#include "runtime/evidence/base64.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/custody_ledger.h"
#include "runtime/evidence/line_reader.h"
#include "runtime/evidence/merkle.h"

namespace writ::evidence {

namespace {

using nlohmann::json;

struct Entry {
  std::uint64_t index;  // leaf index = line - 1
  std::string line;
  CustodyRecord record;
};

struct Ledger {
  std::vector<Digest> leaves;
  std::vector<Entry> entries;  // lines whose record names the digest
  std::string error;
};

Ledger read_ledger(const std::filesystem::path& root, std::string_view hex, std::uint64_t limit, ProveStatus& status) {
  Ledger out;
  OpenedFile file = open_ledger_file(root);
  if (!file) {
    status = file.problem == FileProblem::not_regular ? ProveStatus::not_regular : ProveStatus::damaged;
    out.error = file.error;
    return out;
  }
  LineReader reader(file.fd.get());
  while (out.leaves.size() < limit) {
    auto line = reader.next();
    if (!line) break;
    out.leaves.push_back(merkle_leaf_hash(line->text));
    ParsedRecord parsed = parse_record(line->text);
    if (parsed.record && parsed.record->sha256 == hex && compute_record_hash(*parsed.record) == parsed.record->hash) {
      out.entries.push_back({line->number - 1, line->text, std::move(*parsed.record)});
    }
  }
  if (reader.error()) {
    status = ProveStatus::damaged;
    out.error = custody_path(root).string() + ": " + reader.error().message();
  }
  return out;
}

std::optional<Checkpoint> read_checkpoint(const std::filesystem::path& root, std::string& error, ProveStatus& status) {
  ReadFile file = read_checkpoint_file(root);
  if (!file) {
    status = file.problem == FileProblem::not_regular ? ProveStatus::not_regular : ProveStatus::damaged;
    error = file.error;
    return std::nullopt;
  }
  ParsedCheckpoint parsed = parse_checkpoint(*file.text);
  if (!parsed.checkpoint) error = checkpoint_path(root).string() + ": malformed: " + parsed.error;
  return parsed.checkpoint;
}

json checkpoint_object(const Checkpoint& cp) {
  json j{{"size", cp.size}, {"head", cp.head}, {"root", cp.root}, {"origin", cp.origin}, {"text", checkpoint_text(cp)}};
  j["signature"] = cp.signature ? json(*cp.signature) : json(nullptr);
  j["key_id"] = cp.key_id ? json(*cp.key_id) : json(nullptr);
  return j;
}

json statement(std::string_view hex, const Ledger& ledger, const Checkpoint& cp) {
  json custody = json::array();
  for (const Entry& e : ledger.entries) {
    json path = json::array();
    for (const Digest& d : merkle_inclusion_proof(ledger.leaves, e.index)) path.push_back(to_hex(d));
    custody.push_back({{"line", e.line}, {"leaf_index", e.index}, {"inclusion_proof", path}});
  }
  json predicate{{"store_object", object_name(hex)},
                 {"custody", custody},
                 {"checkpoint", checkpoint_object(cp)},
                 {"merkle", "RFC 6962: leaf = SHA-256(0x00 || line), node = SHA-256(0x01 || left || right)"},
                 {"record_hash", "sha256 of the record's canonical JSON without its hash field"}};
  json subject{{"name", ledger.entries.front().record.artifact}, {"digest", {{"sha256", std::string(hex)}}}};
  return json{{"_type", "https://in-toto.io/Statement/v1"},
              {"subject", json::array({subject})},
              {"predicateType", kCustodyPredicateType},
              {"predicate", predicate}};
}

}  // namespace

FoundRecord find_record(const std::filesystem::path& root, std::string_view hex) {
  FoundRecord out;
  LedgerReadLock lock(root);
  if (!lock.error().empty()) return {std::nullopt, ProveStatus::not_regular, lock.error()};
  Ledger ledger = read_ledger(root, hex, UINT64_MAX, out.status);
  if (!ledger.error.empty()) return {std::nullopt, out.status, ledger.error};
  if (ledger.entries.empty()) {
    return {std::nullopt, ProveStatus::not_found, "no custody record of sha256 " + std::string(hex) + " in " + root.string()};
  }
  out.record = ledger.entries.front().record;
  return out;
}

std::string dsse_pae(std::string_view type, std::string_view payload) {
  return "DSSEv1 " + std::to_string(type.size()) + " " + std::string(type) + " " + std::to_string(payload.size()) +
         " " + std::string(payload);
}

ProveResult prove_artifact(const std::filesystem::path& root, std::string_view hex, const CheckpointSigner* signer) {
  std::string error;
  std::optional<Checkpoint> cp;
  Ledger ledger;
  ProveStatus status = ProveStatus::damaged;
  {
    LedgerReadLock lock(root);  // the checkpoint and the ledger as one writer left them
    if (!lock.error().empty()) return {ProveStatus::not_regular, {}, lock.error()};
    cp = read_checkpoint(root, error, status);
    if (!cp) return {status, {}, error};
    ledger = read_ledger(root, hex, cp->size, status);
  }
  if (!ledger.error.empty()) return {status, {}, ledger.error};
  if (ledger.leaves.size() != cp->size || to_hex(merkle_root(ledger.leaves)) != cp->root) {
    return {ProveStatus::damaged, {}, "custody.jsonl does not match checkpoint.json; run `writ evidence verify`"};
  }
  if (ledger.entries.empty()) {
    return {ProveStatus::not_found, {}, "no custody record of sha256 " + std::string(hex) + " in " + root.string()};
  }
  json doc = statement(hex, ledger, *cp);
  if (signer == nullptr) return {ProveStatus::ok, doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n", {}};
  const std::string payload = canonical_json(doc);
  json envelope{
      {"payloadType", kInTotoPayloadType},
      {"payload", base64_encode(payload)},
      {"signatures", json::array({{{"keyid", signer->key_id()},
                                   {"sig", base64_encode(signer->sign(dsse_pae(kInTotoPayloadType, payload)))}}})}};
  return {ProveStatus::ok, envelope.dump(2, ' ', false, json::error_handler_t::replace) + "\n", {}};
}

}  // namespace writ::evidence
