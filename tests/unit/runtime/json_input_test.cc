#include "runtime/json_input.h"

#include <catch2/catch.hpp>
#include <string>

#include "runtime_test_support.h"

using namespace writ::runtime;
using Catch::Matchers::Contains;

TEST_CASE("malformed JSON names the origin, line and column", "[runtime][json]") {
  CHECK_THROWS_WITH(parse_json("{\n  \"a\": 1,\n  \"b\": }", "event.json", 64), Contains("event.json:3:8: invalid JSON"));
  CHECK_THROWS_WITH(parse_json("", "reply", 64), Contains("reply:1:1"));
  CHECK_THROWS_WITH(parse_json("{} trailing", "reply", 64), Contains("invalid JSON"));
  CHECK_THROWS_WITH(parse_json("\"\xff\"", "reply", 64), Contains("invalid JSON"));
}

TEST_CASE("max_json_depth bounds nesting", "[runtime][json][limits]") {
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  CHECK_THROWS_WITH(parse_json(deep, "event.json", 64), Contains("nested deeper than 64"));
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  CHECK_NOTHROW(parse_json(ok, "event.json", 64));
  const std::string very_deep = std::string(100000, '[');
  CHECK_THROWS_AS(parse_json(very_deep, "event.json", 64), JsonInputError);
}

TEST_CASE("file reads are bounded by max_bytes", "[runtime][json][limits]") {
  writ::runtime::testing::TempDir dir;
  const auto path = dir.file("event.json", std::string(2000, ' ') + "{}");
  CHECK_THROWS_WITH(read_text_file(path, 1024), Contains("larger than the limit of 1024 bytes"));
  CHECK(read_json_file(path, 4096, 64) == nlohmann::json::object());
  CHECK_THROWS_WITH(read_text_file((dir.path() / "absent").string(), 1024), Contains("absent: no such file or directory"));
  CHECK_THROWS_WITH(read_text_file(dir.path().string(), 1024), Contains("not a regular file"));
}

TEST_CASE("floats survive canonical JSON through tags", "[runtime][json]") {
  const nlohmann::json value{{"confidence", 0.92}, {"list", {1.5, 2, "x"}}, {"n", 3}};
  const auto tagged = tag_floats(value);
  CHECK(tagged["confidence"] == nlohmann::json{{"$float", "0.92"}});
  CHECK(tagged["list"][1] == 2);
  CHECK(untag_floats(tagged) == value);
  CHECK(json_kind(value["confidence"]) == "float");
  CHECK(json_kind(value["n"]) == "integer");
}
