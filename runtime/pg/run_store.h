// The PostgreSQL run store (DESIGN §15, docs/scale-out.md): `--store postgresql://…`. The same
// journal as the file store — each row holds the record exactly as journal.jsonl would (the §9
// canonical JSON, hash chain, §13 MAC) — with the head (last seq and hash, and its MAC when
// keyed) in the run's row, updated in the same transaction as the append, so a removed row
// or a rewritten head is detected as on disk.
//
// One writer per run, across machines: opening a run takes its lease (owner, token, expiry on
// the database's clock). The writer renews it while it holds the run; every append is fenced by
// the token (the append commits only while the lease is still this writer's), so a node that
// lost its lease — paused, partitioned, presumed dead — can never append again: it gets
// JournalProblem::in_use and stops touching the run. An expired lease may be taken by anyone.
// Unreachable database: JournalProblem::io; nothing is written half.
// Thread-safety: the store's methods may be called from many threads; each sink has its own
// connection and is used by one thread (its renewal thread shares it under a lock).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/pg/connection.h"
#include "runtime/run_store.h"

namespace writ::runtime::pg {

struct PgStoreOptions {
  std::string dsn;
  std::chrono::milliseconds lease{30'000};
  std::string node;  // this process, as leases name it (default: host:pid)
};

class PgRunStore final : public RunStore {
 public:
  // Connects and migrates the schema. Throws PgError.
  explicit PgRunStore(PgStoreOptions options);

  std::string describe() const override { return name_; }
  std::string locate(const std::string& run_id) const override;
  std::unique_ptr<JournalSink> create(const std::string& run_id, const JournalOptions& options) override;
  std::unique_ptr<JournalSink> open(const std::string& run_id, const JournalOptions& options,
                                    const RecordVisitor& visit, JournalStatus* status) override;
  JournalStatus scan(const std::string& run_id, const JournalOptions& options,
                     const RecordVisitor& visit) const override;
  bool exists(const std::string& run_id) const override;
  std::vector<std::string> runs() const override;
  bool writable() const override;
  bool shared() const override { return true; }
  std::map<std::string, Head> heads() const override;
  std::vector<std::string> claim_unheld(const std::vector<std::string>& candidates, std::size_t limit) override;

  const PgStoreOptions& options() const { return options_; }

 private:
  template <typename Fn>
  auto with_connection(Fn&& fn, bool idempotent = true) const;
  std::uint64_t claim(const std::string& run_id);
  void release(const std::string& run_id, std::uint64_t token);
  void scan_verified(const std::string& run_id, const JournalOptions& options, const RecordVisitor& visit,
                     JournalStatus& status) const;

  PgStoreOptions options_;
  std::string name_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<Connection> connection_;
  void reconnect() const;  // under mutex_
  mutable std::optional<std::string> last_failure_;
  mutable std::chrono::steady_clock::time_point retry_at_{};
  mutable std::chrono::milliseconds backoff_{100};
};

// The node name leases record by default: "HOSTNAME:PID".
std::string default_node_name();

}  // namespace writ::runtime::pg
