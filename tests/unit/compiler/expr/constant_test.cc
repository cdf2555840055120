#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "compiler/expr/expr.h"
#include "tests/unit/compiler/expr/test_support.h"

using namespace writ;
using namespace writ::expr;
using writ::expr::testing::parse;

namespace {

std::optional<bool> truth(const std::string& text) {
  auto parsed = parse(text);
  REQUIRE(parsed.sink.diagnostics().empty());
  return constant_truth(*parsed.node);
}

}  // namespace

TEST_CASE("constant_truth: conditions without variables are constant", "[expr]") {
  CHECK(truth("false") == false);
  CHECK(truth("true") == true);
  CHECK(truth("1 > 2") == false);
  CHECK(truth("\"a\" == \"a\"") == true);
  CHECK(truth("!true") == false);
  CHECK(truth("null") == false);  // null is false where a bool is needed
  CHECK(truth("len([1, 2]) == 2") == true);
}

TEST_CASE("constant_truth: a variable makes a condition depend on the event", "[expr]") {
  CHECK(truth("event.confidence > 0.5") == std::nullopt);
  CHECK(truth("!(event.confidence > 0.5)") == std::nullopt);
  CHECK(truth("true && event.confidence > 0.5") == std::nullopt);
  CHECK(truth("false || event.confidence > 0.5") == std::nullopt);
  CHECK(truth("default(event.impact, \"x\") == \"x\"") == std::nullopt);
}

TEST_CASE("constant_truth: && and || absorb a constant side whatever the other holds", "[expr]") {
  CHECK(truth("false && event.confidence > 0.5") == false);
  CHECK(truth("event.confidence > 0.5 && 1 > 2") == false);
  CHECK(truth("true || event.confidence > 0.5") == true);
  CHECK(truth("!(event.confidence > 0.5 || true)") == false);
  CHECK(truth("true && !false") == true);
  CHECK(truth("false || false") == false);
}
