#include "runtime/pg/schema.h"

#include <fmt/format.h>

namespace writ::runtime::pg {

namespace {

// Step N brings the schema from version N-1 to N. Never edit a released step: add one.
constexpr const char* kSteps[] = {
    // 1: runs with their journal head and lease; append-only journal rows; event-id dedupe.
    R"sql(
CREATE TABLE writ_runs (
  run_id      text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now(),
  last_seq    bigint NOT NULL DEFAULT 0,
  last_hash   text NOT NULL,
  key_id      text,
  head_mac    text,
  lease_owner text,
  lease_token bigint NOT NULL DEFAULT 0,
  lease_until timestamptz
);
CREATE TABLE writ_journal (
  run_id text NOT NULL REFERENCES writ_runs (run_id),
  seq    bigint NOT NULL,
  record text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE FUNCTION writ_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'writ_journal is append-only';
END $$;
CREATE TRIGGER writ_journal_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON writ_journal
  FOR EACH STATEMENT EXECUTE FUNCTION writ_journal_append_only();
CREATE TABLE writ_events (
  event_id   text PRIMARY KEY,
  run_id     text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE writ_intake (
  id     bigserial PRIMARY KEY,
  record text NOT NULL
);
)sql",
};

constexpr long long kMigrationLock = 0x77726974;  // "writ": one migrating node at a time

int current_version(Connection& connection) {
  auto result = connection.exec("SELECT max(version) FROM writ_schema");
  return result.null(0, 0) ? 0 : static_cast<int>(result.integer(0, 0));
}

}  // namespace

void migrate(Connection& connection) {
  Transaction transaction(connection);
  connection.exec("SELECT pg_advisory_xact_lock($1)", {std::to_string(kMigrationLock)});
  connection.exec(
      "CREATE TABLE IF NOT EXISTS writ_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT "
      "now())");
  const int version = current_version(connection);
  if (version > kSchemaVersion) {
    throw PgError(
        fmt::format("{}: the database holds writ schema version {}, newer than this writ knows ({}): upgrade writ; "
                    "this binary does not touch a newer schema",
                    connection.name(), version, kSchemaVersion),
        false);
  }
  for (int step = version + 1; step <= kSchemaVersion; ++step) {
    connection.script(kSteps[step - 1]);
    connection.exec("INSERT INTO writ_schema (version) VALUES ($1)", {std::to_string(step)});
  }
  transaction.commit();
}

}  // namespace writ::runtime::pg
