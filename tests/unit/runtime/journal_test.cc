#include "runtime/journal.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "common/canonical_json.h"
#include "common/sha256.h"
#include "runtime/journal_head.h"
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

JournalKey test_key(char fill = 'k') { return JournalKey::from_bytes(std::string(32, fill), "test.key"); }

// A journal of three records (keyed when given a key), its writer closed.
struct Written {
  explicit Written(std::optional<JournalKey> k = std::nullopt) : key(std::move(k)) {
    auto w = JournalWriter::create(file, options());
    w.append("run_started", clock.now(), {{"run_id", "r1"}, {"confidence", 0.92}});
    w.append("step_started", clock.now(), {{"step", "a"}});
    w.append("step_finished", clock.now(), {{"step", "a"}, {"status", "executed"}});
  }
  JournalOptions options() const { return JournalOptions{1 << 20, key ? &*key : nullptr}; }
  std::filesystem::path head() const { return journal_head_path(file); }
  std::uint64_t size() const { return std::filesystem::file_size(file); }

  TempDir dir;
  std::filesystem::path file = dir.path() / "runs" / "r1" / "journal.jsonl";
  ManualClock clock;
  std::optional<JournalKey> key;
};

// The canonical JSON of the record without hash and mac: what an auditor hashes and MACs.
std::string auditor_body(const std::string& line) {
  auto json = nlohmann::json::parse(line);
  json.erase("hash");
  json.erase("mac");
  return json.dump();
}

// Rewrites record `index` with `edit`, re-hashes it and every later record (prev), and with
// `head` rewrites journal.head to match: what someone with write access but no key can do.
void rewrite(Written& w, std::size_t index, const std::function<void(nlohmann::json&)>& edit, bool head = true) {
  auto ls = lines(slurp(w.file));
  std::string prev = index == 0 ? std::string(64, '0') : nlohmann::json::parse(ls[index - 1])["hash"].get<std::string>();
  std::uint64_t seq = 0;
  for (std::size_t i = index; i < ls.size(); ++i) {
    auto json = nlohmann::json::parse(ls[i]);
    if (i == index) edit(json);
    json["prev"] = prev;
    json.erase("hash");
    json.erase("mac");
    prev = canonical_digest(json);
    json["hash"] = prev;
    seq = json["seq"].get<std::uint64_t>();
    ls[i] = canonical_json(json);
  }
  spit(w.file, unlines(ls));
  if (head) spit(w.head(), head_text(JournalHead{w.size(), seq, prev, std::nullopt, std::nullopt}, nullptr));
}

std::string hmac_hex(const std::string& key, const std::string& message) {
  unsigned char out[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       out, &size);
  return to_hex(std::span<const std::uint8_t>(out, size));
}

JournalProblem problem_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const JournalError& e) {
    return e.problem;
  }
  FAIL("no JournalError");
  return JournalProblem::corrupt;
}

}  // namespace

TEST_CASE("records are hash-chained canonical JSON lines with a head", "[runtime][journal]") {
  Written w;
  const auto contents = read_journal(w.file);
  REQUIRE(contents.records.size() == 3);
  CHECK_FALSE(contents.torn_tail);
  CHECK_FALSE(contents.keyed);
  CHECK(contents.past_head == 0);
  CHECK(contents.records[0].seq == 1);
  CHECK(contents.records[0].prev == std::string(64, '0'));
  CHECK(contents.records[1].prev == contents.records[0].hash);
  CHECK(contents.records[0].data["confidence"] == 0.92);  // floats survive
  CHECK(contents.records[0].at == "2025-12-18T00:00:00.000Z");
  // An auditor's recomputation: sha256 of the canonical JSON without `hash`.
  const auto ls = lines(slurp(w.file));
  auto first = nlohmann::json::parse(ls[0]);
  CHECK(first["data"]["confidence"] == nlohmann::json{{"$float", "0.92"}});
  CHECK(sha256_hex(auditor_body(ls[0])) == first["hash"]);
  // The head: canonical {hash, seq, size} of the last record, and a newline.
  const auto last = nlohmann::json::parse(ls[2]);
  CHECK(slurp(w.head()) == nlohmann::json{{"hash", last["hash"]}, {"seq", 3}, {"size", w.size()}}.dump() + "\n");
}

