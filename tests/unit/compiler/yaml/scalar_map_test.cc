// The YAML front-end's internals: mapping decoded scalar bytes back to source bytes, and the
// pre-parse scan that refuses deep or huge documents.
#include "compiler/yaml/scalar_map.h"

#include <catch2/catch.hpp>
#include <string>

#include "compiler/yaml/prescan.h"

using namespace writ::yaml_detail;

namespace {

// The source byte that value byte `i` maps to.
char source_char(const std::string& source, const ScalarText& text, std::size_t i) {
  return source.at(text.offsets.at(i));
}

// Every non-blank value byte maps to an equal source byte, or to the backslash of its escape.
bool maps_exactly(const std::string& source, const std::string& value, const ScalarText& text) {
  if (text.offsets.size() != value.size() + 1) return false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = source_char(source, text, i);
    if (value[i] != ' ' && value[i] != '\n' && c != value[i] && c != '\\') return false;
  }
  return true;
}

}  // namespace

TEST_CASE("scalar map: plain, quoted and block styles map byte for byte", "[yaml]") {
  struct Case {
    const char* name;
    std::string source;
    std::string value;  // as yaml-cpp decodes it
    std::string raw;    // the scalar's source text (begin..end)
  };
  std::vector<Case> cases = {
      {"plain", "k: abc def  # c\n", "abc def", "abc def"},
      {"plain, anchored and tagged", "k: &a !!str abc\n", "abc", "abc"},
      {"plain over lines", "k: abc\n  def\n\n  ghi\n", "abc def\nghi", "abc\n  def\n\n  ghi"},
      {"single with ''", "k: 'it''s'\n", "it's", "'it''s'"},
      {"double with escapes", "k: \"a\\tb\\\"c\\x41\\u00e9\\U0001F600\"\n", "a\tb\"cA\xC3\xA9\xF0\x9F\x98\x80",
       "\"a\\tb\\\"c\\x41\\u00e9\\U0001F600\""},
      {"double with an escaped line break", "k: \"ab\\\n   cd\"\n", "abcd", "\"ab\\\n   cd\""},
      {"double folded", "k: \"ab  \n   cd\"\n", "ab cd", "\"ab  \n   cd\""},
      {"literal keep", "k: |+\n  a\n   b\n\n", "a\n b\n\n", "|+\n  a\n   b\n\n"},
      {"literal strip, comment in header", "k: |- # note\n    a\n    b\n", "a\nb", "|- # note\n    a\n    b"},
      {"folded", "k: >\n  a\n  b\n\n  c\n", "a b\nc\n", ">\n  a\n  b\n\n  c\n"},
      {"explicit indentation", "k: |2\n    a\n  b\n", "  a\nb\n", "|2\n    a\n  b\n"},
      {"CRLF line ends", "k: |\r\n  a\r\n  b\r\n", "a\nb\n", "|\r\n  a\r\n  b\r\n"},
      {"empty double", "k: \"\"\n", "", "\"\""},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      ScalarText text = map_scalar(c.source, 3, c.value);
      CHECK(text.exact);
      CHECK(maps_exactly(c.source, c.value, text));
      CHECK(c.source.substr(text.begin, text.end - text.begin) == c.raw);
    }
  }
}

TEST_CASE("scalar map: escapes map to their backslash, literal bytes to themselves", "[yaml]") {
  std::string source = "k: \"\\u00e9{{x}}\"\n";
  ScalarText text = map_scalar(source, 3, "\xC3\xA9{{x}}");
  REQUIRE(text.exact);
  CHECK(text.offsets[0] == 4);  // both bytes of é come from `\u00e9`
  CHECK(text.offsets[1] == 4);
  CHECK(text.offsets[2] == 10);  // `{`
  CHECK(text.offsets[4] == 12);  // `x`
  CHECK(text.offsets[7] == 15);  // the end of the value: the closing quote
  CHECK_FALSE(text.contiguous());
  ScalarText plain = map_scalar("k: abc\n", 3, "abc");
  CHECK(plain.contiguous());
}

