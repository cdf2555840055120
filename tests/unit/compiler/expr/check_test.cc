#include <catch2/catch.hpp>
#include <string>

#include "compiler/expr/expr.h"
#include "tests/unit/compiler/expr/test_support.h"

using namespace writ;
using namespace writ::expr;
using writ::expr::testing::parse;
using writ::expr::testing::same_tree;
using writ::expr::testing::test_scope;

namespace {

using K = Type::Kind;

// Parses and checks `text` against `expected`; the result keeps the diagnostics.
struct Checked {
  testing::Parsed parsed;
  Type type;
  const std::vector<Diagnostic>& diagnostics() const { return parsed.sink.diagnostics(); }
};

Checked check_text(std::string_view text, const Type* expected = nullptr, bool is_template = false) {
  Checked out{parse(text, is_template), Type::error()};
  REQUIRE(out.parsed.sink.diagnostics().empty());
  Scope scope = test_scope();
  scope.source = out.parsed.source;
  out.type = check(*out.parsed.node, expected, scope, out.parsed.sink);
  return out;
}

Type type_of(std::string_view text) {
  auto c = check_text(text);
  INFO(text);
  CHECK(c.diagnostics().empty());
  return c.type;
}

std::string error_of(std::string_view text, const Type* expected = nullptr, bool is_template = false) {
  auto c = check_text(text, expected, is_template);
  INFO(text);
  REQUIRE(c.diagnostics().size() == 1);
  CHECK(c.diagnostics().front().rule == Rule::TemplateBinding);
  return c.diagnostics().front().message;
}

const Type kBool = Type::of(K::Bool);
const Type kString = Type::of(K::String);
const Type kHost = Type::nominal("host");
const Type kUser = Type::nominal("user");
const Type kChannels = Type::list(Type::nominal("channel"));

}  // namespace

TEST_CASE("type names, equality and assignability", "[expr]") {
  std::set<std::string> nominals = {"host", "channel"};
  CHECK(*parse_type_name("list<channel>", nominals) == Type::list(Type::nominal("channel")));
  CHECK(*parse_type_name(" duration ", nominals) == Type::of(K::Duration));
  CHECK(*parse_type_name("host", nominals) == kHost);
  CHECK_FALSE(parse_type_name("hots", nominals));
  CHECK_FALSE(parse_type_name("list<hots>", nominals));
  CHECK_FALSE(parse_type_name("list<host", nominals));
  CHECK(kChannels.to_string() == "list<channel>");
  CHECK(Type::error().to_string() == "<error>");
  CHECK(Type::of(K::Timestamp).to_string() == "timestamp");
  CHECK_FALSE(kHost == kUser);
  CHECK_FALSE(Type::list(kHost) == Type::list(kUser));

  CHECK(assignable(kString, kHost));
  CHECK(assignable(kHost, kString));
  CHECK_FALSE(assignable(kHost, kUser));
  CHECK(assignable(Type::of(K::Int), Type::of(K::Float)));
  CHECK_FALSE(assignable(Type::of(K::Float), Type::of(K::Int)));
  CHECK(assignable(Type::list(Type::of(K::Int)), Type::list(Type::of(K::Float))));
  CHECK_FALSE(assignable(Type::list(kHost), Type::list(kUser)));
  CHECK(assignable(Type{K::List, {}, nullptr}, kChannels));
  CHECK(assignable(Type::error(), kUser));
  CHECK(assignable(kUser, Type::error()));
  CHECK_FALSE(assignable(Type::of(K::Duration), Type::of(K::Int)));
}

TEST_CASE("an unknown field in a template is reported exactly on the field", "[expr]") {
  auto c = check_text("{{event.hostid}}", &kHost, true);
  REQUIRE(c.diagnostics().size() == 1);
  const Diagnostic& d = c.diagnostics().front();
  CHECK(d.rule == Rule::TemplateBinding);
  CHECK(d.message == "`event` has no field `hostid`");
  REQUIRE(d.help.size() == 1);
  CHECK(d.help.front() == "did you mean `host_id`?");
  CHECK(d.span.begin == 8);
  CHECK(d.span.end == 14);
  CHECK(d.source == c.parsed.source);
  CHECK(d.runbook == "active_breach");
  CHECK(d.step == "isolate");
  CHECK(c.parsed.node->type.is_error());
}

