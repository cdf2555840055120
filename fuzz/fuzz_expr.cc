// Fuzzes the expression and template language (compiler/expr/expr.h): parse_expression,
// parse_template, check, evaluate and to_source.
//
// Input: the first byte picks the mode (bit 0: template instead of expression; bits 1-3: the
// expected type; bit 4: event fields absent at evaluation), the rest is the text.
// Invariants: nothing throws; every span lies in the text; a clean parse printed with
// to_source re-parses cleanly to an equal tree that prints the same; a clean check evaluates
// without throwing, and a checked `bool` over a full event evaluates to a bool.
#include <cstdint>
#include <exception>
#include <memory>

#include "compiler/expr/expr.h"
#include "compiler/lower.h"
#include "fuzz/fuzz_support.h"

namespace writ::fuzz {
namespace {

using expr::Node;
using expr::NodePtr;
using expr::Type;

bool same_tree(const Node& a, const Node& b) {
  if (a.kind != b.kind || !(a.literal == b.literal) || a.path != b.path || a.op != b.op || a.callee != b.callee ||
      a.children.size() != b.children.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    if (!same_tree(*a.children[i], *b.children[i])) return false;
  }
  return true;
}

// An expression prints to text that parses back to the same tree and prints the same again.
void check_expression_round_trip(const Node& node) {
  std::string printed = expr::to_source(node);
  auto source = std::make_shared<const SourceFile>("printed", printed);
  DiagnosticSink sink;
  NodePtr again = expr::parse_expression(printed, expr::TextOrigin{source, 0, {}}, sink);
  require(sink.diagnostics().empty(), "to_source output does not parse: `" + printed +
                                          "`: " + (sink.diagnostics().empty() ? "" : sink.diagnostics()[0].message));
  require(same_tree(node, *again), "to_source output parses to a different tree: `" + printed + "`");
  require(expr::to_source(*again) == printed, "to_source is not a fixpoint: `" + printed + "`");
}

// A template prints (template_source) to text that parses back as a template to an equal tree
// and prints the same again.
void check_template_round_trip(const Node& node) {
  std::string printed = expr::template_source(node);
  auto source = std::make_shared<const SourceFile>("printed", printed);
  DiagnosticSink sink;
  NodePtr again = expr::parse_template(printed, expr::TextOrigin{source, 0, {}}, sink);
  require(sink.diagnostics().empty(), "a printed template does not parse again: `" + printed + "`");
  require(same_tree(node, *again), "a printed template parses to a different tree: `" + printed + "`");
  require(expr::template_source(*again) == printed, "template_source is not a fixpoint: `" + printed + "`");
}

std::optional<Type> expected_type(unsigned selector) {
  switch (selector % 6) {
    case 0:
      return std::nullopt;
    case 1:
      return Type::of(Type::Kind::Bool);
    case 2:
      return Type::of(Type::Kind::String);
    case 3:
      return Type::nominal("host");
    case 4:
      return Type::list(Type::nominal("channel"));
    default:
      return Type::of(Type::Kind::Duration);
  }
}

expr::Value sample_value(const Type& type) {
  switch (type.kind) {
    case Type::Kind::Int:
      return {std::int64_t{7}};
    case Type::Kind::Float:
      return {0.75};
    case Type::Kind::Bool:
      return {true};
    case Type::Kind::Duration:
      return {expr::DurationValue{900}};
    case Type::Kind::Timestamp:
      return {expr::TimestampValue{1'790'000'000}};
    case Type::Kind::List:
      return {expr::ValueList{}};
    default:
      return {std::string("{{ event.id }}")};  // rendered values are data
  }
}

void check_and_evaluate(Node& node, const std::optional<Type>& expected, bool absent_fields) {
  const Catalog& cat = catalog();
  expr::Scope scope = runbook_scope(ast::Runbook{}, cat.default_event, cat);
  DiagnosticSink sink;
  Type type = expr::check(node, expected ? &*expected : nullptr, scope, sink);
  check_diagnostics(sink.diagnostics());
  if (!sink.diagnostics().empty()) return;
  require(!type.is_error(), "check reported nothing but returned the error type");
  expr::Environment env;
  env.lookup = [&](std::span<const std::string> path) -> std::optional<expr::Value> {
    if (absent_fields || path.size() != 2) return std::nullopt;
    const auto& fields = scope.variables.find(path[0]);
    if (fields == scope.variables.end()) return std::nullopt;
    auto field = fields->second.find(path[1]);
    if (field == fields->second.end()) return std::nullopt;
    return sample_value(field->second);
  };
  expr::Value value = expr::evaluate(node, env);
  if (type.kind == Type::Kind::Bool && !absent_fields) {
    require(std::holds_alternative<bool>(value.v), "a checked bool expression evaluated to a non-bool");
  }
  (void)value.to_display();
}

}  // namespace
}  // namespace writ::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  writ::fuzz::catalog();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace writ;
  using namespace writ::fuzz;
  if (size == 0) return 0;
  unsigned mode = data[0];
  bool is_template = (mode & 1) != 0;
  auto source = std::make_shared<const SourceFile>("fuzz.expr", std::string(as_text(data + 1, size - 1)));
  const std::string& text = source->text();
  DiagnosticSink sink;
  expr::NodePtr node;
  try {
    expr::TextOrigin origin{source, 0, {}};
    node = is_template ? expr::parse_template(text, origin, sink) : expr::parse_expression(text, origin, sink);
    require(node != nullptr, "the parser returned a null node");
    check_expression(*node, *source);
    check_diagnostics(sink.diagnostics());
    if (!sink.diagnostics().empty()) {
      require(node->kind == expr::Node::Kind::Error, "a parse with diagnostics did not yield an Error node");
      return 0;
    }
    if (is_template)
      check_template_round_trip(*node);
    else
      check_expression_round_trip(*node);
    check_and_evaluate(*node, expected_type((mode >> 1) & 7), (mode & 16) != 0);
  } catch (const std::exception& e) {
    fail(std::string("the expression language threw: ") + e.what());
  }
  return 0;
}
