// The run journal's optional HMAC key (DESIGN §13 "Journal integrity", docs/journal.md
// "MACs"). Given with `--journal-key FILE` or `journal_key: FILE` in the connectors file. The
// file's bytes, verbatim, are the HMAC-SHA256 key: at least 32 and at most 4096 of them, in a
// regular file that neither group nor others may access (a key others can read lets them
// forge records, which is what the key is there to prevent).
//
// The key id names a key without revealing it: the first 16 hex digits of
// HMAC-SHA256(key, "writ journal key id"). It is journaled (run_started.journal_key_id and
// journal.head's key_id) so that a wrong key is reported as such, not as an altered record.
// A JournalKey is immutable and may be shared between threads; its bytes are wiped when it is
// destroyed.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace writ::runtime {

// A key file writ cannot use (missing, not a regular file, too short, too open). The message
// names the file. A usage mistake: the command refuses before it reads any journal.
struct JournalKeyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class JournalKey {
 public:
  static constexpr std::size_t kMinBytes = 32;
  static constexpr std::size_t kMaxBytes = 4096;

  // Reads FILE (see above). Throws JournalKeyError.
  static JournalKey load(const std::string& path);
  // A key from bytes already in memory; `origin` names it in messages. Throws JournalKeyError
  // when there are fewer than kMinBytes or more than kMaxBytes.
  static JournalKey from_bytes(std::string bytes, std::string origin);

  ~JournalKey();
  JournalKey(const JournalKey&) = default;
  JournalKey& operator=(const JournalKey&) = default;
  JournalKey(JournalKey&&) = default;
  JournalKey& operator=(JournalKey&&) = default;

  // HMAC-SHA256(key, message), 64 lowercase hex digits.
  std::string mac(std::string_view message) const;
  // mac(message) == expected, compared in constant time.
  bool verify(std::string_view message, std::string_view expected) const;
  const std::string& id() const { return id_; }
  const std::string& origin() const { return origin_; }

 private:
  JournalKey(std::string bytes, std::string origin);

  std::string bytes_;
  std::string id_;
  std::string origin_;
};

}  // namespace writ::runtime
