// Every limit in common/limits.h, at its boundary, through each front-end that enforces it:
// an input exactly at the limit is accepted (no input-limit diagnostic), one unit over it gets
// exactly one input-limit diagnostic that points inside the file. DESIGN §12.
#include "common/limits.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "compiler/dsl/parser.h"
#include "compiler/expr/expr.h"
#include "compiler/pipeline.h"
#include "compiler/yaml/loader.h"

using namespace writ;

namespace {

enum class Front { Yaml, Dsl };

struct Parsed {
  SourcePtr source;
  DiagnosticSink sink;
  ast::File file;

  std::size_t limit_hits() const {
    std::size_t n = 0;
    for (const auto& d : sink.diagnostics()) n += d.rule == Rule::InputLimit ? 1 : 0;
    return n;
  }
  const Diagnostic& hit() const {
    for (const auto& d : sink.diagnostics()) {
      if (d.rule == Rule::InputLimit) return d;
    }
    FAIL("no input-limit diagnostic");
    return sink.diagnostics().front();
  }
  std::string dump() const {
    std::string out;
    for (const auto& d : sink.diagnostics()) {
      LineCol at = source->locate(d.span.begin);
      out += std::to_string(at.line) + ":" + std::to_string(at.column) + " [" + std::string(rule_info(d.rule).id) +
             "] " + d.message + "\n";
    }
    return out;
  }
};

std::unique_ptr<Parsed> parse(Front front, std::string text, const Limits& limits = {}) {
  auto out = std::make_unique<Parsed>();
  out->source =
      std::make_shared<const SourceFile>(front == Front::Yaml ? "limits.yaml" : "limits.writ", std::move(text));
  out->file =
      front == Front::Yaml ? load_yaml(out->source, out->sink, limits) : parse_dsl(out->source, out->sink, limits);
  return out;
}

// The input-limit diagnostic lies inside the file, names the limit's value and is the only one.
void require_one_hit(const Parsed& p, std::size_t limit_value) {
  INFO(p.dump());
  REQUIRE(p.limit_hits() == 1);
  const Diagnostic& d = p.hit();
  CHECK(d.severity == Severity::Error);
  CHECK(d.span.begin <= d.span.end);
  CHECK(d.span.end <= p.source->text().size());
  CHECK(d.message.find(std::to_string(limit_value)) != std::string::npos);
}

void require_no_hit(const Parsed& p) {
  INFO(p.dump());
  CHECK(p.limit_hits() == 0);
}

std::string yaml_steps(std::size_t steps) {
  std::string text = "playbooks:\n  high:\n    name: \"limits\"\n    steps:\n";
  for (std::size_t i = 0; i < steps; ++i)
    text += "      - action: notify_ciso_and_legal\n        channels: [\"slack\"]\n";
  return text;
}

std::string dsl_steps(std::size_t steps) {
  std::string text = "runbook limits {\n  title \"limits\"\n  severity high\n";
  for (std::size_t i = 0; i < steps; ++i) {
    text += "  step s" + std::to_string(i) + " = notify_ciso_and_legal(channels: [slack])\n";
  }
  return text + "}\n";
}

std::string yaml_runbooks(std::size_t count) {
  static const char* kSeverities[] = {"low", "medium", "high", "critical"};
  std::string text = "playbooks:\n";
  for (std::size_t i = 0; i < count; ++i) {
    text += std::string("  ") + kSeverities[i] + ":\n    id: r" + std::to_string(i) +
            "\n    name: \"r\"\n    steps:\n" +
            "      - action: notify_ciso_and_legal\n        channels: [\"slack\"]\n";
  }
  return text;
}

std::string dsl_runbooks(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += "runbook r" + std::to_string(i) + " {\n  severity low\n}\n";
  return text;
}

// `prefix` + a string literal whose expression text is exactly `bytes` long + `suffix`.
std::string expression_of(std::size_t bytes) { return "\"" + std::string(bytes - 2, 'a') + "\""; }

std::string nested_parens(std::size_t depth) { return std::string(depth, '(') + "true" + std::string(depth, ')'); }

std::unique_ptr<Parsed> parse_expression_text(const std::string& text, bool as_template) {
  auto out = std::make_unique<Parsed>();
  out->source = std::make_shared<const SourceFile>("expr", text);
  expr::TextOrigin origin{out->source, 0, {}};
  auto node =
      as_template ? expr::parse_template(text, origin, out->sink) : expr::parse_expression(text, origin, out->sink);
  REQUIRE(node != nullptr);
  return out;
}

// `expression(n)` at n = `limit` passes and at n = `limit` + 1 is one input-limit finding, as
// a DSL `when` and as a YAML `when` alike.
void require_when_limit(const std::function<std::string(std::size_t)>& expression, std::size_t limit) {
  const std::string dsl = "runbook r {\n  severity low\n  when ";
  require_no_hit(*parse(Front::Dsl, dsl + expression(limit) + "\n}\n"));
  require_one_hit(*parse(Front::Dsl, dsl + expression(limit + 1) + "\n}\n"), limit);
  const std::string yaml = "playbooks:\n  low:\n    name: \"r\"\n    steps: []\n    when: '";
  require_no_hit(*parse(Front::Yaml, yaml + expression(limit) + "'\n"));
  require_one_hit(*parse(Front::Yaml, yaml + expression(limit + 1) + "'\n"), limit);
}

}  // namespace