TEST_CASE("tampering is refused with the line that broke", "[runtime][journal]") {
  Written w;
  const auto original = lines(slurp(w.file));
  SECTION("altered") {
    auto ls = original;
    ls[1].replace(ls[1].find("\"a\""), 3, "\"b\"");
    spit(w.file, unlines(ls));
    CHECK_THROWS_WITH(read_journal(w.file), Contains("journal.jsonl:2: hash does not match"));
  }
  SECTION("removed") {
    spit(w.file, unlines({original[0], original[2]}));
    CHECK_THROWS_WITH(read_journal(w.file), Contains(":2: seq 3 where 2 was expected"));
  }
  SECTION("reordered") {
    spit(w.file, unlines({original[1], original[0], original[2]}));
    CHECK_THROWS_WITH(read_journal(w.file), Contains(":1: seq 2 where 1 was expected"));
  }
  SECTION("not canonical") {
    auto ls = original;
    ls[2] = nlohmann::json::parse(ls[2]).dump(1);
    ls[2].erase(std::remove(ls[2].begin(), ls[2].end(), '\n'), ls[2].end());
    spit(w.file, unlines(ls));
    CHECK_THROWS_WITH(read_journal(w.file), Contains(":3: record is not in canonical form"));
  }
  SECTION("a duplicate key") {
    auto ls = original;
    ls[1].replace(ls[1].find("\"seq\":2"), 7, "\"seq\":9,\"seq\":2");
    spit(w.file, unlines(ls));
    CHECK_THROWS_WITH(read_journal(w.file), Contains(":2: not a JSON record") && Contains("duplicate key \"seq\""));
  }
  SECTION("garbage") {
    spit(w.file, unlines({original[0], "not json"}));
    CHECK_THROWS_WITH(read_journal(w.file), Contains(":2: not a JSON record"));
  }
  SECTION("chain") {
    auto second = nlohmann::json::parse(original[1]);
    second["prev"] = std::string(64, 'f');
    second.erase("hash");
    second["hash"] = canonical_digest(second);
    spit(w.file, unlines({original[0], canonical_json(second), original[2]}));
    CHECK_THROWS_WITH(read_journal(w.file), Contains(":2: `prev` does not match"));
  }
}

TEST_CASE("a journal cut back at a record boundary is refused", "[runtime][journal][head]") {
  Written w;
  const auto original = lines(slurp(w.file));
  spit(w.file, unlines({original[0], original[1]}));  // the last record removed: the chain still holds
  CHECK_THROWS_WITH(read_journal(w.file), Contains("shorter than the") && Contains("records were removed from its end") &&
                                              Contains("A crash cannot do this"));
  JournalContents contents;
  CHECK(problem_of([&] { JournalWriter::open(w.file, w.options(), contents); }) == JournalProblem::corrupt);
  spit(w.file, "");
  CHECK_THROWS_WITH(read_journal(w.file), Contains("0 bytes of complete records, shorter than"));
}

TEST_CASE("the head must name the record that ends where it says", "[runtime][journal][head]") {
  Written w;
  SECTION("a rewritten chain with the head left alone") {
    rewrite(w, 1, [](nlohmann::json& r) { r["data"]["step"] = "b"; }, false);
    CHECK_THROWS_WITH(read_journal(w.file), Contains("journal.jsonl:3: journal.head names a record (seq 3)") &&
                                                Contains("records were rewritten or removed"));
  }
  SECTION("a head naming a byte inside a record") {
    spit(w.head(), head_text(JournalHead{w.size() - 5, 3, std::string(64, 'a'), std::nullopt, std::nullopt}, nullptr));
    CHECK_THROWS_WITH(read_journal(w.file), Contains(":3: journal.head names a record (seq 3) ending at byte"));
  }
  SECTION("missing") {
    std::filesystem::remove(w.head());
    CHECK_THROWS_WITH(read_journal(w.file), Contains("journal.head: missing") && Contains("a crash cannot remove it"));
  }
  SECTION("missing beside an empty journal: created, crashed before the first record") {
    std::filesystem::remove(w.head());
    spit(w.file, "");
    CHECK(read_journal(w.file).records.empty());
  }
  SECTION("malformed") {
    const auto good = slurp(w.head());
    for (const std::string& bad : std::vector<std::string>{"{}\n", good.substr(0, good.size() - 1), "not json\n",
                                  nlohmann::json::parse(good).dump(1) + "\n", good.substr(0, good.size() - 2) + ",\"x\":1}\n",
                                  std::string(2000, ' ')}) {
      spit(w.head(), bad);
      CHECK_THROWS_WITH(read_journal(w.file), Contains("journal.head: not a journal head") && Contains("it was altered"));
    }
  }
}

