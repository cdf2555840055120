#include "runtime/pg/run_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <optional>
#include <thread>

#include "common/canonical_json.h"
#include "runtime/pg/schema.h"

namespace writ::runtime::pg {

namespace {

const std::string kZeroHash(64, '0');
constexpr int kFetchRows = 64;  // journal rows held at once while scanning

std::string head_mac_text(const std::string& run_id, std::uint64_t seq, const std::string& hash) {
  return canonical_json(nlohmann::json{{"hash", hash}, {"run_id", run_id}, {"seq", seq}});
}

std::optional<std::string> head_mac(const JournalKey* key, const std::string& run_id, std::uint64_t seq,
                                    const std::string& hash) {
  if (!key) return std::nullopt;
  return key->mac(head_mac_text(run_id, seq, hash));
}

std::optional<std::string> key_id(const JournalKey* key) {
  return key ? std::optional<std::string>(key->id()) : std::nullopt;
}

JournalError unreachable(const PgError& e) { return JournalError(e.what(), JournalProblem::io); }

// The run's row: its head and whether it is keyed.
struct Head {
  std::uint64_t seq = 0;
  std::string hash;
  std::optional<std::string> key_id;
  std::optional<std::string> mac;
};

std::optional<Head> read_head_row(Connection& connection, const std::string& run_id) {
  auto row = connection.exec("SELECT last_seq, last_hash, key_id, head_mac FROM writ_runs WHERE run_id = $1", {run_id});
  if (row.rows() == 0) return std::nullopt;
  Head head{static_cast<std::uint64_t>(row.integer(0, 0)), row.text(0, 1), std::nullopt, std::nullopt};
  if (!row.null(0, 2)) head.key_id = row.text(0, 2);
  if (!row.null(0, 3)) head.mac = row.text(0, 3);
  return head;
}

void check_head_key(const Head& head, const std::string& where, const JournalOptions& options) {
  if (head.key_id.has_value() != head.mac.has_value())
    throw JournalError(where + ": the head has a key id without a MAC, or a MAC without a key id");
  if (!options.key || !head.key_id) return;
  if (*head.key_id != options.key->id()) {
    throw JournalError(fmt::format("{}: the journal is keyed with key id {}, not the key given ({})", where,
                                   *head.key_id, options.key->id()),
                       JournalProblem::key);
  }
}

void check_head_mac(const Head& head, const std::string& where, const std::string& run_id,
                    const JournalOptions& options) {
  if (!options.key || !head.mac) return;
  if (!options.key->verify(head_mac_text(run_id, head.seq, head.hash), *head.mac)) {
    throw JournalError(where + ": the head's MAC does not match (the head was rewritten)", JournalProblem::key);
  }
}

// Streams and verifies a run's rows inside the caller's REPEATABLE READ transaction.
JournalStatus scan_rows(Connection& connection, const std::string& run_id, const std::string& where,
                        const JournalOptions& options, const RecordVisitor& visit) {
  const auto head = read_head_row(connection, run_id);
  if (!head) throw JournalError(fmt::format("{}: no such run", where));
  check_head_key(*head, where, options);
  JournalStatus st;
  st.keyed = head->key_id.has_value();
  st.macs_checked = st.keyed && options.key != nullptr;
  if (st.keyed) st.key_id = *head->key_id;
  connection.exec(
      "DECLARE writ_rows NO SCROLL CURSOR FOR SELECT seq, record FROM writ_journal WHERE run_id = $1 ORDER BY seq",
      {run_id});
  for (;;) {
    auto rows = connection.exec(fmt::format("FETCH {} FROM writ_rows", kFetchRows));
    for (int i = 0; i < rows.rows(); ++i) {
      const auto seq = static_cast<std::uint64_t>(rows.integer(i, 0));
      const auto line = rows.text(i, 1);
      const auto at = fmt::format("{} seq {}", where, seq);
      if (line.size() > options.max_record_bytes) {
        throw JournalError(fmt::format(
            "{}: longer than the limit of {} bytes (max_journal_record_bytes); writ never writes such a record", at,
            options.max_record_bytes));
      }
      auto record = verify_record(line, at, ExpectedRecord{st.last_seq + 1, st.last_hash, st.keyed, options.key});
      if (record.seq != seq)
        throw JournalError(fmt::format("{}: the row holds record {} (rows were moved)", at, record.seq));
      st.valid_bytes += line.size() + 1;
      ++st.record_count;
      st.last_seq = record.seq;
      st.last_hash = record.hash;
      visit(std::move(record));
    }
    if (rows.rows() < kFetchRows) break;
  }
  connection.exec("CLOSE writ_rows");
  if (st.last_seq != head->seq || st.last_hash != head->hash) {
    throw JournalError(
        fmt::format("{}: the run's head names record {} ({}), but its rows end at record {}: rows were removed or "
                    "the head was rewritten",
                    where, head->seq, head->hash.substr(0, 12), st.last_seq));
  }
  check_head_mac(*head, where, run_id, options);
  return st;
}

// One open run: appends fenced by the lease token, and a thread renewing the lease.
class PgJournalSink final : public JournalSink {
 public:
  // `token` 0: the run's row does not exist yet; the first append creates it (with the claim of
  // options.claim_event) in the transaction that stores the first record.
  PgJournalSink(const PgStoreOptions& store, std::string where, std::string run_id, std::uint64_t token,
                const JournalOptions& options, const JournalStatus& status)
      : connection_(store.dsn),
        where_(std::move(where)),
        run_id_(std::move(run_id)),
        node_(store.node),
        token_(token),
        lease_(store.lease),
        max_record_bytes_(options.max_record_bytes),
        claim_(options.claim_event),
        seq_(status.last_seq),
        head_(status.last_hash) {
    if (options.key) key_.emplace(*options.key);
    renewer_ = std::thread([this] { renew_loop(); });
  }