TEST_CASE("limits: max_file_bytes", "[limits]") {
  for (Front front : {Front::Yaml, Front::Dsl}) {
    std::string text = front == Front::Yaml ? yaml_steps(1) : dsl_steps(1);
    Limits limits;
    limits.max_file_bytes = text.size();
    require_no_hit(*parse(front, text, limits));
    require_one_hit(*parse(front, text + "\n", limits), limits.max_file_bytes);
  }
}

TEST_CASE("limits: max_file_bytes when compile_file reads the file", "[limits]") {
  DiagnosticSink catalog_sink;
  Catalog catalog = load_catalog(std::string(WRIT_SOURCE_DIR) + "/stdlib", {}, catalog_sink);
  REQUIRE_FALSE(catalog_sink.has_errors());
  auto dir = std::filesystem::temp_directory_path() / ("writ-limits-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string text = dsl_steps(1);
  auto path = (dir / "r.writ").string();
  std::ofstream(path, std::ios::binary) << text << "\n";
  CompileOptions options;
  options.limits.max_file_bytes = text.size() + 1;
  auto fits = compile_file(path, catalog, options);
  for (const auto& d : fits.diagnostics) CHECK(d.rule != Rule::InputLimit);
  options.limits.max_file_bytes = text.size();
  auto over = compile_file(path, catalog, options);
  std::filesystem::remove_all(dir);
  REQUIRE(over.diagnostics.size() == 1);
  CHECK(over.diagnostics[0].rule == Rule::InputLimit);
  CHECK(over.diagnostics[0].source != nullptr);
  CHECK(over.runbooks.empty());
}

TEST_CASE("limits: max_nesting_depth of YAML collections (flow and block)", "[limits]") {
  Limits limits;
  limits.max_nesting_depth = 6;
  // The top-level mapping is level 1: `a:` + 5 brackets is 6 levels, one more is 7.
  require_no_hit(*parse(Front::Yaml, "a: [[[[[x]]]]]\n", limits));
  require_one_hit(*parse(Front::Yaml, "a: [[[[[[x]]]]]]\n", limits), 6);
  std::string block, deeper;
  for (std::size_t i = 0; i < 6; ++i) block += std::string(2 * i, ' ') + "k:\n";
  deeper = block + std::string(12, ' ') + "k: x\n";
  block += std::string(12, ' ') + "x\n";
  require_no_hit(*parse(Front::Yaml, block, limits));
  require_one_hit(*parse(Front::Yaml, deeper, limits), 6);
}

TEST_CASE("limits: max_nesting_depth of DSL type names", "[limits]") {
  Limits limits;
  limits.max_nesting_depth = 3;
  require_no_hit(*parse(Front::Dsl, "event { a: list<list<list<host>>> }\n", limits));
  require_one_hit(*parse(Front::Dsl, "event { a: list<list<list<list<host>>>> }\n", limits), 3);
}

TEST_CASE("limits: max_nesting_depth of expressions, alone and inside both front-ends", "[limits]") {
  const std::size_t depth = Limits{}.max_nesting_depth;
  require_no_hit(*parse_expression_text(nested_parens(depth), false));
  require_one_hit(*parse_expression_text(nested_parens(depth + 1), false), depth);
  require_no_hit(*parse_expression_text("{{ " + nested_parens(depth) + " }}", true));
  require_one_hit(*parse_expression_text("{{ " + nested_parens(depth + 1) + " }}", true), depth);
  require_when_limit(nested_parens, depth);
}

TEST_CASE("limits: max_yaml_nodes counts every node, aliases each time they are used", "[limits]") {
  Limits limits;
  // root map, key a, the sequence, three items: 6 nodes.
  limits.max_yaml_nodes = 6;
  require_no_hit(*parse(Front::Yaml, "a: [x, y, z]\n", limits));
  require_one_hit(*parse(Front::Yaml, "a: [w, x, y, z]\n", limits), 6);
  // root, a, seq, 2 items, b, the alias's seq and its 2 items again: 9 nodes.
  limits.max_yaml_nodes = 9;
  require_no_hit(*parse(Front::Yaml, "a: &s [x, y]\nb: *s\n", limits));
  limits.max_yaml_nodes = 8;
  require_one_hit(*parse(Front::Yaml, "a: &s [x, y]\nb: *s\n", limits), 8);
}

TEST_CASE("limits: max_yaml_nodes stops a billion-laughs document", "[limits]") {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    text += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) text += std::string(i ? ", " : "") + "*" + static_cast<char>(c - 1);
    text += "]\n";
  }
  text += "playbooks: *i\n";  // 10^9 nodes once expanded
  require_one_hit(*parse(Front::Yaml, text), Limits{}.max_yaml_nodes);
}

