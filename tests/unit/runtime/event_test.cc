#include "runtime/event.h"

#include <catch2/catch.hpp>

#include "runtime/json_input.h"

using namespace writ;
using namespace writ::runtime;
using Catch::Matchers::Contains;
using Kind = expr::Type::Kind;

namespace {

std::vector<ir::EventField> schema() {
  return {{"id", expr::Type::of(Kind::String)},          {"severity", expr::Type::of(Kind::String)},
          {"host_id", expr::Type::nominal("host")},      {"source_ip", expr::Type::nominal("ip")},
          {"confidence", expr::Type::of(Kind::Float)},   {"count", expr::Type::of(Kind::Int)},
          {"live", expr::Type::of(Kind::Bool)},          {"detected_at", expr::Type::of(Kind::Timestamp)},
          {"window", expr::Type::of(Kind::Duration)},    {"channels", expr::Type::list(expr::Type::nominal("channel"))}};
}

Event typed(const std::string& text) {
  auto event = parse_event(text, "event.json", 64);
  type_event(event, schema());
  return event;
}

}  // namespace

TEST_CASE("an event is typed against the schema", "[runtime][event]") {
  auto event = typed(R"({"id":"evt-1","severity":"high","host_id":"ws-1","source_ip":"2001:db8::1","confidence":1,
    "count":3,"live":true,"detected_at":"2026-11-27T08:00:00Z","window":"15m","channels":["slack"],"extra":{"x":1}})");
  CHECK(event.id() == "evt-1");
  CHECK(event.severity() == "high");
  CHECK(event.fields.at("confidence") == expr::Value{1.0});
  CHECK(event.fields.at("count") == expr::Value{std::int64_t{3}});
  CHECK(event.fields.at("window") == expr::Value{expr::DurationValue{900}});
  CHECK(event.fields.at("detected_at") == expr::Value{expr::TimestampValue{1795766400}});
  CHECK(event.fields.at("channels") == expr::Value{expr::ValueList{expr::Value{std::string("slack")}}});
  CHECK_FALSE(event.fields.count("extra"));  // undeclared: approvers see it, templates cannot
  CHECK(event.raw.contains("extra"));
}

TEST_CASE("absent and null fields stay absent", "[runtime][event]") {
  auto event = typed(R"({"severity":"low","host_id":null})");
  CHECK(event.fields.size() == 1);  // severity only
  CHECK_FALSE(event.fields.count("host_id"));
  const auto env = make_environment(event, "run-1");
  CHECK_FALSE(env.lookup(std::vector<std::string>{"event", "host_id"}));
  CHECK(env.lookup(std::vector<std::string>{"run", "id"}) == expr::Value{std::string("run-1")});
}

TEST_CASE("a field of the wrong type is an error naming the field", "[runtime][event]") {
  CHECK_THROWS_WITH(typed(R"({"severity":"low","confidence":"high"})"),
                    Contains("event.json: field `confidence`: expected float, got string"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","count":1.5})"), Contains("field `count`: expected int, got float"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","source_ip":"not-an-ip"})"), Contains("field `source_ip`"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","host_id":""})"), Contains("field `host_id`: expected host, got an empty string"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","detected_at":"yesterday"})"), Contains("RFC 3339"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","channels":["slack",3]})"), Contains("field `channels`: element 1"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","live":"true"})"), Contains("expected bool, got string"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","window":"soon"})"), Contains("duration"));
}

TEST_CASE("the event must be an object with a string severity", "[runtime][event]") {
  CHECK_THROWS_WITH(parse_event("[1]", "e.json", 64), Contains("must be a JSON object, got array"));
  CHECK_THROWS_WITH(parse_event("{}", "e.json", 64), Contains("field `severity` is missing"));
  CHECK_THROWS_WITH(parse_event(R"({"severity":3})", "e.json", 64), Contains("field `severity`: expected string, got integer"));
  CHECK_THROWS_WITH(parse_event("{", "e.json", 64), Contains("e.json:1:2: invalid JSON"));
}

