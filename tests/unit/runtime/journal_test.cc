#include "runtime/journal.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "common/canonical_json.h"
#include "runtime_test_support.h"

using namespace writ;
using namespace writ::runtime;
using namespace writ::runtime::testing;
using Catch::Matchers::Contains;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::filesystem::path& p, const std::string& text) { std::ofstream(p, std::ios::binary | std::ios::trunc) << text; }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string unlines(const std::vector<std::string>& ls) {
  std::string out;
  for (const auto& l : ls) out += l + "\n";
  return out;
}

struct Written {
  TempDir dir;
  std::filesystem::path file = dir.path() / "runs" / "r1" / "journal.jsonl";
  ManualClock clock;
  Written() {
    auto w = JournalWriter::create(file);
    w.append("run_started", clock.now(), {{"run_id", "r1"}, {"confidence", 0.92}});
    w.append("step_started", clock.now(), {{"step", "a"}});
    w.append("step_finished", clock.now(), {{"step", "a"}, {"status", "executed"}});
  }
};

}  // namespace

TEST_CASE("records are hash-chained canonical JSON lines", "[runtime][journal]") {
  Written w;
  const auto contents = read_journal(w.file, 1 << 20);
  REQUIRE(contents.records.size() == 3);
  CHECK_FALSE(contents.torn_tail);
  CHECK(contents.records[0].seq == 1);
  CHECK(contents.records[0].prev == std::string(64, '0'));
  CHECK(contents.records[1].prev == contents.records[0].hash);
  CHECK(contents.records[0].data["confidence"] == 0.92);  // floats survive
  CHECK(contents.records[0].at == "2025-12-18T00:00:00.000Z");
  // An auditor's recomputation: sha256 of the canonical JSON without `hash`.
  auto first = nlohmann::json::parse(lines(slurp(w.file))[0]);
  CHECK(first["data"]["confidence"] == nlohmann::json{{"$float", "0.92"}});
  const auto hash = first["hash"].get<std::string>();
  first.erase("hash");
  CHECK(canonical_digest(first) == hash);
}

TEST_CASE("tampering is refused with the line that broke", "[runtime][journal]") {
  Written w;
  const auto original = lines(slurp(w.file));
  SECTION("altered") {
    auto ls = original;
    ls[1].replace(ls[1].find("\"a\""), 3, "\"b\"");
    spit(w.file, unlines(ls));
    CHECK_THROWS_WITH(read_journal(w.file, 1 << 20), Contains("journal.jsonl:2: hash does not match"));
  }
  SECTION("removed") {
    spit(w.file, unlines({original[0], original[2]}));
    CHECK_THROWS_WITH(read_journal(w.file, 1 << 20), Contains(":2: seq 3 where 2 was expected"));
  }
  SECTION("reordered") {
    spit(w.file, unlines({original[1], original[0], original[2]}));
    CHECK_THROWS_WITH(read_journal(w.file, 1 << 20), Contains(":1: seq 2 where 1 was expected"));
  }
  SECTION("not canonical") {
    auto ls = original;
    ls[2] = nlohmann::json::parse(ls[2]).dump(1);
    ls[2].erase(std::remove(ls[2].begin(), ls[2].end(), '\n'), ls[2].end());
    spit(w.file, unlines(ls));
    CHECK_THROWS_WITH(read_journal(w.file, 1 << 20), Contains(":3: record is not in canonical form"));
  }
  SECTION("garbage") {
    spit(w.file, unlines({original[0], "not json"}));
    CHECK_THROWS_WITH(read_journal(w.file, 1 << 20), Contains(":2: not a JSON record"));
  }
  SECTION("chain") {
    auto second = nlohmann::json::parse(original[1]);
    second["prev"] = std::string(64, 'f');
    second.erase("hash");
    second["hash"] = canonical_digest(second);
    spit(w.file, unlines({original[0], canonical_json(second), original[2]}));
    CHECK_THROWS_WITH(read_journal(w.file, 1 << 20), Contains(":2: `prev` does not match"));
  }
}

TEST_CASE("a torn last line is cut off before appending", "[runtime][journal]") {
  Written w;
  const auto text = slurp(w.file);
  spit(w.file, text + R"({"at":"2026)");
  JournalContents contents;
  {
    auto writer = JournalWriter::open(w.file, 1 << 20, contents);
    CHECK(contents.torn_tail);
    CHECK(contents.records.size() == 3);
    writer.append("run_finished", w.clock.now(), {{"status", "completed"}});
  }
  const auto again = read_journal(w.file, 1 << 20);
  CHECK_FALSE(again.torn_tail);
  REQUIRE(again.records.size() == 4);
  CHECK(again.records[3].seq == 4);
}

TEST_CASE("one writer per run", "[runtime][journal]") {
  Written w;
  JournalContents contents;
  auto first = JournalWriter::open(w.file, 1 << 20, contents);
  CHECK_THROWS_WITH(JournalWriter::open(w.file, 1 << 20, contents), Contains("in use by another writ process"));
  CHECK_THROWS_WITH(JournalWriter::create(w.file), Contains("cannot create"));
}

TEST_CASE("max_journal_bytes bounds what is read back", "[runtime][journal][limits]") {
  Written w;
  const auto size = std::filesystem::file_size(w.file);
  CHECK_THROWS_WITH(read_journal(w.file, size - 1), Contains("larger than the limit"));
  CHECK_NOTHROW(read_journal(w.file, size));
}
