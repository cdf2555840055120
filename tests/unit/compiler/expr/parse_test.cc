#include <catch2/catch.hpp>
#include <string>
#include <tao/pegtl/contrib/analyze.hpp>

#include "compiler/expr/expr.h"
#include "grammar/expr_grammar.h"
#include "tests/unit/compiler/expr/test_support.h"

using namespace writ;
using namespace writ::expr;
using writ::expr::testing::parse;

namespace {

const Diagnostic& only_diagnostic(const DiagnosticSink& sink) {
  REQUIRE(sink.diagnostics().size() == 1);
  return sink.diagnostics().front();
}

std::int64_t duration_of(std::string_view text) {
  auto p = parse(text);
  REQUIRE(p.sink.diagnostics().empty());
  REQUIRE(p.node->kind == Node::Kind::Literal);
  return std::get<DurationValue>(p.node->literal.v).seconds;
}

std::string nested(std::size_t depth, std::string_view open, std::string_view inner, std::string_view close) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) out += open;
  out += inner;
  for (std::size_t i = 0; i < depth; ++i) out += close;
  return out;
}

}  // namespace

TEST_CASE("expression grammars have no PEG problems", "[expr]") {
  CHECK(tao::pegtl::analyze<writ::grammar::expr::grammar>() == 0);
  CHECK(tao::pegtl::analyze<writ::grammar::expr::template_body>() == 0);
  CHECK(tao::pegtl::analyze<writ::grammar::expr::expression>() == 0);
}

TEST_CASE("operators bind by precedence and associate to the left", "[expr]") {
  auto p = parse("a || b && c == d + e");
  REQUIRE(p.sink.diagnostics().empty());
  const Node& root = *p.node;
  REQUIRE(root.kind == Node::Kind::Binary);
  CHECK(root.op == "||");
  CHECK(root.children[0]->path == std::vector<std::string>{"a"});
  const Node& conj = *root.children[1];
  CHECK(conj.op == "&&");
  const Node& eq = *conj.children[1];
  CHECK(eq.op == "==");
  CHECK(eq.children[1]->op == "+");

  auto left = parse("a + b + c");
  REQUIRE(left.node->kind == Node::Kind::Binary);
  CHECK(left.node->children[0]->op == "+");
  CHECK(left.node->children[1]->path == std::vector<std::string>{"c"});

  auto unary = parse("!a == b");
  CHECK(unary.node->op == "==");
  CHECK(unary.node->children[0]->kind == Node::Kind::Unary);

  auto grouped = parse("(a || b) && c");
  CHECK(grouped.node->op == "&&");
  CHECK(grouped.node->children[0]->op == "||");
}

TEST_CASE("paths, calls and lists carry exact spans", "[expr]") {
  auto p = parse("event.host_id in [\"a\", 'b'] && starts_with(run.id, \"x\")");
  REQUIRE(p.sink.diagnostics().empty());
  const Node& in = *p.node->children[0];
  CHECK(in.op == "in");
  const Node& path = *in.children[0];
  CHECK(path.path == std::vector<std::string>{"event", "host_id"});
  REQUIRE(path.path_spans.size() == 2);
  CHECK(path.path_spans[0].begin == 0);
  CHECK(path.path_spans[0].end == 5);
  CHECK(path.path_spans[1].begin == 6);
  CHECK(path.path_spans[1].end == 13);
  CHECK(path.span.begin == 0);
  CHECK(path.span.end == 13);
  const Node& list = *in.children[1];
  REQUIRE(list.kind == Node::Kind::List);
  REQUIRE(list.children.size() == 2);
  CHECK(list.children[1]->literal == Value{std::string("b")});
  CHECK(list.span.begin == 17);
  CHECK(list.span.end == 27);
  const Node& call = *p.node->children[1];
  CHECK(call.kind == Node::Kind::Call);
  CHECK(call.callee == "starts_with");
  CHECK(call.children.size() == 2);
  CHECK(call.span.begin == 31);
  CHECK(p.node->span.begin == 0);
  CHECK(p.node->span.end == 55);
}

TEST_CASE("literals of every kind", "[expr]") {
  CHECK(parse("42").node->literal == Value{std::int64_t{42}});
  CHECK(parse("-7").node->literal == Value{std::int64_t{-7}});
  CHECK(parse("- 7").node->kind == Node::Kind::Unary);
  CHECK(parse("1.5").node->literal == Value{1.5});
  CHECK(parse("2e3").node->literal == Value{2000.0});
  CHECK(parse("true").node->literal == Value{true});
  CHECK(parse("false").node->literal == Value{false});
  CHECK(parse("null").node->literal == Value{});
  CHECK(parse(R"("a\"b\\c\nd\te")").node->literal == Value{std::string("a\"b\\c\nd\te")});
  CHECK(parse(R"('it\'s')").node->literal == Value{std::string("it's")});
  CHECK(parse("[]").node->kind == Node::Kind::List);
  CHECK(duration_of("30s") == 30);
  CHECK(duration_of("15m") == 900);
  CHECK(duration_of("72h") == 72 * 3600);
  CHECK(duration_of("2d") == 2 * 86400);
  CHECK(duration_of("4bd") == 4 * 86400);
  CHECK(duration_of("1mo") == 28 * 86400);
  // Keywords are not variables, but any identifier may follow a dot.
  auto p = parse("event.in");
  CHECK(p.sink.diagnostics().empty());
  CHECK(p.node->path == std::vector<std::string>{"event", "in"});
}