TEST_CASE("rendered values become connector JSON", "[runtime][event]") {
  CHECK(value_to_json(expr::Value{expr::DurationValue{60}}) == 60);
  CHECK(value_to_json(expr::Value{expr::TimestampValue{0}}) == "1970-01-01T00:00:00Z");
  CHECK(value_to_json(expr::Value{}) == nullptr);
  CHECK(value_to_json(expr::Value{0.5}) == 0.5);
}

TEST_CASE("a NUL anywhere in an event is refused when it is parsed, naming the field", "[runtime][event][trust]") {
  // Finding 2: "abc\u0000def" reached an exec argv as "abc" while the journal held all of it.
  CHECK_THROWS_WITH(parse_event(R"({"severity":"low","user_account":"abc\u0000def"})", "e.json", 64),
                    Contains("e.json: field `user_account`: holds a NUL character (U+0000)"));
  CHECK_THROWS_WITH(parse_event(R"({"severity":"low","extra":{"list":["a","b\u0000"]}})", "e.json", 64),
                    Contains("field `extra.list[1]`: holds a NUL"));
  CHECK_THROWS_WITH(parse_event(R"({"severity":"low","extra":{"k\u0000ey":1}})", "e.json", 64),
                    Contains(R"(field `"extra.k\u0000ey"`: holds a NUL)"));
  CHECK_THROWS_WITH(parse_event(R"({"severity":"lo\u0000w"})", "e.json", 64), Contains("field `severity`: holds a NUL"));
  CHECK_NOTHROW(parse_event(R"({"severity":"low","note":"tab\tand\u0001 are data"})", "e.json", 64));
}

TEST_CASE("nominal values are validated when the event is typed", "[runtime][event][trust]") {
  CHECK_THROWS_WITH(typed(R"({"severity":"low","host_id":"-o/some/path"})"),
                    Contains(R"(event.json: field `host_id`: "-o/some/path" is not a hostname or IP address)"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","source_ip":"10.0.0.999"})"),
                    Contains(R"(field `source_ip`: "10.0.0.999" is not an IPv4 or IPv6 address)"));
  CHECK_THROWS_WITH(typed(R"({"severity":"low","channels":["slack","sl\u001b[2Jack"]})"),
                    Contains(R"(field `channels`: element 1: "sl\u001b[2Jack" holds a control character (U+001B at byte 2))"));
  CHECK_NOTHROW(typed(R"({"severity":"low","host_id":"2001:db8::7","source_ip":"192.0.2.1"})"));
  // A long hostile value is cut in the message.
  const std::string long_value(500, '/');
  CHECK_THROWS_WITH(typed(R"({"severity":"low","host_id":")" + long_value + R"("})"),
                    Contains("\"" + std::string(80, '/') + "...\" is not a hostname"));
}

TEST_CASE("the bundled events type against the default schema", "[runtime][event][trust]") {
  const std::vector<ir::EventField> stdlib = {
      {"id", expr::Type::of(Kind::String)},          {"severity", expr::Type::of(Kind::String)},
      {"host_id", expr::Type::nominal("host")},      {"user_account", expr::Type::nominal("user")},
      {"user_id", expr::Type::nominal("user")},      {"segment_id", expr::Type::nominal("segment")},
      {"source_ip", expr::Type::nominal("ip")},      {"confidence", expr::Type::of(Kind::Float)},
      {"impact", expr::Type::of(Kind::String)},      {"detected_at", expr::Type::of(Kind::Timestamp)}};
  for (const char* name : {"critical", "high", "medium", "low"}) {
    CAPTURE(name);
    const auto path = std::string(WRIT_SOURCE_DIR) + "/runbooks/events/" + name + ".json";
    auto event = parse_event(read_text_file(path, 1 << 20), path, 64);
    CHECK_NOTHROW(type_event(event, stdlib));
    CHECK(event.fields.size() == stdlib.size());
  }
}
