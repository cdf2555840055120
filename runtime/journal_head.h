// journal.head (DESIGN §13 "Journal integrity", docs/journal.md "The head"): beside
// STATE/runs/RUN_ID/journal.jsonl, the position and hash of the journal's last record, so a
// journal cut back at a record boundary is told from a complete one. One line, the canonical
// JSON of {"hash","seq","size"} — plus "key_id" and "mac" when the journal is keyed, where
// mac = HMAC-SHA256(key, canonical JSON of the head without "mac") — and a newline.
// `size` is the journal's length in bytes up to and including the last record's newline,
// `seq` and `hash` are that record's (0 and 64 zeros before the first record).
//
// The writer replaces the head atomically (temporary file, fsync, rename, fsync of the
// directory) after each fsynced append, so a reader sees an old head or a new one, never a
// mix, and a crash leaves the head naming the last record or the one before it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "runtime/journal.h"
#include "runtime/journal_key.h"

namespace writ::runtime {

struct JournalHead {
  std::uint64_t size = 0;
  std::uint64_t seq = 0;
  std::string hash = std::string(64, '0');
  std::optional<std::string> key_id;  // set together with mac: the journal is keyed
  std::optional<std::string> mac;
};

// STATE/runs/RUN_ID/journal.head for STATE/runs/RUN_ID/journal.jsonl.
std::filesystem::path journal_head_path(const std::filesystem::path& journal);

// The head's file content; with a key, key_id and mac are set from it.
std::string head_text(JournalHead head, const JournalKey* key);

// Reads the head of `journal`: nothing when it does not exist. Throws JournalError: not_regular
// for a FIFO, socket, device, directory or symlink; corrupt when it is not exactly a head in
// canonical form; key when a key is given and the head is unkeyed, names another key id, or
// its MAC does not match.
std::optional<JournalHead> read_head(const std::filesystem::path& journal, const JournalKey* key);

// Replaces the head of `journal` atomically with one naming the record `seq` (hash `hash`)
// that ends at byte `size`. Throws JournalError (io).
void write_head(const std::filesystem::path& journal, std::uint64_t size, std::uint64_t seq, const std::string& hash,
                const JournalKey* key);

}  // namespace writ::runtime