TEST_CASE("syntax errors point at the exact position with a helpful message", "[expr]") {
  struct Case {
    std::string text;
    std::uint32_t at;
    std::string message;
  };
  const Case cases[] = {
      {"a ==", 4, "expected an expression after `==`"},
      {"a == ", 5, "expected an expression after `==`"},
      {"a &&   || b", 7, "expected an expression after `&&`"},
      {"a = b", 2, "unexpected `=`: use `==` to compare"},
      {"a b", 2, "unexpected `b` after the expression"},
      {"(a || b", 7, "expected `)` to close the parenthesis"},
      {"[1, 2", 5, "expected `,` or `]` in the list"},
      {"[1, ]", 4, "expected a list element after `,`"},
      {"len(a,)", 6, "expected an argument after `,`"},
      {"event.", 6, "expected a field name after `.`"},
      {"\"abc", 4, "unterminated string: expected a closing `\"`"},
      {"'a\\qb'", 3, "unknown escape sequence: use \\\", \\', \\\\, \\n, \\t or \\r"},
      {"15min", 3, "invalid number: a duration unit is one of s, m, h, d, bd, mo"},
      {"", 0, "expected an expression"},
      {"   ", 3, "expected an expression"},
      {"a }}", 2, "unexpected `}}` without an opening `{{`"},
      {"!", 1, "expected an expression after `!`"},
      {"99999999999999999999", 0, "integer literal `99999999999999999999` is out of range"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto p = parse(c.text);
    CHECK(p.node->kind == Node::Kind::Error);
    const Diagnostic& d = only_diagnostic(p.sink);
    CHECK(d.rule == Rule::TemplateBinding);
    CHECK(d.source == p.source);
    CHECK(d.span.begin == c.at);
    CHECK(d.message == c.message);
  }
}

TEST_CASE("input limits: expression length and nesting depth", "[expr]") {
  Limits limits;
  SECTION("too long") {
    std::string text(limits.max_expression_bytes + 1, 'a');
    auto p = parse(text);
    CHECK(p.node->kind == Node::Kind::Error);
    const Diagnostic& d = only_diagnostic(p.sink);
    CHECK(d.rule == Rule::InputLimit);
    CHECK(d.message.find("max_expression_bytes") != std::string::npos);
    auto t = parse(text, true);
    CHECK(only_diagnostic(t.sink).rule == Rule::InputLimit);
  }
  SECTION("at the length limit") {
    std::string text = "\"" + std::string(limits.max_expression_bytes - 2, 'a') + "\"";
    auto p = parse(text);
    CHECK(p.sink.diagnostics().empty());
    CHECK(p.node->kind == Node::Kind::Literal);
  }
  SECTION("nesting up to the limit is fine") {
    CHECK(parse(nested(limits.max_nesting_depth, "(", "a", ")")).sink.diagnostics().empty());
    CHECK(parse(nested(limits.max_nesting_depth, "[", "a", "]")).sink.diagnostics().empty());
    CHECK(parse(nested(limits.max_nesting_depth, "!", "a", "")).sink.diagnostics().empty());
  }
  SECTION("one level deeper is an input-limit error") {
    for (auto [open, close] : {std::pair{"(", ")"}, {"[", "]"}, {"len(", ")"}, {"!", ""}, {"- ", ""}}) {
      INFO(open);
      auto p = parse(nested(limits.max_nesting_depth + 1, open, "a", close));
      CHECK(p.node->kind == Node::Kind::Error);
      const Diagnostic& d = only_diagnostic(p.sink);
      CHECK(d.rule == Rule::InputLimit);
      CHECK(d.message.find("max_nesting_depth") != std::string::npos);
    }
  }
  SECTION("long operator chains count as depth") {
    std::string chain = "a";
    for (std::size_t i = 0; i < limits.max_nesting_depth; ++i) chain += " || a";
    CHECK(parse(chain).sink.diagnostics().empty());
    chain += " || a";
    CHECK(only_diagnostic(parse(chain).sink).rule == Rule::InputLimit);
  }
  SECTION("pathological nesting neither crashes nor hangs") {
    std::size_t n = limits.max_expression_bytes / 2;
    for (auto* open : {"(", "[", "!", "-("}) {
      auto p = parse(nested(n / std::string_view(open).size(), open, "", ""));
      CHECK(p.node->kind == Node::Kind::Error);
      CHECK(only_diagnostic(p.sink).rule == Rule::InputLimit);
    }
  }
}

TEST_CASE("templates", "[expr]") {
  SECTION("no template is a string literal") {
    auto p = parse("plain text }} with braces", true);
    REQUIRE(p.node->kind == Node::Kind::Literal);
    CHECK(p.node->literal == Value{std::string("plain text }} with braces")});
    CHECK(p.node->span.end == 25);
  }
  SECTION("exactly one template keeps the expression") {
    auto p = parse("{{event.host_id}}", true);
    REQUIRE(p.sink.diagnostics().empty());
    REQUIRE(p.node->kind == Node::Kind::Path);
    CHECK(p.node->path_spans[1].begin == 8);
    auto q = parse("{{ 15m }}", true);
    CHECK(q.node->literal == Value{DurationValue{900}});
  }
  SECTION("mixed strings interpolate") {
    auto p = parse("Host {{ event.host_id }} is down ({{ len(run.id) }})", true);
    REQUIRE(p.sink.diagnostics().empty());
    REQUIRE(p.node->kind == Node::Kind::Interpolation);
    REQUIRE(p.node->children.size() == 5);
    CHECK(p.node->children[0]->literal == Value{std::string("Host ")});
    CHECK(p.node->children[1]->kind == Node::Kind::Path);
    CHECK(p.node->children[1]->span.begin == 8);
    CHECK(p.node->children[2]->literal == Value{std::string(" is down (")});
    CHECK(p.node->children[3]->kind == Node::Kind::Call);
    CHECK(p.node->children[4]->literal == Value{std::string(")")});
    auto spaced = parse(" {{a}}", true);
    CHECK(spaced.node->kind == Node::Kind::Interpolation);
  }
  SECTION("string templates join the text around them") {
    auto p = parse("a {{ 'x' }} b", true);
    REQUIRE(p.sink.diagnostics().empty());
    REQUIRE(p.node->kind == Node::Kind::Literal);
    CHECK(p.node->literal == Value{std::string("a x b")});
    CHECK(p.node->span.begin == 0);
    CHECK(p.node->span.end == 13);
    auto q = parse("a {{ 'x' }}{{ y }}", true);
    REQUIRE(q.node->kind == Node::Kind::Interpolation);
    REQUIRE(q.node->children.size() == 2);
    CHECK(q.node->children[0]->literal == Value{std::string("a x")});
  }
  SECTION("a `}}` inside a string literal does not close the template") {
    auto p = parse("{{ \"}}\" + a }}", true);
    REQUIRE(p.sink.diagnostics().empty());
    CHECK(p.node->op == "+");
  }
  SECTION("an unterminated template points at its `{{`") {
    auto p = parse("Host {{ event.host_id", true);
    CHECK(p.node->kind == Node::Kind::Error);
    const Diagnostic& d = only_diagnostic(p.sink);
    CHECK(d.rule == Rule::TemplateBinding);
    CHECK(d.span.begin == 5);
    CHECK(d.span.end == 7);
    CHECK(d.message == "unterminated template: `{{` has no closing `}}`");
  }
  SECTION("a bad template body is reported inside the template") {
    auto p = parse("x {{ a b }}", true);
    const Diagnostic& d = only_diagnostic(p.sink);
    CHECK(d.span.begin == 7);
    CHECK(d.message == "expected `}}` to close the template");
    auto q = parse("x {{ }} y", true);
    CHECK(only_diagnostic(q.sink).message == "expected an expression");
    CHECK(only_diagnostic(q.sink).span.begin == 5);
  }
}

TEST_CASE("spans map through TextOrigin offsets and bases", "[expr]") {
  // The YAML line `k: "a\tb {{evnt}}"`: the value is `a<TAB>b {{evnt}}`, and the escape
  // `\t` takes two source bytes.
  auto source = testing::make_source("k: \"a\\tb {{evnt}}\"");
  std::string value = "a\tb {{evnt}}";
  TextOrigin origin{source, 0, {}};
  origin.offsets = {4, 5, 7};
  for (std::uint32_t i = 3; i <= value.size(); ++i) origin.offsets.push_back(5 + i);
  CHECK(origin.at(1) == 5);
  CHECK(origin.span(1, 2).begin == 5);
  CHECK(origin.span(1, 2).end == 7);  // the whole escape
  DiagnosticSink sink;
  auto node = parse_template(value, origin, sink);
  REQUIRE(node->kind == Node::Kind::Interpolation);
  CHECK(node->children[1]->span.begin == 11);
  CHECK(node->children[1]->span.end == 15);
  CHECK(source->text().substr(11, 4) == "evnt");

  // Contiguous text at a base offset.
  auto dsl = testing::make_source("when event.id == ");
  TextOrigin at_base{dsl, 5, {}};
  DiagnosticSink errors;
  auto bad = parse_expression("event.id == ", at_base, errors);
  CHECK(bad->kind == Node::Kind::Error);
  CHECK(only_diagnostic(errors).span.begin == 17);
}
