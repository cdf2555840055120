#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "common/text.h"
#include "compiler/expr/expr.h"
#include "tests/unit/compiler/expr/test_support.h"

using namespace writ;
using namespace writ::expr;
using writ::expr::testing::parse;

namespace {

using Fields = std::map<std::string, Value>;

Value str(std::string s) { return Value{std::move(s)}; }
Value num(std::int64_t i) { return Value{i}; }

// An environment over "event.<field>" values.
Environment event_env(const Fields& fields) {
  return Environment{[&fields](std::span<const std::string> path) -> std::optional<Value> {
    if (path.size() != 2 || path[0] != "event") return std::nullopt;
    auto it = fields.find(path[1]);
    if (it == fields.end()) return std::nullopt;
    return it->second;
  }};
}

const Fields kEvent = {
    {"host_id", str("web-01")},
    {"user_id", str("alice")},
    {"severity", str("high")},
    {"confidence", Value{0.85}},
    {"attempts", num(3)},
    {"channels", Value{ValueList{str("slack"), str("email")}}},
    {"window", Value{DurationValue{900}}},
    {"detected_at", Value{TimestampValue{1700000000}}},
    {"note", str("{{event.user_id}}")},
    {"name", str("Zoë")},
};

Value eval(std::string_view text, bool is_template = false) {
  auto p = parse(text, is_template);
  INFO(text);
  REQUIRE(p.sink.diagnostics().empty());
  return evaluate(*p.node, event_env(kEvent));
}

}  // namespace

TEST_CASE("evaluating literals, paths and operators", "[expr]") {
  CHECK(eval("event.host_id") == str("web-01"));
  CHECK(eval("event.missing") == Value{});
  CHECK(eval("1 + 2") == num(3));
  CHECK(eval("1 + 0.5") == Value{1.5});
  CHECK(eval("\"a\" + \"b\"") == str("ab"));
  CHECK(eval("15m + 1h") == Value{DurationValue{4500}});
  CHECK(eval("event.detected_at + 1d") == Value{TimestampValue{1700086400}});
  CHECK(eval("-event.attempts") == num(-3));
  CHECK(eval("- 15m") == Value{DurationValue{-900}});
  CHECK(eval("[1, event.attempts]") == Value{ValueList{num(1), num(3)}});
  CHECK(eval("event.severity == \"high\" && event.confidence > 0.8") == Value{true});
  CHECK(eval("event.attempts >= 3 && event.attempts < 4 && event.attempts <= 3") == Value{true});
  CHECK(eval("event.attempts == 3.0") == Value{true});
  CHECK(eval("event.window < 1h") == Value{true});
  CHECK(eval("\"abc\" < \"abd\"") == Value{true});
  CHECK(eval("!(event.attempts > 5) || false") == Value{true});
  CHECK(eval("\"slack\" in event.channels") == Value{true});
  CHECK(eval("\"sms\" in event.channels") == Value{false});
  CHECK(eval("\"web\" in event.host_id") == Value{true});
  CHECK(eval("event.channels == [\"slack\", \"email\"]") == Value{true});
}

TEST_CASE("evaluation is total: absent values and mismatched types", "[expr]") {
  CHECK(eval("event.missing == null") == Value{true});
  CHECK(eval("event.missing != null") == Value{false});
  CHECK(eval("event.host_id != null") == Value{true});
  CHECK(eval("event.missing > 3") == Value{false});
  CHECK(eval("event.missing <= 3") == Value{false});
  CHECK(eval("event.host_id < 3") == Value{false});
  CHECK(eval("event.host_id == 3") == Value{false});
  CHECK(eval("event.missing && true") == Value{false});
  CHECK(eval("!event.missing") == Value{true});
  CHECK(eval("1 + \"a\"") == Value{});
  CHECK(eval("9223372036854775807 + 1") == Value{});
  CHECK(eval("-(-9223372036854775807 + -1)") == Value{});
  CHECK(eval("len(event.missing)") == Value{});
  CHECK(eval("lower(event.attempts)") == Value{});
  CHECK(eval("3 in event.host_id") == Value{false});
  CHECK(eval("unknown_function(1)") == Value{});
  // Short-circuit: the right side is not needed.
  CHECK(eval("false && event.missing") == Value{false});
  CHECK(eval("true || event.missing") == Value{true});
}

TEST_CASE("builtins evaluate", "[expr]") {
  CHECK(eval("len(event.host_id)") == num(6));
  CHECK(eval("len(event.name)") == num(3));  // code points, not bytes
  CHECK(eval("len(event.channels)") == num(2));
  CHECK(eval("lower(\"WEB-01\")") == str("web-01"));
  CHECK(eval("upper(event.name)") == str("ZOë"));
  CHECK(eval("contains(event.channels, \"email\")") == Value{true});
  CHECK(eval("contains(event.host_id, \"-0\")") == Value{true});
  CHECK(eval("starts_with(event.host_id, \"web\")") == Value{true});
  CHECK(eval("starts_with(event.host_id, \"db\")") == Value{false});
  CHECK(eval("default(event.missing, \"none\")") == str("none"));
  CHECK(eval("default(event.severity, \"none\")") == str("high"));
}

TEST_CASE("interpolation renders with to_display and never re-evaluates", "[expr]") {
  CHECK(eval("Host {{ event.host_id }} ({{ event.attempts }} attempts, {{ event.confidence }})", true) ==
        str("Host web-01 (3 attempts, 0.85)"));
  CHECK(eval("within {{ event.window }}", true) == str("within 15m"));
  CHECK(eval("at {{ event.detected_at }}", true) == str("at 2023-11-14T22:13:20Z"));
  CHECK(eval("to {{ event.channels }}", true) == str("to slack, email"));
  CHECK(eval("[{{ event.missing }}]", true) == str("[]"));
  // The value itself contains a template: it is data.
  CHECK(eval("note: {{ event.note }}", true) == str("note: {{event.user_id}}"));
  CHECK(eval("{{ event.note }}", true) == str("{{event.user_id}}"));
  // A single template keeps its type.
  CHECK(eval("{{ event.attempts + 1 }}", true) == num(4));
}

TEST_CASE("values display for templates", "[expr]") {
  CHECK(Value{}.to_display().empty());
  CHECK(Value{true}.to_display() == "true");
  CHECK(num(-12).to_display() == "-12");
  CHECK(Value{2.5}.to_display() == "2.5");
  CHECK(Value{DurationValue{0}}.to_display() == "0s");
  CHECK(Value{DurationValue{90}}.to_display() == "90s");
  CHECK(Value{DurationValue{72 * 3600}}.to_display() == "3d");
  CHECK(Value{DurationValue{25 * 3600}}.to_display() == "25h");
  CHECK(Value{TimestampValue{0}}.to_display() == "1970-01-01T00:00:00Z");
  CHECK(Value{TimestampValue{-86400}}.to_display() == "1969-12-31T00:00:00Z");
}