  ~PgJournalSink() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    renewer_.join();
    try {
      connection_.exec(
          "UPDATE writ_runs SET lease_owner = NULL, lease_until = NULL WHERE run_id = $1 AND lease_token = $2",
          {run_id_, std::to_string(token_)});
    } catch (const PgError&) {
      // Unreachable: the lease simply expires.
    }
  }

  JournalRecord append(const std::string& type, WallTime at, nlohmann::json data) override {
    std::lock_guard lock(mutex_);
    if (lost_) throw lost_lease();
    JournalRecord record{seq_ + 1, type, format_rfc3339(at), {}, head_, ""};
    const auto line = encode_record(record, data, key_ ? &*key_ : nullptr);
    if (line.size() > max_record_bytes_) {
      throw JournalError(
          fmt::format("{}: record {} ({}) would be {} bytes, more than the limit of {} (max_journal_record_bytes); "
                      "nothing was written",
                      where_, record.seq, type, line.size(), max_record_bytes_));
    }
    try {
      write(record, line);
    } catch (const PgError& e) {
      reconnect_quietly();
      throw unreachable(e);
    }
    seq_ = record.seq;
    head_ = record.hash;
    record.data = std::move(data);
    return record;
  }

  std::uint64_t last_seq() const override { return seq_; }

 private:
  JournalError lost_lease() const {
    return JournalError(
        fmt::format("{}: this node's lease on the run was lost (it expired and another writ node took the run "
                    "over); this node no longer touches it",
                    where_),
        JournalProblem::in_use);
  }