TEST_CASE("a crash between an append and the head's update leaves one record past the head", "[runtime][journal][head]") {
  Written w;
  const auto head_before = slurp(w.head());
  {
    JournalContents contents;
    auto writer = JournalWriter::open(w.file, w.options(), contents);
    writer.append("run_finished", w.clock.now(), {{"status", "completed"}});
  }
  const auto head_after = slurp(w.head());
  spit(w.head(), head_before);  // the crash: the record is on disk, the head is not
  CHECK(read_journal(w.file).past_head == 1);
  SECTION("the writer accepts it and brings the head up to date") {
    JournalContents contents;
    auto writer = JournalWriter::open(w.file, w.options(), contents);
    CHECK(contents.past_head == 1);
    CHECK(contents.records.size() == 4);
    CHECK(slurp(w.head()) == head_after);
  }
  SECTION("two records past the head: not a crash") {
    {
      JournalContents contents;
      JournalWriter::open(w.file, w.options(), contents).append("run_resumed", w.clock.now(), nlohmann::json::object());
    }
    spit(w.head(), head_before);
    CHECK(read_journal(w.file).past_head == 2);  // a reader beside a live writer accepts them
    JournalContents contents;
    CHECK_THROWS_WITH(JournalWriter::open(w.file, w.options(), contents), Contains("2 complete record(s) after the last one"));
  }
  SECTION("a record past the head and a torn line: not a crash") {
    spit(w.file, slurp(w.file) + R"({"at":"2026)");
    JournalContents contents;
    CHECK_THROWS_WITH(JournalWriter::open(w.file, w.options(), contents), Contains("1 complete record(s) and an unfinished line"));
  }
}

TEST_CASE("a torn last line is cut off before appending", "[runtime][journal]") {
  Written w;
  spit(w.file, slurp(w.file) + R"({"at":"2026)");
  JournalContents contents;
  {
    auto writer = JournalWriter::open(w.file, w.options(), contents);
    CHECK(contents.torn_tail);
    CHECK(contents.records.size() == 3);
    writer.append("run_finished", w.clock.now(), {{"status", "completed"}});
  }
  const auto again = read_journal(w.file);
  CHECK_FALSE(again.torn_tail);
  REQUIRE(again.records.size() == 4);
  CHECK(again.records[3].seq == 4);
  CHECK(again.past_head == 0);
}

TEST_CASE("one writer per run", "[runtime][journal]") {
  Written w;
  JournalContents contents;
  auto first = JournalWriter::open(w.file, w.options(), contents);
  CHECK_THROWS_WITH(JournalWriter::open(w.file, w.options(), contents), Contains("in use by another writ process"));
  CHECK(problem_of([&] { JournalWriter::open(w.file, w.options(), contents); }) == JournalProblem::in_use);
  CHECK_THROWS_WITH(JournalWriter::create(w.file), Contains("cannot create"));
}

