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

TEST_CASE("an object holding a key twice is refused at any depth, with the key's position", "[runtime][json]") {
  CHECK_THROWS_WITH(parse_json(R"({"approved": false, "approved": true})", "approval reply", 64),
                    "approval reply:1:21: duplicate key \"approved\"");
  CHECK_THROWS_WITH(parse_json("{\"a\": [1, {\"b\": 1,\n  \"c\": {\"x\": 1}, \"b\": 2}]}", "event.json", 64),
                    "event.json:2:18: duplicate key \"b\"");
  // Equal after unescaping is equal.
  CHECK_THROWS_WITH(parse_json(R"({"role": 1, "\u0072ole": 2})", "r", 64), Contains("duplicate key \"role\""));
  // A key whose text holds `":` inside a string value still gets the right position.
  CHECK_THROWS_WITH(parse_json(R"({"k": "v\":", "z": 0, "k": 1})", "r", 64), "r:1:23: duplicate key \"k\"");
  // The same key in sibling objects, or in nested objects, is no duplicate.
  CHECK_NOTHROW(parse_json(R"([{"a": 1}, {"a": 2}, {"a": {"a": {"a": 3}}}])", "r", 64));
  CHECK_NOTHROW(parse_json(R"({"a": {"b": 1}, "b": {"a": 1}})", "r", 64));
  // The message shows at most 80 bytes of a long key.
  const std::string key(500, 'k');
  try {
    parse_json("{\"" + key + "\": 1, \"" + key + "\": 2}", "r", 64);
    FAIL("accepted");
  } catch (const JsonInputError& e) {
    CHECK(std::string(e.what()).size() < 120);
  }
}
