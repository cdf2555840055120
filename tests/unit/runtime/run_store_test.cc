#include "runtime/run_store.h"

#include <catch2/catch.hpp>

#include "runtime/engine.h"
#include "runtime_test_support.h"

namespace writ::runtime {
namespace {

using testing::TempDir;

TEST_CASE("the file store keeps runs in the §9 layout and lists them", "[store]") {
  TempDir dir;
  FileRunStore store(dir.path().string());
  CHECK(store.runs().empty());
  CHECK(!store.exists("20261127T080000Z-00000001"));
  ManualClock clock;
  {
    auto journal = store.create("20261127T080000Z-00000001", JournalOptions{});
    journal->append("run_started", clock.now(), {{"n", 1}});
    CHECK(journal->last_seq() == 1);
    CHECK_THROWS_AS(store.create("20261127T080000Z-00000001", JournalOptions{}), JournalError);
    std::size_t seen = 0;
    CHECK_THROWS_AS(store.open("20261127T080000Z-00000001", JournalOptions{}, [&](JournalRecord&&) { ++seen; }, nullptr),
                    JournalError);  // in use
    store.scan("20261127T080000Z-00000001", JournalOptions{}, [&](JournalRecord&&) { ++seen; });  // readers need no lock
    CHECK(seen == 1);
  }
  CHECK(std::filesystem::is_regular_file(dir.path() / "runs" / "20261127T080000Z-00000001" / "journal.jsonl"));
  CHECK(store.locate("20261127T080000Z-00000001") == (dir.path() / "runs" / "20261127T080000Z-00000001" / "journal.jsonl").string());
  std::filesystem::create_directories(dir.path() / "runs" / "not a run id");
  CHECK(store.runs() == std::vector<std::string>{"20261127T080000Z-00000001"});
  CHECK(store.exists("20261127T080000Z-00000001"));
  CHECK(store.writable());
}

// A store that delegates to the file store and counts what the engine asks of it: the engine
// reaches runs only through the interface.
class CountingStore final : public RunStore {
 public:
  explicit CountingStore(std::string dir) : inner_(std::move(dir)) {}
  std::string describe() const override { return inner_.describe(); }
  std::string locate(const std::string& id) const override { return inner_.locate(id); }
  std::unique_ptr<JournalSink> create(const std::string& id, const JournalOptions& o) override {
    ++creates;
    return inner_.create(id, o);
  }
  std::unique_ptr<JournalSink> open(const std::string& id, const JournalOptions& o, const RecordVisitor& v, JournalStatus* s) override {
    ++opens;
    return inner_.open(id, o, v, s);
  }
  JournalStatus scan(const std::string& id, const JournalOptions& o, const RecordVisitor& v) const override {
    return inner_.scan(id, o, v);
  }
  bool exists(const std::string& id) const override { return inner_.exists(id); }
  std::vector<std::string> runs() const override { return inner_.runs(); }
  bool writable() const override { return inner_.writable(); }
  int creates = 0;
  int opens = 0;

 private:
  FileRunStore inner_;
};

TEST_CASE("the engine starts and rolls back runs through the store it is given", "[store][engine]") {
  TempDir dir;
  dir.file("rb/low.writ", "runbook low_one {\n  title \"Low\"\n  severity low\n  step t = open_ticket(summary: \"x\")\n}\n");
  auto store = std::make_shared<CountingStore>((dir.path() / "elsewhere").string());
  EngineConfig config;
  config.state_dir = (dir.path() / "unused").string();
  config.store = store;
  config.dry_run = true;
  ManualClock clock;
  Engine engine(RunbookSet::compile((dir.path() / "rb").string(), testing::stdlib_catalog()), config, clock);
  CHECK(engine.start(parse_event(R"({"id":"e","severity":"low"})", "event.json", 64), "event.json", "20261127T080000Z-00000002")
            .status == "completed");
  CHECK(engine.rollback("20261127T080000Z-00000002").status == "rolled_back");
  CHECK(store->creates == 1);
  CHECK(store->opens == 1);
  CHECK(store->runs() == std::vector<std::string>{"20261127T080000Z-00000002"});
  CHECK(!std::filesystem::exists(dir.path() / "unused" / "runs"));
}

}  // namespace
}  // namespace writ::runtime
