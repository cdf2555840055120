#include "runtime/evidence/prove.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/canonical_json.h"
#include "runtime/evidence/base64.h"
#include "runtime/evidence/checkpoint.h"
#include "runtime/evidence/custody_ledger.h"
#include "runtime/evidence/line_reader.h"
#include "runtime/evidence/merkle.h"
#include "runtime/evidence/posix_file.h"

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

Ledger read_ledger(const std::filesystem::path& root, std::string_view hex, std::uint64_t limit) {
  Ledger out;
  Fd fd = open_fd(custody_path(root), O_RDONLY | O_NOFOLLOW);
  if (!fd.valid()) {
    out.error = custody_path(root).string() + ": " + std::strerror(errno);
    return out;
  }
  LineReader reader(fd.get());
  while (out.leaves.size() < limit) {
    auto line = reader.next();
    if (!line) break;
    out.leaves.push_back(merkle_leaf_hash(line->text));
    ParsedRecord parsed = parse_record(line->text);
    if (parsed.record && parsed.record->sha256 == hex && compute_record_hash(*parsed.record) == parsed.record->hash) {
      out.entries.push_back({line->number - 1, line->text, std::move(*parsed.record)});
    }
  }
  if (reader.error()) out.error = custody_path(root).string() + ": " + reader.error().message();
  return out;
}

std::optional<Checkpoint> read_checkpoint(const std::filesystem::path& root, std::string& error) {
  Fd fd = open_fd(checkpoint_path(root), O_RDONLY | O_NOFOLLOW);
  if (!fd.valid()) {
    error = checkpoint_path(root).string() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text(64 * 1024, '\0');
  long n = read_full(fd.get(), std::span(reinterpret_cast<std::uint8_t*>(text.data()), text.size()));
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  ParsedCheckpoint parsed = parse_checkpoint(text);
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

std::optional<CustodyRecord> find_record(const std::filesystem::path& root, std::string_view hex) {
  LedgerReadLock lock(root);
  Ledger ledger = read_ledger(root, hex, UINT64_MAX);
  if (ledger.entries.empty()) return std::nullopt;
  return ledger.entries.front().record;
}

std::string dsse_pae(std::string_view type, std::string_view payload) {
  return "DSSEv1 " + std::to_string(type.size()) + " " + std::string(type) + " " + std::to_string(payload.size()) +
         " " + std::string(payload);
}

ProveResult prove_artifact(const std::filesystem::path& root, std::string_view hex, const CheckpointSigner* signer) {
  std::string error;
  std::optional<Checkpoint> cp;
  Ledger ledger;
  {
    LedgerReadLock lock(root);  // the checkpoint and the ledger as one writer left them
    cp = read_checkpoint(root, error);
    if (!cp) return {ProveStatus::damaged, {}, error};
    ledger = read_ledger(root, hex, cp->size);
  }
  if (!ledger.error.empty()) return {ProveStatus::damaged, {}, ledger.error};
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