TEST_CASE("max_journal_record_bytes bounds every line, written and read", "[runtime][journal][limits]") {
  Written w;
  const auto longest = lines(slurp(w.file))[0].size();
  SECTION("readers refuse a longer line") {
    CHECK_THROWS_WITH(read_journal(w.file, JournalOptions{longest - 1}),
                      Contains("journal.jsonl:1: longer than the limit of") && Contains("max_journal_record_bytes"));
    CHECK_NOTHROW(read_journal(w.file, JournalOptions{longest}));
  }
  SECTION("the writer refuses a longer record before writing it") {
    JournalContents contents;
    auto writer = JournalWriter::open(w.file, JournalOptions{longest}, contents);
    const auto before = slurp(w.file);
    CHECK_THROWS_WITH(writer.append("step_started", w.clock.now(), {{"step", std::string(longest, 'x')}}),
                      Contains("record 4 (step_started) would be") && Contains("nothing was written"));
    CHECK(slurp(w.file) == before);
    CHECK_NOTHROW(read_journal(w.file));
  }
  SECTION("a refused first record leaves no journal behind") {
    const auto file = w.dir.path() / "runs" / "r2" / "journal.jsonl";
    auto writer = JournalWriter::create(file, JournalOptions{100});
    CHECK_THROWS_WITH(writer.append("run_started", w.clock.now(), {{"plan", std::string(200, 'p')}}),
                      Contains("record 1 (run_started) would be"));
    CHECK_FALSE(std::filesystem::exists(file.parent_path()));
  }
}

TEST_CASE("a keyed journal: every record and the head carry an HMAC-SHA256", "[runtime][journal][key]") {
  Written w(test_key());
  const auto ls = lines(slurp(w.file));
  // An auditor's recomputation: HMAC-SHA256(key, canonical JSON without hash and mac).
  for (const auto& line : ls) {
    const auto json = nlohmann::json::parse(line);
    CHECK(json["mac"] == hmac_hex(std::string(32, 'k'), auditor_body(line)));
    CHECK(json["hash"] == sha256_hex(auditor_body(line)));
  }
  auto head = nlohmann::json::parse(slurp(w.head()));
  CHECK(head["key_id"] == hmac_hex(std::string(32, 'k'), "writ journal key id").substr(0, 16));
  const auto head_mac = head["mac"];
  head.erase("mac");
  CHECK(head_mac == hmac_hex(std::string(32, 'k'), head.dump()));
  const auto read = read_journal(w.file, w.options());
  CHECK(read.keyed);
  CHECK(read.macs_checked);
  CHECK(read.key_id == test_key().id());
}

TEST_CASE("with a key, a rewritten and re-hashed journal is refused", "[runtime][journal][key]") {
  Written w(test_key());
  SECTION("a record rewritten and re-hashed, the head too") {
    rewrite(w, 1, [](nlohmann::json& r) { r["data"]["step"] = "b"; });
    // The attacker cannot make the head's MAC: a head without one is an unkeyed journal.
    CHECK(problem_of([&] { read_journal(w.file, w.options()); }) == JournalProblem::key);
    CHECK_THROWS_WITH(read_journal(w.file, w.options()), Contains("carries no MACs") && Contains("MACs were stripped"));
  }
  SECTION("a record rewritten and re-hashed, its old MAC kept, the keyed head kept") {
    auto ls = lines(slurp(w.file));
    auto json = nlohmann::json::parse(ls[2]);
    json["data"]["status"] = "refused";
    json.erase("hash");
    const auto mac = json["mac"];
    json.erase("mac");
    json["hash"] = canonical_digest(json);
    json["mac"] = mac;
    ls[2] = canonical_json(json);
    spit(w.file, unlines(ls));
    CHECK_THROWS_WITH(read_journal(w.file, w.options()), Contains("journal.jsonl:3: MAC does not match"));
  }
  SECTION("cut back, with the head rewritten") {
    auto ls = lines(slurp(w.file));
    ls.pop_back();
    spit(w.file, unlines(ls));
    const auto second = nlohmann::json::parse(ls[1]);
    auto head = nlohmann::json::parse(slurp(w.head()));
    head["size"] = w.size();
    head["seq"] = 2;
    head["hash"] = second["hash"];
    spit(w.head(), head.dump() + "\n");
    CHECK_THROWS_WITH(read_journal(w.file, w.options()), Contains("journal.head: the head's MAC does not match"));
  }
  SECTION("read without the key: accepted, MACs not checked; not continued") {
    const auto read = read_journal(w.file);
    CHECK(read.keyed);
    CHECK_FALSE(read.macs_checked);
    JournalContents contents;
    CHECK_THROWS_WITH(JournalWriter::open(w.file, JournalOptions{}, contents),
                      Contains("the journal is keyed (journal key id " + test_key().id() + ")") && Contains("--journal-key"));
  }
  SECTION("another key is named as such") {
    const auto other = test_key('o');
    CHECK_THROWS_WITH(read_journal(w.file, JournalOptions{1 << 20, &other}),
                      Contains("written with journal key id " + test_key().id()) && Contains("has id " + other.id()));
  }
  SECTION("MACs stripped from records but the head") {
    rewrite(w, 0, [](nlohmann::json&) {}, false);  // re-serialised without `mac`
    CHECK_THROWS_WITH(read_journal(w.file, w.options()), Contains("journal.jsonl:1: record has no MAC, but the journal is keyed"));
  }
}

