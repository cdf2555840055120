// The PostgreSQL run store against a real PostgreSQL 15 (ctest fixture `pg`): the journal's
// guarantees as in the file store (chain, head, MAC, bounds), leases with fencing, the schema's
// versioning, and an unreachable database.
#include "runtime/pg/run_store.h"

#include <catch2/catch.hpp>
#include <thread>

#include "runtime/pg/schema.h"
#include "tests/unit/runtime/pg/pg_test_support.h"

using namespace writ::runtime;
using namespace writ::runtime::pg;
using writ::runtime::pg::test::TempDatabase;

namespace {

PgRunStore store_for(const TempDatabase& db, const std::string& node,
                     std::chrono::milliseconds lease = std::chrono::seconds(30)) {
  return PgRunStore(PgStoreOptions{db.dsn(), lease, node});
}

WallTime at() { return WallTime{} + std::chrono::hours(24 * 365 * 56); }

std::vector<JournalRecord> records(const RunStore& store, const std::string& run, const JournalOptions& options = {}) {
  std::vector<JournalRecord> out;
  store.scan(run, options, [&](JournalRecord&& r) { out.push_back(std::move(r)); });
  return out;
}

void expire_lease(const TempDatabase& db, const std::string& run) {
  db.connect().exec("UPDATE writ_runs SET lease_until = now() - interval '1 second' WHERE run_id = $1", {run});
}

}  // namespace

TEST_CASE("a run's records are appended, chained and read back in order") {
  TempDatabase db;
  auto store = store_for(db, "node-a");
  {
    auto sink = store.create("run-1", {});
    sink->append("run_started", at(), {{"run_id", "run-1"}});
    sink->append("step_started", at(), {{"step", "isolate"}, {"ratio", 0.5}});
    CHECK(sink->last_seq() == 2);
  }
  const auto read = records(store, "run-1");
  REQUIRE(read.size() == 2);
  CHECK(read[0].type == "run_started");
  CHECK(read[1].prev == read[0].hash);
  CHECK(read[1].data["ratio"].get<double>() == 0.5);
  CHECK(store.exists("run-1"));
  CHECK_FALSE(store.exists("run-2"));
  CHECK(store.runs() == std::vector<std::string>{"run-1"});
  CHECK(store.writable());
  CHECK_THROWS_WITH(store.create("run-1", {}), Catch::Contains("the run exists"));
}

TEST_CASE("one writer per run: a held run is in use, a released one continues its chain") {
  TempDatabase db;
  auto a = store_for(db, "node-a");
  auto b = store_for(db, "node-b");
  auto sink = a.create("run-1", {});
  sink->append("run_started", at(), nlohmann::json::object());
  try {
    b.open(
        "run-1", {}, [](JournalRecord&&) {}, nullptr);
    FAIL("a held run opened");
  } catch (const JournalError& e) {
    CHECK(e.problem == JournalProblem::in_use);
    CHECK_THAT(e.what(), Catch::Contains("node-a holds its lease"));
  }
  sink.reset();
  JournalStatus status;
  std::size_t seen = 0;
  auto next = b.open(
      "run-1", {}, [&](JournalRecord&&) { ++seen; }, &status);
  CHECK(seen == 1);
  CHECK(status.last_seq == 1);
  next->append("run_resumed", at(), nlohmann::json::object());
  CHECK(records(b, "run-1").size() == 2);
  CHECK_THROWS_AS(b.open(
                      "missing", {}, [](JournalRecord&&) {}, nullptr),
                  JournalError);
}

TEST_CASE("a writer whose lease was taken over can never append again (fencing)") {
  TempDatabase db;
  auto a = store_for(db, "node-a");
  auto b = store_for(db, "node-b");
  auto stale = a.create("run-1", {});
  stale->append("run_started", at(), nlohmann::json::object());
  expire_lease(db, "run-1");  // node-a paused past its lease
  auto fresh = b.open(
      "run-1", {}, [](JournalRecord&&) {}, nullptr);
  try {
    stale->append("step_started", at(), {{"step", "isolate"}});
    FAIL("a fenced writer appended");
  } catch (const JournalError& e) {
    CHECK(e.problem == JournalProblem::in_use);
    CHECK_THAT(e.what(), Catch::Contains("lease on the run was lost"));
  }
  fresh->append("step_started", at(), {{"step", "isolate"}});
  stale.reset();  // releasing a lost lease leaves the new holder's alone
  const auto read = records(b, "run-1");
  REQUIRE(read.size() == 2);
  CHECK(read[1].data["step"] == "isolate");
  CHECK_THROWS_AS(a.open(
                      "run-1", {}, [](JournalRecord&&) {}, nullptr),
                  JournalError);
}