  // The first record of a run created with a claim: the event id, the run's row and the record
  // commit together, or nothing does.
  void create_with_first(const JournalRecord& record, const std::string& line) {
    Transaction transaction(connection_);
    const JournalKey* key = key_ ? &*key_ : nullptr;
    if (!claim_.empty()) {
      auto claimed = connection_.exec(
          "INSERT INTO writ_events (event_id, run_id) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING RETURNING 1",
          {claim_, run_id_});
      if (claimed.rows() != 1) {
        auto holder = connection_.exec("SELECT run_id FROM writ_events WHERE event_id = $1", {claim_});
        const auto other = holder.rows() ? holder.text(0, 0) : std::string("?");
        JournalError duplicate(fmt::format("{}: event id {} belongs to run {}", where_, claim_, other),
                               JournalProblem::duplicate);
        duplicate.other_run = other;
        throw duplicate;
      }
    }
    auto created = connection_.exec(
        "INSERT INTO writ_runs (run_id, last_seq, last_hash, key_id, head_mac, lease_owner, lease_token, lease_until) "
        "VALUES ($1, "
        "1, $2, $3, $4, $5, 1, now() + $6::bigint * interval '1 millisecond') ON CONFLICT (run_id) DO NOTHING "
        "RETURNING 1",
        {run_id_, record.hash, key_id(key), head_mac(key, run_id_, 1, record.hash), node_,
         std::to_string(lease_.count())});
    if (created.rows() != 1)
      throw JournalError(fmt::format("{}: cannot create: the run exists", where_), JournalProblem::io);
    connection_.exec("INSERT INTO writ_journal (run_id, seq, record) VALUES ($1, 1, $2)", {run_id_, line});
    transaction.commit();
    token_ = 1;
  }

  void write(const JournalRecord& record, const std::string& line) {
    if (token_ == 0) return create_with_first(record, line);
    Transaction transaction(connection_);
    const JournalKey* key = key_ ? &*key_ : nullptr;
    auto fenced = connection_.exec(
        "UPDATE writ_runs SET last_seq = $3, last_hash = $4, head_mac = $5, lease_until = now() + $6::bigint * "
        "interval '1 "
        "millisecond' WHERE run_id = $1 AND lease_token = $2 AND last_seq = $7 RETURNING 1",
        {run_id_, std::to_string(token_), std::to_string(record.seq), record.hash,
         head_mac(key, run_id_, record.seq, record.hash), std::to_string(lease_.count()),
         std::to_string(record.seq - 1)});
    if (fenced.rows() != 1) {
      lost_ = true;
      throw lost_lease();
    }
    connection_.exec("INSERT INTO writ_journal (run_id, seq, record) VALUES ($1, $2, $3)",
                     {run_id_, std::to_string(record.seq), line});
    transaction.commit();
  }

  void reconnect_quietly() {
    try {
      if (!connection_.healthy()) connection_.reset();
    } catch (const PgError&) {
      // Still unreachable: the next append or renewal tries again.
    }
  }

  void renew_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, lease_ / 3, [&] { return stopping_; });
      if (stopping_ || lost_ || token_ == 0) continue;
      try {
        auto renewed = connection_.exec(
            "UPDATE writ_runs SET lease_until = now() + $3::bigint * interval '1 millisecond' WHERE run_id = $1 AND "
            "lease_token "
            "= $2 RETURNING 1",
            {run_id_, std::to_string(token_), std::to_string(lease_.count())});
        if (renewed.rows() != 1) lost_ = true;
      } catch (const PgError&) {
        reconnect_quietly();
      }
    }
  }

  Connection connection_;
  std::string where_;
  std::string run_id_;
  std::string node_;
  std::uint64_t token_;
  std::chrono::milliseconds lease_;
  std::size_t max_record_bytes_;
  std::string claim_;
  std::optional<JournalKey> key_;
  std::uint64_t seq_;
  std::string head_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> lost_{false};
  std::thread renewer_;
};

}  // namespace

std::string default_node_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}", host, ::getpid());
}

PgRunStore::PgRunStore(PgStoreOptions options) : options_(std::move(options)), name_(redact_dsn(options_.dsn)) {
  if (options_.node.empty()) options_.node = default_node_name();
  connection_ = std::make_unique<Connection>(options_.dsn);
  migrate(*connection_);
}

std::string PgRunStore::locate(const std::string& run_id) const { return fmt::format("{} run {}", name_, run_id); }