TEST_CASE("a key given for an unkeyed journal is refused", "[runtime][journal][key]") {
  Written w;
  const auto key = test_key();
  CHECK(problem_of([&] { read_journal(w.file, JournalOptions{1 << 20, &key}); }) == JournalProblem::key);
  JournalContents contents;
  CHECK_THROWS_WITH(JournalWriter::open(w.file, JournalOptions{1 << 20, &key}, contents), Contains("carries no MACs"));
}

TEST_CASE("a FIFO as the journal or its head is refused, never waited on", "[runtime][journal]") {
  Written w;
  SECTION("journal") {
    std::filesystem::remove(w.file);
    REQUIRE(::mkfifo(w.file.c_str(), 0600) == 0);
    CHECK_THROWS_WITH(read_journal(w.file), Contains("journal.jsonl: is a FIFO, not a regular file"));
    JournalContents contents;
    CHECK(problem_of([&] { JournalWriter::open(w.file, w.options(), contents); }) == JournalProblem::unreadable);
  }
  SECTION("head") {
    std::filesystem::remove(w.head());
    REQUIRE(::mkfifo(w.head().c_str(), 0600) == 0);
    CHECK_THROWS_WITH(read_journal(w.file), Contains("journal.head: is a FIFO, not a regular file"));
    JournalContents contents;
    CHECK(problem_of([&] { JournalWriter::open(w.file, w.options(), contents); }) == JournalProblem::unreadable);
  }
  SECTION("symlinked head") {
    std::filesystem::rename(w.head(), w.dir.path() / "elsewhere");
    std::filesystem::create_symlink(w.dir.path() / "elsewhere", w.head());
    CHECK(problem_of([&] { read_journal(w.file); }) == JournalProblem::unreadable);
  }
}

TEST_CASE("journal key files", "[runtime][journal][key]") {
  TempDir dir;
  auto key_file = [&](const std::string& bytes, mode_t mode) {
    const auto path = dir.file("journal.key", bytes);
    ::chmod(path.c_str(), mode);
    return path;
  };
  CHECK(JournalKey::load(key_file(std::string(32, 'k'), 0600)).id() == test_key().id());
  const auto link = dir.path() / "link.key";  // secret stores mount keys as symlinks
  std::filesystem::create_symlink(dir.path() / "journal.key", link);
  CHECK(JournalKey::load(link.string()).id() == test_key().id());
  CHECK(test_key().id().size() == 16);
  CHECK(test_key().id() != test_key('o').id());
  CHECK_THROWS_WITH(JournalKey::load(key_file(std::string(31, 'k'), 0600)), Contains("at least 32 bytes, this one has 31"));
  CHECK_THROWS_WITH(JournalKey::load(key_file(std::string(32, 'k'), 0640)),
                    Contains("accessible by group or others (mode 0640)") && Contains("chmod 600"));
  CHECK_THROWS_WITH(JournalKey::load(key_file(std::string(5000, 'k'), 0600)), Contains("larger than the limit"));
  CHECK_THROWS_WITH(JournalKey::load((dir.path() / "absent").string()), Contains("absent: no such file"));
  const auto fifo = dir.path() / "fifo.key";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(JournalKey::load(fifo.string()), Contains("is a FIFO, not a regular file"));
}
