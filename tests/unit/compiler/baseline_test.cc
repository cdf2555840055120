#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/sha256.h"
#include "compiler/emit/emit.h"
#include "tests/unit/compiler/emit/fixtures.h"

using namespace writ;
using namespace writ::test;
using namespace std::string_literals;

namespace {

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("writ-baseline-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name, const std::string& contents) const {
    const std::string path = (path_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

Diagnostic finding(const std::string& path, const std::string& text, std::string_view at, Rule rule,
                   const std::string& step, const std::string& message = "m") {
  auto src = make_source(path, text);
  return make_diagnostic(rule, src, span_of(*src, at), message, "rb", step);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("fingerprint: sha256 over rule, file, runbook and step", "[emit]") {
  auto d = finding("runbooks/x.yaml", "a: b\n", "b", Rule::TemplateBinding, "isolate");
  CHECK(fingerprint(d) == sha256_hex("template-binding\0runbooks/x.yaml\0rb\0isolate"s));
  CHECK(fingerprint(d).size() == 64);

  SECTION("not the line, the column or the message") {
    auto moved = finding("runbooks/x.yaml", "\n\n# moved\n  a:   b\n", "b", Rule::TemplateBinding, "isolate", "new");
    CHECK(fingerprint(moved) == fingerprint(d));
  }
  SECTION("each of the four keys counts") {
    CHECK(fingerprint(finding("runbooks/y.yaml", "a: b\n", "b", Rule::TemplateBinding, "isolate")) != fingerprint(d));
    CHECK(fingerprint(finding("runbooks/x.yaml", "a: b\n", "b", Rule::UnknownKey, "isolate")) != fingerprint(d));
    CHECK(fingerprint(finding("runbooks/x.yaml", "a: b\n", "b", Rule::TemplateBinding, "notify")) != fingerprint(d));
    auto other_runbook = d;
    other_runbook.runbook = "rb2";
    CHECK(fingerprint(other_runbook) != fingerprint(d));
  }
  SECTION("the same relative path spelled differently is the same file") {
    CHECK(fingerprint(finding("./runbooks/../runbooks/x.yaml", "a: b\n", "b", Rule::TemplateBinding, "isolate")) ==
          fingerprint(d));
  }
  SECTION("fields cannot bleed into each other") {
    auto a = d;
    a.runbook = "r";
    a.step = "bisolate";
    auto b = d;
    b.runbook = "rb";
    b.step = "isolate";
    CHECK(fingerprint(a) != fingerprint(b));
  }
}

TEST_CASE("fingerprints: findings sharing the four keys get an occurrence index", "[emit]") {
  const std::string text = "steps:\n  - target: \"{{a}} {{b}} {{c}}\"\n";
  std::vector<Diagnostic> list{finding("r.yaml", text, "a", Rule::TemplateBinding, "s"),
                               finding("r.yaml", text, "b", Rule::TemplateBinding, "s"),
                               finding("r.yaml", text, "c", Rule::TemplateBinding, "s"),
                               finding("r.yaml", text, "steps", Rule::TemplateBinding, "other")};
  const auto prints = fingerprints(list);
  REQUIRE(prints.size() == 4);
  CHECK(prints[0] == fingerprint(list[0]));
  CHECK(prints[1] == sha256_hex("template-binding\0r.yaml\0rb\0s\0"s + "1"));
  CHECK(prints[2] == sha256_hex("template-binding\0r.yaml\0rb\0s\0"s + "2"));
  CHECK(prints[3] == fingerprint(list[3]));  // a different step starts its own count
  CHECK(std::set<std::string>(prints.begin(), prints.end()).size() == 4);
}

TEST_CASE("baseline: write, read back, and report only new findings", "[emit]") {
  TempDir dir;
  const std::string text = "steps:\n  - target: \"{{a}} {{b}}\"\n";
  auto first = finding("r.yaml", text, "a", Rule::TemplateBinding, "s");
  auto suppressed = finding("r.yaml", text, "steps", Rule::ApprovalCoverage, "s");
  suppressed.suppressed_by = "accepted";
  const std::string path = dir.path("baseline.json");
  write_baseline(path, {suppressed, first});

  const auto expected = fingerprint(first);
  CHECK(read_all(path) == "{\n  \"version\": 1,\n  \"fingerprints\": [\n    \"" + expected + "\"\n  ]\n}\n");
  CHECK(read_baseline(path) == std::vector<std::string>{expected});
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));

  // A second finding in the same step is new; the known one stays hidden even after it moved.
  const std::string edited = "# edited\nsteps:\n  - target: \"{{a}} {{b}}\"\n";
  std::vector<Diagnostic> now{finding("r.yaml", edited, "a", Rule::TemplateBinding, "s"),
                              finding("r.yaml", edited, "b", Rule::TemplateBinding, "s"),
                              finding("r.yaml", edited, "steps", Rule::DuplicateStep, "s")};
  const auto fresh = remove_baselined(now, read_baseline(path));
  REQUIRE(fresh.size() == 2);
  CHECK(fresh[0].span.begin == now[1].span.begin);
  CHECK(fresh[1].rule == Rule::DuplicateStep);

  write_baseline(path, now);
  CHECK(read_baseline(path).size() == 3);
  CHECK(remove_baselined(now, read_baseline(path)).empty());
}

TEST_CASE("baseline: fingerprints are written sorted and read back deduplicated", "[emit]") {
  TempDir dir;
  std::vector<Diagnostic> list{finding("a.yaml", "x\n", "x", Rule::Syntax, "1"),
                               finding("b.yaml", "x\n", "x", Rule::Syntax, "2"),
                               finding("c.yaml", "x\n", "x", Rule::Syntax, "3")};
  const std::string path = dir.path("b.json");
  write_baseline(path, list);
  const auto written = nlohmann::json::parse(read_all(path))["fingerprints"].get<std::vector<std::string>>();
  CHECK(std::is_sorted(written.begin(), written.end()));
  const std::string twice =
      dir.file("twice.json", R"({"version":1,"fingerprints":[")" + written[1] + R"(",")" + written[1] + R"("]})");
  CHECK(read_baseline(twice) == std::vector<std::string>{written[1]});
  CHECK(read_baseline(dir.file("empty.json", R"({"version":1,"fingerprints":[]})")).empty());
}

TEST_CASE("baseline: unreadable or malformed files are clear errors", "[emit]") {
  TempDir dir;
  auto message_of = [](const std::string& path) {
    try {
      read_baseline(path);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string missing = dir.path("missing.json");
  CHECK(message_of(missing) == "cannot read baseline " + missing + ": no such file or directory");
  CHECK(message_of(dir.path("")).ends_with(": is a directory, not a regular file"));
  const std::string garbage = dir.file("garbage.json", "{\"version\":1,");
  CHECK(message_of(garbage).starts_with("baseline " + garbage + ": not valid JSON: parse error at line 1, column 14"));
  const std::string array = dir.file("array.json", "[]");
  CHECK(message_of(array) == "baseline " + array + ": expected a JSON object");
  const std::string version = dir.file("version.json", R"({"version":2,"fingerprints":[]})");
  CHECK(message_of(version) == "baseline " + version + ": \"version\" must be 1");
  const std::string list = dir.file("list.json", R"({"version":1,"fingerprints":"abc"})");
  CHECK(message_of(list) == "baseline " + list + ": \"fingerprints\" must be an array");
  const std::string item = dir.file("item.json", R"({"version":1,"fingerprints":["ABC"]})");
  CHECK(message_of(item) == "baseline " + item + ": fingerprints[0] is not a sha256 hex string");
}

TEST_CASE("baseline: writing to an impossible path throws and leaves nothing behind", "[emit]") {
  TempDir dir;
  const std::string path = dir.path("no/such/dir/baseline.json");
  CHECK_THROWS_WITH(write_baseline(path, {}), "cannot write baseline " + path + ": No such file or directory");
  const std::string under_file = dir.file("plain", "") + "/baseline.json";
  CHECK_THROWS_WITH(write_baseline(under_file, {}), "cannot write baseline " + under_file + ": Not a directory");
}