// Runs `fn` on the store's connection under its lock, reconnecting first when the connection
// was lost. An `idempotent` fn (a read) is tried once more when the connection drops under it;
// a write is not (it may have committed). An unreachable database is JournalProblem::io.
template <typename Fn>
auto PgRunStore::with_connection(Fn&& fn, bool idempotent) const {
  std::lock_guard lock(mutex_);
  for (int attempt = 0;; ++attempt) {
    try {
      if (!connection_->healthy()) reconnect();
      return fn(*connection_);
    } catch (const PgError& e) {
      if (!e.connection_lost || !idempotent || attempt > 0) throw unreachable(e);
    }
  }
}

// While the database is down, callers fail at once with the last error rather than each
// waiting on a connection attempt; attempts are spaced 100 ms, 200 ms, … up to 5 s apart.
void PgRunStore::reconnect() const {
  const auto now = std::chrono::steady_clock::now();
  if (last_failure_ && now < retry_at_) throw PgError(*last_failure_, true);
  try {
    connection_->reset();
    last_failure_.reset();
    backoff_ = std::chrono::milliseconds(100);
  } catch (const PgError& e) {
    last_failure_ = e.what();
    retry_at_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, std::chrono::milliseconds(5000));
    throw;
  }
}

std::unique_ptr<JournalSink> PgRunStore::create(const std::string& run_id, const JournalOptions& options) {
  if (!options.claim_event.empty()) {
    if (exists(run_id))
      throw JournalError(fmt::format("{}: cannot create: the run exists", locate(run_id)), JournalProblem::io);
    try {
      return std::make_unique<PgJournalSink>(options_, locate(run_id), run_id, 0, options, JournalStatus{});
    } catch (const PgError& e) {
      throw unreachable(e);
    }
  }
  const auto token = with_connection(
      [&](Connection& c) -> std::uint64_t {
        auto row = c.exec(
            "INSERT INTO writ_runs (run_id, last_hash, key_id, head_mac, lease_owner, lease_token, lease_until) VALUES "
            "($1, $2, $3, $4, "
            "$5, 1, now() + $6::bigint * interval '1 millisecond') ON CONFLICT (run_id) DO NOTHING RETURNING "
            "lease_token",
            {run_id, kZeroHash, key_id(options.key), head_mac(options.key, run_id, 0, kZeroHash), options_.node,
             std::to_string(options_.lease.count())});
        if (row.rows() != 1)
          throw JournalError(fmt::format("{}: cannot create: the run exists", locate(run_id)), JournalProblem::io);
        return static_cast<std::uint64_t>(row.integer(0, 0));
      },
      false);
  try {
    return std::make_unique<PgJournalSink>(options_, locate(run_id), run_id, token, options, JournalStatus{});
  } catch (const PgError& e) {
    throw unreachable(e);
  }
}

std::uint64_t PgRunStore::claim(const std::string& run_id) {
  return with_connection(
      [&](Connection& c) -> std::uint64_t {
        auto row = c.exec(
            "UPDATE writ_runs SET lease_owner = $2, lease_token = lease_token + 1, lease_until = now() + $3::bigint * "
            "interval '1 "
            "millisecond' WHERE run_id = $1 AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $2) "
            "RETURNING "
            "lease_token",
            {run_id, options_.node, std::to_string(options_.lease.count())});
        if (row.rows() == 1) return static_cast<std::uint64_t>(row.integer(0, 0));
        auto holder = c.exec(
            "SELECT lease_owner, to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM "
            "writ_runs "
            "WHERE run_id = $1",
            {run_id});
        if (holder.rows() == 0) throw JournalError(fmt::format("{}: no such run", locate(run_id)));
        throw JournalError(
            fmt::format("{}: the run is in use by another writ process ({} holds its lease until {})", locate(run_id),
                        holder.null(0, 0) ? "?" : holder.text(0, 0), holder.null(0, 1) ? "?" : holder.text(0, 1)),
            JournalProblem::in_use);
      },
      false);
}

void PgRunStore::release(const std::string& run_id, std::uint64_t token) {
  try {
    with_connection([&](Connection& c) {
      c.exec("UPDATE writ_runs SET lease_owner = NULL, lease_until = NULL WHERE run_id = $1 AND lease_token = $2",
             {run_id, std::to_string(token)});
    });
  } catch (const JournalError&) {
    // Unreachable: the lease expires by itself.
  }
}