TEST_CASE("unbound variables get a did-you-mean", "[expr]") {
  auto c = check_text("evnt.host_id == \"x\"", &kBool);
  REQUIRE(c.diagnostics().size() == 1);
  const Diagnostic& d = c.diagnostics().front();
  CHECK(d.message == "unbound variable `evnt`");
  CHECK(d.help == std::vector<std::string>{"did you mean `event`?"});
  CHECK(d.span.begin == 0);
  CHECK(d.span.end == 4);
  CHECK(error_of("event") == "`event` is not a value; name one of its fields, such as `event.attempts`");
  CHECK(error_of("event.host_id.name") == "`event.host_id` (a host) has no field `name`");
}

TEST_CASE("a user is not a host", "[expr]") {
  CHECK(error_of("event.host_id", &kUser) == "expected `user`, found `host`");
  CHECK(error_of("event.user_id", &kHost) == "expected `host`, found `user`");
  CHECK(check_text("event.user_account", &kUser).diagnostics().empty());
  CHECK(check_text("\"web-01\"", &kHost).diagnostics().empty());
  CHECK(check_text("web-{{ event.id }}", &kHost, true).diagnostics().empty());
  CHECK(error_of("event.host_id == event.user_id") == "cannot compare `host` with `user`");
  auto c = check_text("event.host_id", &kUser);
  CHECK(c.diagnostics().front().span.begin == 0);
  CHECK(c.diagnostics().front().span.end == 13);
}

TEST_CASE("enum constants: identifier and string forms give identical trees", "[expr]") {
  auto dsl = check_text("[secure_portal, encrypted_email]", &kChannels);
  auto yaml = check_text("[\"secure_portal\", \"encrypted_email\"]", &kChannels);
  CHECK(dsl.diagnostics().empty());
  CHECK(yaml.diagnostics().empty());
  CHECK(dsl.type == kChannels);
  CHECK(yaml.type == kChannels);
  REQUIRE(dsl.parsed.node->children.size() == 2);
  const Node& first = *dsl.parsed.node->children[0];
  CHECK(first.kind == Node::Kind::Literal);
  CHECK(first.literal == Value{std::string("secure_portal")});
  CHECK(first.type == Type::nominal("channel"));
  CHECK(first.path.empty());
  CHECK(first.path_spans.empty());
  CHECK(yaml.parsed.node->children[0]->type == Type::nominal("channel"));
  CHECK(same_tree(*dsl.parsed.node, *yaml.parsed.node));

  Type channel = Type::nominal("channel");
  CHECK(check_text("slack", &channel).parsed.node->kind == Node::Kind::Literal);
  CHECK(type_of("slack in event.channels") == kBool);
  CHECK(type_of("contains(event.channels, sms)") == kBool);
  CHECK(type_of("event.channel == slack") == kBool);
  CHECK(type_of("teams != event.channel") == kBool);
  auto c = check_text("event.channel == \"slack\"");
  CHECK(c.parsed.node->children[1]->type == channel);
}

TEST_CASE("unknown enum constants are errors with a did-you-mean", "[expr]") {
  auto c = check_text("[secure_portl]", &kChannels);
  REQUIRE(c.diagnostics().size() == 1);
  CHECK(c.diagnostics().front().message == "unknown channel `secure_portl`");
  CHECK(c.diagnostics().front().help == std::vector<std::string>{"did you mean `secure_portal`?"});
  CHECK(c.diagnostics().front().span.begin == 1);
  CHECK(c.diagnostics().front().span.end == 13);
  CHECK(error_of("[\"slak\"]", &kChannels) == "unknown channel `slak`");
  CHECK(error_of("\"pager\" in event.channels") == "unknown channel `pager`");
  CHECK(error_of("\"slak\" == event.channel") == "unknown channel `slak`");
  CHECK(error_of("event.channel == slak") == "unknown channel `slak`");
  // Without an enum expected, a bare identifier is a variable.
  CHECK(error_of("slack") == "unbound variable `slack`");
}

TEST_CASE("an unknown enum constant in an action argument is an action-arguments finding", "[expr]") {
  auto argument = [](std::string_view text, const Type* expected) {
    Checked out{parse(text, false), Type::error()};
    Scope scope = test_scope();
    scope.source = out.parsed.source;
    out.type = check_argument(*out.parsed.node, expected, scope, out.parsed.sink);
    return out;
  };
  const Type channel = Type::nominal("channel");
  for (auto [text, expected] : {std::pair{"[slack, slak]", &kChannels}, std::pair{"slak", &channel}}) {
    auto c = argument(text, expected);
    INFO(text);
    REQUIRE(c.diagnostics().size() == 1);
    CHECK(c.diagnostics().front().rule == Rule::ActionArguments);
    CHECK(c.diagnostics().front().message == "unknown channel `slak`");
    CHECK(c.diagnostics().front().help == std::vector<std::string>{"did you mean `slack`?"});
  }
  // Without a near miss, the values are the help.
  auto far = argument("[carrier_pigeon]", &kChannels);
  REQUIRE(far.diagnostics().size() == 1);
  CHECK(far.diagnostics().front().help ==
        std::vector<std::string>{"the channel values: email, encrypted_email, pagerduty, secure_portal, slack, sms, teams, webhook"});
  // A comparison inside the value is a template's business, as in a condition.
  auto inner = argument("event.channel == slak", &kBool);
  REQUIRE(inner.diagnostics().size() == 1);
  CHECK(inner.diagnostics().front().rule == Rule::TemplateBinding);
  // check() keeps template-binding for the same text.
  CHECK(error_of("[slack, slak]", &kChannels) == "unknown channel `slak`");
}