TEST_CASE("limits: max_expression_bytes", "[limits]") {
  const std::size_t limit = Limits{}.max_expression_bytes;
  require_no_hit(*parse_expression_text(expression_of(limit), false));
  require_one_hit(*parse_expression_text(expression_of(limit + 1), false), limit);
  require_no_hit(*parse_expression_text(std::string(limit, 't'), true));
  require_one_hit(*parse_expression_text(std::string(limit + 1, 't'), true), limit);
  require_when_limit(expression_of, limit);
}

TEST_CASE("limits: max_steps", "[limits]") {
  Limits limits;
  limits.max_steps = 3;
  for (Front front : {Front::Yaml, Front::Dsl}) {
    auto fits = parse(front, front == Front::Yaml ? yaml_steps(3) : dsl_steps(3), limits);
    require_no_hit(*fits);
    REQUIRE(fits->file.runbooks.size() == 1);
    CHECK(fits->file.runbooks[0].steps.size() == 3);
    auto over = parse(front, front == Front::Yaml ? yaml_steps(4) : dsl_steps(4), limits);
    require_one_hit(*over, 3);
    REQUIRE(over->file.runbooks.size() == 1);
    CHECK(over->file.runbooks[0].steps.size() == 3);
  }
}

TEST_CASE("limits: max_runbooks", "[limits]") {
  Limits limits;
  limits.max_runbooks = 2;
  for (Front front : {Front::Yaml, Front::Dsl}) {
    auto fits = parse(front, front == Front::Yaml ? yaml_runbooks(2) : dsl_runbooks(2), limits);
    require_no_hit(*fits);
    CHECK(fits->file.runbooks.size() == 2);
    auto over = parse(front, front == Front::Yaml ? yaml_runbooks(3) : dsl_runbooks(3), limits);
    require_one_hit(*over, 2);
    CHECK(over->file.runbooks.size() == 2);
  }
}