std::unique_ptr<JournalSink> PgRunStore::open(const std::string& run_id, const JournalOptions& options,
                                              const RecordVisitor& visit, JournalStatus* status_out) {
  const auto token = claim(run_id);
  try {
    JournalStatus status;
    scan_verified(run_id, options, visit, status);
    if (status.keyed && !options.key) {
      throw JournalError(
          fmt::format("{}: the journal is keyed (journal key id {}); give its key (--journal-key FILE, or journal_key "
                      "in the --connectors file) to continue it: writ does not append unkeyed records to a keyed "
                      "journal",
                      locate(run_id), status.key_id),
          JournalProblem::key);
    }
    if (status_out) *status_out = status;
    return std::make_unique<PgJournalSink>(options_, locate(run_id), run_id, token, options, status);
  } catch (...) {
    release(run_id, token);
    throw;
  }
}

JournalStatus PgRunStore::scan(const std::string& run_id, const JournalOptions& options,
                               const RecordVisitor& visit) const {
  JournalStatus status;
  scan_verified(run_id, options, visit, status);
  return status;
}

void PgRunStore::scan_verified(const std::string& run_id, const JournalOptions& options, const RecordVisitor& visit,
                               JournalStatus& status) const {
  with_connection([&](Connection& c) {
    Transaction transaction(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    status = scan_rows(c, run_id, locate(run_id), options, visit);
    transaction.commit();
  });
}

bool PgRunStore::exists(const std::string& run_id) const {
  return with_connection(
      [&](Connection& c) { return c.exec("SELECT 1 FROM writ_runs WHERE run_id = $1", {run_id}).rows() == 1; });
}

std::vector<std::string> PgRunStore::runs() const {
  return with_connection([&](Connection& c) {
    auto rows = c.exec("SELECT run_id FROM writ_runs ORDER BY run_id COLLATE \"C\"");
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(rows.rows()));
    for (int i = 0; i < rows.rows(); ++i) ids.push_back(rows.text(i, 0));
    return ids;
  });
}

std::map<std::string, RunStore::Head> PgRunStore::heads() const {
  return with_connection([&](Connection& c) {
    auto rows = c.exec("SELECT run_id, last_seq, coalesce(lease_until > now(), false) FROM writ_runs");
    std::map<std::string, Head> out;
    for (int i = 0; i < rows.rows(); ++i)
      out[rows.text(i, 0)] = Head{static_cast<std::uint64_t>(rows.integer(i, 1)), rows.text(i, 2) == "t"};
    return out;
  });
}

std::vector<std::string> PgRunStore::claim_unheld(const std::vector<std::string>& candidates, std::size_t limit) {
  if (candidates.empty() || limit == 0) return {};
  // A text[] literal: every id is a valid run id (letters, digits, '-', '_', 'T', 'Z'), quoted anyway.
  std::string array = "{";
  for (const auto& id : candidates) array += (array.size() > 1 ? ",\"" : "\"") + id + "\"";
  array += "}";
  return with_connection(
      [&](Connection& c) {
        Transaction transaction(c);
        auto rows = c.exec(
            "UPDATE writ_runs SET lease_owner = $2, lease_token = lease_token + 1, lease_until = now() + $3::bigint * "
            "interval '1 "
            "millisecond' WHERE run_id IN (SELECT run_id FROM writ_runs WHERE run_id = ANY($1::text[]) AND "
            "(lease_until IS NULL OR "
            "lease_until < now()) ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING run_id",
            {array, options_.node, std::to_string(options_.lease.count()), std::to_string(limit)});
        std::vector<std::string> claimed;
        for (int i = 0; i < rows.rows(); ++i) claimed.push_back(rows.text(i, 0));
        transaction.commit();
        return claimed;
      },
      false);
}

bool PgRunStore::writable() const {
  try {
    return with_connection([&](Connection& c) { return c.exec("SELECT NOT pg_is_in_recovery()").text(0, 0) == "t"; });
  } catch (const JournalError&) {
    return false;
  }
}

}  // namespace writ::runtime::pg