TEST_CASE("the lease is renewed while the writer holds the run") {
  TempDatabase db;
  auto a = store_for(db, "node-a", std::chrono::milliseconds(600));
  auto b = store_for(db, "node-b", std::chrono::milliseconds(600));
  auto sink = a.create("run-1", {});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // > 2 leases without an append
  CHECK_THROWS_AS(b.open(
                      "run-1", {}, [](JournalRecord&&) {}, nullptr),
                  JournalError);
  sink->append("run_started", at(), nlohmann::json::object());
}

TEST_CASE("rows removed, rewritten, or a head rewritten are refused naming the run") {
  TempDatabase db;
  auto store = store_for(db, "node-a");
  {
    auto sink = store.create("run-1", {});
    for (int i = 0; i < 3; ++i) sink->append("step_started", at(), {{"i", i}});
  }
  auto sql = db.connect();
  CHECK_THROWS_WITH(sql.exec("DELETE FROM writ_journal WHERE seq = 3"), Catch::Contains("append-only"));
  sql.script("ALTER TABLE writ_journal DISABLE TRIGGER USER");  // an owner who goes around it
  SECTION("the last row removed") {
    sql.exec("DELETE FROM writ_journal WHERE seq = 3");
    CHECK_THROWS_WITH(records(store, "run-1"), Catch::Contains("rows were removed or the head was rewritten"));
  }
  SECTION("the last row and the head cut back together (unkeyed: consistent, so the limit of an unkeyed store)") {
    sql.exec("DELETE FROM writ_journal WHERE seq = 3");
    sql.exec(
        "UPDATE writ_runs SET last_seq = 2, last_hash = (SELECT record::json->>'hash' FROM writ_journal WHERE seq = "
        "2)");
    CHECK(records(store, "run-1").size() == 2);
  }
  SECTION("a row's content altered") {
    sql.exec("UPDATE writ_journal SET record = replace(record, '\"i\":1', '\"i\":7') WHERE seq = 2");
    CHECK_THROWS_WITH(records(store, "run-1"), Catch::Contains("run run-1 seq 2") && Catch::Contains("altered"));
  }
  SECTION("a record larger than the limit") {
    JournalOptions small;
    small.max_record_bytes = 20;
    CHECK_THROWS_WITH(records(store, "run-1", small), Catch::Contains("longer than the limit"));
  }
}

TEST_CASE("a keyed journal's rows and head cannot be re-hashed without the key") {
  TempDatabase db;
  auto store = store_for(db, "node-a");
  const JournalKey key = JournalKey::from_bytes(std::string(32, 'k'), "test");
  JournalOptions keyed;
  keyed.key = &key;
  {
    auto sink = store.create("run-1", keyed);
    sink->append("run_started", at(), nlohmann::json::object());
    sink->append("approval_decided", at(), {{"approved", false}});
  }
  CHECK(records(store, "run-1", keyed).size() == 2);
  auto sql = db.connect();
  SECTION("the head cut back by one record") {
    sql.script("ALTER TABLE writ_journal DISABLE TRIGGER USER");
    sql.exec("DELETE FROM writ_journal WHERE seq = 2");
    sql.exec(
        "UPDATE writ_runs SET last_seq = 1, last_hash = (SELECT record::json->>'hash' FROM writ_journal WHERE seq = "
        "1)");
    CHECK_THROWS_WITH(records(store, "run-1", keyed), Catch::Contains("head's MAC does not match"));
  }
  SECTION("continuing it needs the key") {
    try {
      store.open(
          "run-1", {}, [](JournalRecord&&) {}, nullptr);
      FAIL("a keyed journal opened without its key");
    } catch (const JournalError& e) {
      CHECK(e.problem == JournalProblem::key);
    }
    auto sink = store.open(
        "run-1", keyed, [](JournalRecord&&) {}, nullptr);  // the failed open released the lease
    sink->append("run_resumed", at(), nlohmann::json::object());
  }
  SECTION("another key is named as such") {
    const JournalKey other = JournalKey::from_bytes(std::string(32, 'o'), "test");
    JournalOptions wrong;
    wrong.key = &other;
    CHECK_THROWS_WITH(records(store, "run-1", wrong), Catch::Contains("keyed with key id"));
  }
}

