#include "runtime/journal_head.h"

#include <fcntl.h>

#include <algorithm>
#include <fmt/format.h>

#include "common/canonical_json.h"
#include "common/regular_file.h"
#include "runtime/evidence/posix_file.h"
#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

constexpr std::size_t kMaxHeadBytes = 1024;

bool lower_hex(const nlohmann::json& value, std::size_t digits) {
  if (!value.is_string()) return false;
  const auto& s = value.get_ref<const std::string&>();
  return s.size() == digits && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

nlohmann::json head_json(const JournalHead& head) {
  nlohmann::json json{{"hash", head.hash}, {"seq", head.seq}, {"size", head.size}};
  if (head.key_id) json["key_id"] = *head.key_id;
  return json;
}

JournalHead parse_head(const std::string& text, const std::string& where) {
  auto bad = [&](const std::string& why) {
    return JournalError(fmt::format("{}: not a journal head ({}); writ replaces it atomically, so a crash never leaves it "
                                    "like this: it was altered",
                                    where, why));
  };
  if (text.empty() || text.back() != '\n') throw bad("no final newline");
  nlohmann::json json;
  try {
    json = parse_json(std::string_view(text).substr(0, text.size() - 1), where, 4);
  } catch (const JsonInputError& e) {
    throw bad(e.what());
  }
  const bool keyed = json.is_object() && json.contains("mac");
  const bool shaped = json.is_object() && json.size() == (keyed ? 5u : 3u) && json.contains("hash") && lower_hex(json["hash"], 64) &&
                      json.contains("seq") && json["seq"].is_number_unsigned() && json.contains("size") &&
                      json["size"].is_number_unsigned() &&
                      (!keyed || (lower_hex(json["mac"], 64) && json.contains("key_id") && lower_hex(json["key_id"], 16)));
  if (!shaped) throw bad("expected hash, seq, size, and key_id with mac when keyed");
  if (canonical_json(json) + "\n" != text) throw bad("not in canonical form");
  JournalHead head;
  head.hash = json["hash"].get<std::string>();
  head.seq = json["seq"].get<std::uint64_t>();
  head.size = json["size"].get<std::uint64_t>();
  if (keyed) {
    head.key_id = json["key_id"].get<std::string>();
    head.mac = json["mac"].get<std::string>();
  }
  return head;
}

void check_key(const JournalHead& head, const JournalKey& key, const std::string& where) {
  if (!head.mac) {
    throw JournalError(fmt::format("{}: the journal carries no MACs, but a journal key was given ({}): it was written without "
                                   "a key, or its MACs were stripped; refusing it",
                                   where, key.origin()),
                       JournalProblem::key);
  }
  if (*head.key_id != key.id()) {
    throw JournalError(fmt::format("{}: the journal was written with journal key id {}, but the key given ({}) has id {}", where,
                                   *head.key_id, key.origin(), key.id()),
                       JournalProblem::key);
  }
  if (!key.verify(canonical_json(head_json(head)), *head.mac)) {
    throw JournalError(fmt::format("{}: the head's MAC does not match (the head was altered)", where));
  }
}

}  // namespace

std::filesystem::path journal_head_path(const std::filesystem::path& journal) {
  auto head = journal;
  head.replace_extension(".head");
  return head;
}

std::string head_text(JournalHead head, const JournalKey* key) {
  head.key_id.reset();
  head.mac.reset();
  if (key) head.key_id = key->id();
  auto json = head_json(head);
  if (key) json["mac"] = key->mac(canonical_json(json));
  return canonical_json(json) + "\n";
}

std::optional<JournalHead> read_head(const std::filesystem::path& journal, const JournalKey* key) {
  const auto path = journal_head_path(journal).string();
  auto file = read_regular_file(path, kMaxHeadBytes, O_NOFOLLOW);
  if (file.problem == FileProblem::missing) return std::nullopt;
  if (file.problem == FileProblem::too_large) throw JournalError(fmt::format("{}: not a journal head (over {} bytes): it was altered", path, kMaxHeadBytes));
  if (!file) throw JournalError(file.error, JournalProblem::unreadable);
  auto head = parse_head(*file.text, path);
  if (key) check_key(head, *key, path);
  return head;
}

void write_head(const std::filesystem::path& journal, std::uint64_t size, std::uint64_t seq, const std::string& hash,
                const JournalKey* key) {
  const auto path = journal_head_path(journal);
  JournalHead head;
  head.size = size;
  head.seq = seq;
  head.hash = hash;
  if (auto ec = evidence::replace_file_atomically(path, head_text(head, key))) {
    throw JournalError(fmt::format("{}: cannot write: {}", path.string(), ec.message()), JournalProblem::io);
  }
}

}  // namespace writ::runtime