TEST_CASE("a string computed at run time is no enum value, but may be tested against one", "[expr]") {
  const std::string computed = "expected one of the `channel` values, found a `string` computed at run time";
  Type channel = Type::nominal("channel");
  CHECK(error_of("s{{ event.host_id }}lack", &channel, true) == computed);
  CHECK(error_of("[\"s{{ event.host_id }}lack\"]", &kChannels) == "unknown channel `s{{ event.host_id }}lack`");
  CHECK(error_of("[event.impact]", &kChannels) == computed);
  CHECK(error_of("[\"sl\" + \"ack\"]", &kChannels) == computed);
  auto c = check_text("[slack, event.impact]", &kChannels);
  REQUIRE(c.diagnostics().size() == 1);
  CHECK(c.diagnostics().front().span.begin == 8);
  CHECK(c.diagnostics().front().span.end == 20);
  CHECK(type_of("event.impact in event.channels") == kBool);
  CHECK(type_of("contains(event.channels, event.impact)") == kBool);
  CHECK(check_text("event.channel", &channel).diagnostics().empty());
}

TEST_CASE("a single value where a list is expected is told to use brackets", "[expr]") {
  auto c = check_text("\"secure_portal\"", &kChannels);
  REQUIRE(c.diagnostics().size() == 1);
  CHECK(c.diagnostics().front().message == "expected `list<channel>`, found `string`");
  CHECK(c.diagnostics().front().help == std::vector<std::string>{"a list is expected: put the value in brackets"});
  auto other = check_text("1", &kChannels);
  REQUIRE(other.diagnostics().size() == 1);
  CHECK(other.diagnostics().front().help.empty());
}

TEST_CASE("a list where one value is expected is told about for-each", "[expr]") {
  const Type channel = Type::nominal("channel");
  auto c = check_text("event.channels", &channel);
  REQUIRE(c.diagnostics().size() == 1);
  CHECK(c.diagnostics().front().message == "expected `channel`, found `list<channel>`");
  REQUIRE(c.diagnostics().front().help.size() == 1);
  CHECK(c.diagnostics().front().help.front().starts_with("to run the step once per element, write `for x in LIST`"));
}

TEST_CASE("loop variables, hidden names and step results resolve in the scope", "[expr]") {
  auto parsed = parse("u == steps.a.outputs.id && steps.a.status == \"executed\" && len(steps.b.outputs.ids) > 0");
  Scope scope = test_scope();
  scope.source = parsed.source;
  scope.locals["u"] = kUser;
  scope.step_results = true;
  scope.readable_steps["a"] = {"act", {{"id", kUser}}};
  scope.readable_steps["b"] = {"act", {{"ids", Type::list(kString)}}};
  CHECK(check(*parsed.node, &kBool, scope, parsed.sink) == kBool);
  CHECK(parsed.sink.diagnostics().empty());

  auto hidden = parse("u");
  scope.source = hidden.source;
  scope.hidden["u"] = "not here";
  check(*hidden.node, nullptr, scope, hidden.sink);
  REQUIRE(hidden.sink.diagnostics().size() == 1);
  CHECK(hidden.sink.diagnostics().front().message == "not here");

  auto later = parse("steps.c.outputs.x");
  scope.source = later.source;
  scope.unreadable_steps["c"] = "step `c` runs after this one";
  check(*later.node, nullptr, scope, later.sink);
  REQUIRE(later.sink.diagnostics().size() == 1);
  CHECK(later.sink.diagnostics().front().message == "step `c` runs after this one");

  auto field = parse("steps.a.state");
  scope.source = field.source;
  check(*field.node, nullptr, scope, field.sink);
  REQUIRE(field.sink.diagnostics().size() == 1);
  CHECK(field.sink.diagnostics().front().message == "`steps.a` has no field `state`");
  CHECK(field.sink.diagnostics().front().help == std::vector<std::string>{"did you mean `status`?"});
}