TEST_CASE("two nodes racing for an expired run: exactly one wins") {
  TempDatabase db;
  {
    auto seed = store_for(db, "seed");
    seed.create("run-1", {})->append("run_started", at(), nlohmann::json::object());
  }
  auto a = store_for(db, "node-a");
  auto b = store_for(db, "node-b");
  std::atomic<int> won{0}, busy{0};
  std::unique_ptr<JournalSink> sink_a, sink_b;
  auto race = [&](PgRunStore& store, std::unique_ptr<JournalSink>& sink) {
    try {
      sink = store.open(
          "run-1", {}, [](JournalRecord&&) {}, nullptr);
      ++won;
    } catch (const JournalError& e) {
      if (e.problem == JournalProblem::in_use) ++busy;
    }
  };
  std::thread ta([&] { race(a, sink_a); });
  std::thread tb([&] { race(b, sink_b); });
  ta.join();
  tb.join();
  CHECK(won == 1);
  CHECK(busy == 1);
}

TEST_CASE("the schema is versioned: created once, a newer one refused untouched") {
  TempDatabase db;
  { auto first = store_for(db, "a"); }
  { auto again = store_for(db, "b"); }  // migrating twice is a no-op
  auto sql = db.connect();
  CHECK(sql.exec("SELECT count(*) FROM writ_schema").integer(0, 0) == kSchemaVersion);
  sql.exec("INSERT INTO writ_schema (version) VALUES ($1)", {std::to_string(kSchemaVersion + 1)});
  CHECK_THROWS_WITH(store_for(db, "c"),
                    Catch::Contains("newer than this writ knows") && Catch::Contains("upgrade writ"));
}

TEST_CASE("an unreachable database is an error naming it, without its password") {
  try {
    PgRunStore store(
        PgStoreOptions{"postgresql://writ:s3cret@127.0.0.1:1/writ?connect_timeout=2", std::chrono::seconds(1), "x"});
    FAIL("connected to nothing");
  } catch (const PgError& e) {
    CHECK(e.connection_lost);
    CHECK_THAT(e.what(),
               Catch::Contains("postgresql://writ:***@127.0.0.1:1/writ") && Catch::Contains("cannot connect"));
    CHECK_THAT(e.what(), !Catch::Contains("s3cret"));
  }
}

TEST_CASE("DSNs are recognised and redacted") {
  CHECK(is_dsn("postgresql://h/db"));
  CHECK(is_dsn("postgres://h/db"));
  CHECK_FALSE(is_dsn(".writ-state"));
  CHECK(redact_dsn("postgresql://u:pw@h:5/db") == "postgresql://u:***@h:5/db");
  CHECK(redact_dsn("postgresql://h/db?user=u&password=pw&sslmode=require") ==
        "postgresql://h/db?user=u&password=***&sslmode=require");
  CHECK(redact_dsn("postgresql://u@h/db") == "postgresql://u@h/db");
}

TEST_CASE("an event id is claimed by one run, in the transaction that stores the run's first record") {
  TempDatabase db;
  auto a = store_for(db, "node-a");
  auto b = store_for(db, "node-b");
  JournalOptions claim;
  claim.claim_event = "evt-1001";
  auto first = a.create("run-1", claim);
  CHECK_FALSE(a.exists("run-1"));  // nothing is stored before the first record
  first->append("run_started", at(), nlohmann::json{{"event_id", "evt-1001"}});
  CHECK(a.exists("run-1"));
  auto second = b.create("run-2", claim);
  try {
    second->append("run_started", at(), nlohmann::json{{"event_id", "evt-1001"}});
    FAIL("a second run claimed the event");
  } catch (const JournalError& e) {
    CHECK(e.problem == JournalProblem::duplicate);
    CHECK(e.other_run == "run-1");
  }
  CHECK_FALSE(b.exists("run-2"));
  CHECK(b.runs() == std::vector<std::string>{"run-1"});
  CHECK(records(b, "run-1").size() == 1);
}