TEST_CASE("scalar map: text that does not match falls back to the node start", "[yaml]") {
  for (std::string value : std::vector<std::string>{"zzz", "a\tb", std::string(50, 'x'), ""}) {
    for (std::string source : {"k: \"abc", "k: 'a", "k: |\n", "k: abc", "k: \"\\", "k: \"\\u12\"", "k: "}) {
      CAPTURE(source, value);
      ScalarText text = map_scalar(source, 3, value);
      REQUIRE(text.offsets.size() == value.size() + 1);
      CHECK(text.end <= source.size());
      CHECK(text.begin <= text.end);
      if (!text.exact) {
        for (auto offset : text.offsets) CHECK(offset == text.begin);
      }
    }
  }
  // A position past the end never reads out of bounds.
  ScalarText past = map_scalar("k: a", 100, "a");
  CHECK_FALSE(past.exact);
  CHECK(past.begin == 4);
}

TEST_CASE("prescan: real runbooks pass, brackets in strings, comments and block scalars do not count", "[yaml]") {
  std::string text =
      "metadata:\n  owner: \"[[[[[[[[[[\"  # [[[[[[[[[[[[\n  note: '{{{{{{{{{{{{'\n"
      "playbooks:\n  high:\n    name: a[[[[[[[[[[b\n    when: |\n      [[[[[[[[[[[[[[[[\n"
      "    steps:\n      - action: x\n        channels: [a, [b, [c]]]\n";
  CHECK_FALSE(prescan_yaml(text, 8, 1000).hit.has_value());
  CHECK(prescan_yaml(text, 5, 1000).hit.has_value());  // [a, [b, [c]]] under steps is level 6+
}

TEST_CASE("prescan: depth and node bombs are found at the byte that crosses the limit", "[yaml]") {
  auto deep = prescan_yaml("a: " + std::string(1000, '{'), 10, 1'000'000).hit;
  REQUIRE(deep.has_value());
  CHECK(deep->kind == PrescanHit::Kind::Depth);
  CHECK(deep->offset == 3 + 9);  // level 1 is the top mapping: the 10th bracket is level 11

  auto dashes = prescan_yaml(std::string(1000, '-') + "\n", 10, 1'000'000).hit;
  CHECK_FALSE(dashes.has_value());  // `----...` is a plain scalar, not nesting

  std::string seq;
  for (int i = 0; i < 100; ++i) seq += "- ";
  auto nested = prescan_yaml(seq + "x\n", 10, 1'000'000).hit;
  REQUIRE(nested.has_value());
  CHECK(nested->kind == PrescanHit::Kind::Depth);

  // A scalar line or a `- scalar` opens no level of its own.
  CHECK_FALSE(prescan_yaml("a:\n  b:\n    - x\n    - y\n      z\n", 3, 100).hit.has_value());
  CHECK(prescan_yaml("a:\n  b:\n    - x: 1\n", 3, 100).hit.has_value());

  std::string many;
  for (int i = 0; i < 600; ++i) many += "k" + std::to_string(i) + ": v\n";
  auto nodes = prescan_yaml(many, 64, 1000).hit;
  REQUIRE(nodes.has_value());
  CHECK(nodes->kind == PrescanHit::Kind::Nodes);
  CHECK_FALSE(prescan_yaml(many, 64, 1200).hit.has_value());  // 600 keys + 600 values: at the limit
}

TEST_CASE("prescan: an 8 MB single line is scanned in linear time", "[yaml]") {
  std::string line = "k: [";
  for (int i = 0; i < 1'000'000; ++i) line += "aaaaaa, ";
  line += "]\n";
  auto hit = prescan_yaml(line, 64, 200'000).hit;
  REQUIRE(hit.has_value());
  CHECK(hit->kind == PrescanHit::Kind::Nodes);
}

TEST_CASE("prescan: the second document and stray commas", "[yaml]") {
  auto two = prescan_yaml("%YAML 1.2\n---\na: b\n...\n---\nc: d\n", 64, 1000);
  CHECK_FALSE(two.hit.has_value());
  REQUIRE(two.second_document.has_value());
  CHECK(*two.second_document == 23);
  CHECK_FALSE(prescan_yaml("---\n# c\na: b\n", 64, 1000).second_document.has_value());
  CHECK_FALSE(prescan_yaml("a: |\n  ---\n", 64, 1000).second_document.has_value());

  auto comma = prescan_yaml("a: b\n, c\n", 64, 1000).hit;
  REQUIRE(comma.has_value());
  CHECK(comma->kind == PrescanHit::Kind::StrayComma);
  CHECK(comma->offset == 5);
  for (const char* fine : {"a: b, c\n", "a: [b, c]\n", "a: \",\"\n", "a: b\n  , c\n", "# ,\n"}) {
    CAPTURE(fine);
    CHECK_FALSE(prescan_yaml(fine, 64, 1000).hit.has_value());
  }
}