TEST_CASE("operators", "[expr]") {
  CHECK(type_of("event.severity == \"high\" && event.confidence >= 0.8") == kBool);
  CHECK(type_of("!(event.attempts > 3) || event.impact != \"low\"") == kBool);
  CHECK(type_of("1 + 2") == Type::of(K::Int));
  CHECK(type_of("1 + 2.5") == Type::of(K::Float));
  CHECK(type_of("\"host \" + event.host_id") == kString);
  CHECK(type_of("15m + 1h") == Type::of(K::Duration));
  CHECK(type_of("event.detected_at + 4bd") == Type::of(K::Timestamp));
  CHECK(type_of("-event.confidence") == Type::of(K::Float));
  CHECK(type_of("\"web\" in event.host_id") == kBool);
  CHECK(type_of("15m < 1h") == kBool);
  CHECK(type_of("event.host_id == null") == kBool);
  CHECK(error_of("event.confidence > \"x\"") == "cannot compare `float` with `string`");
  CHECK(error_of("true < false") == "`<` needs numbers, durations, timestamps or strings, found `bool`");
  CHECK(error_of("1 + \"a\"") == "cannot add `int` and `string`");
  CHECK(error_of("!event.id") == "expected `bool`, found `string`");
  CHECK(error_of("event.id && true") == "expected `bool`, found `string`");
  CHECK(error_of("1 in 2") == "`in` needs a list or a string on its right, found `int`");
  CHECK(error_of("-\"a\"") == "`-` needs a number or a duration, found `string`");
  CHECK(error_of("event.severity", &kBool) == "expected `bool`, found `string`");
  CHECK(error_of("[1, \"a\"]") == "expected `int`, found `string`");
}

TEST_CASE("builtins", "[expr]") {
  CHECK(type_of("len(event.id)") == Type::of(K::Int));
  CHECK(type_of("len(event.channels)") == Type::of(K::Int));
  CHECK(type_of("lower(event.host_id)") == kString);
  CHECK(type_of("upper(\"a\")") == kString);
  CHECK(type_of("starts_with(event.host_id, \"web\")") == kBool);
  CHECK(type_of("contains(event.impact, \"data\")") == kBool);
  CHECK(type_of("default(event.impact, \"none\")") == kString);
  CHECK(type_of("default(null, 3)") == Type::of(K::Int));
  CHECK(error_of("len(5)") == "expected a string or a list, found `int`");
  CHECK(error_of("lower(1)") == "expected `string`, found `int`");
  CHECK(error_of("default(event.confidence, \"x\")") == "expected `float`, found `string`");
  CHECK(error_of("len(1, 2)") == "`len` takes 1 argument, found 2");
  CHECK(error_of("contains(event.id)") == "`contains` takes 2 arguments, found 1");
  auto c = check_text("lenn(event.id) > 1");
  REQUIRE(c.diagnostics().size() == 1);
  CHECK(c.diagnostics().front().message == "unknown function `lenn`");
  CHECK(c.diagnostics().front().help == std::vector<std::string>{"did you mean `len`?"});
  CHECK(c.diagnostics().front().span.begin == 0);
  CHECK(c.diagnostics().front().span.end == 4);
}

TEST_CASE("one mistake gives one diagnostic", "[expr]") {
  auto one = check_text("lower(evnt.host_id) == \"x\" && len(evnt.host_id + \"a\") > 2 || !starts_with(evnt.id, \"a\")",
                        &kBool);
  CHECK(one.diagnostics().size() == 3);  // three separate uses, each reported once
  auto single = check_text("upper(lower(event.hostid)) + \"x\" == event.id", &kBool);
  CHECK(single.diagnostics().size() == 1);
  auto templ = check_text("Host {{ event.hostid }} of {{ event.id }}", &kHost, true);
  CHECK(templ.diagnostics().size() == 1);
  CHECK(templ.type == kString);
}

TEST_CASE("interpolations are strings, single templates keep their type", "[expr]") {
  CHECK(check_text("{{ event.confidence }}", nullptr, true).type == Type::of(K::Float));
  CHECK(check_text("{{ event.host_id }}", &kHost, true).diagnostics().empty());
  CHECK(check_text("score {{ event.confidence }}", nullptr, true).type == kString);
  auto c = check_text("score {{ event.confidence }}", &kBool, true);
  REQUIRE(c.diagnostics().size() == 1);
  CHECK(c.diagnostics().front().message == "expected `bool`, found `string`");
}
