// Parsing of expressions and `{{ }}` templates: the PEGTL grammar (grammar/expr_grammar.h)
// builds a parse tree, which is converted into expr::Node with spans mapped to the source
// through TextOrigin. Syntax errors and limit hits become diagnostics, never exceptions.
#include <charconv>
#include <limits>
#include <optional>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/parse_tree.hpp>

#include "compiler/expr/expr.h"
#include "common/limits.h"
#include "grammar/expr_grammar.h"

namespace writ::expr {
namespace {

namespace g = grammar::expr;
namespace pegtl = tao::pegtl;
namespace pt = tao::pegtl::parse_tree;

// Replaces a node that has a single child by that child, keeping content (spans) otherwise.
struct fold_single : pt::apply<fold_single> {
  template <typename Node, typename... States>
  static void transform(std::unique_ptr<Node>& n, States&&...) {
    if (n->children.size() == 1) n = std::move(n->children.front());
  }
};

template <typename Rule>
using selector = pt::selector<
    Rule,
    pt::store_content::on<g::dq_string, g::sq_string, g::int_lit, g::float_lit, g::duration_lit, g::kw_true,
                          g::kw_false, g::kw_null, g::list_lit, g::call, g::callee, g::path, g::name, g::field,
                          g::not_expr, g::neg_expr, g::parenthesized, g::op_or, g::op_and, g::op_eq, g::op_ne,
                          g::op_le, g::op_ge, g::op_lt, g::op_gt, g::op_in, g::op_plus>,
    fold_single::on<g::add_expr, g::cmp_expr, g::and_expr, g::or_expr>>;

using TreeNode = pt::node;

NodePtr make(Node::Kind kind, Span span) {
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->span = span;
  return node;
}

std::optional<std::string_view> binary_op(const TreeNode& n) {
  if (n.is_type<g::op_or>()) return "||";
  if (n.is_type<g::op_and>()) return "&&";
  if (n.is_type<g::op_eq>()) return "==";
  if (n.is_type<g::op_ne>()) return "!=";
  if (n.is_type<g::op_le>()) return "<=";
  if (n.is_type<g::op_ge>()) return ">=";
  if (n.is_type<g::op_lt>()) return "<";
  if (n.is_type<g::op_gt>()) return ">";
  if (n.is_type<g::op_in>()) return "in";
  if (n.is_type<g::op_plus>()) return "+";
  return std::nullopt;
}

std::int64_t unit_seconds(std::string_view unit) {
  if (unit == "s") return 1;
  if (unit == "m") return 60;
  if (unit == "h") return 3600;
  if (unit == "d" || unit == "bd") return 86400;  // a business day counts as 24h for static guarantees
  return 28 * 86400;                               // "mo": the shortest month
}

// Converts the parse tree of one expression (or template body) into Nodes. `offset_` is the
// position of the parsed input within the expression text, whose bytes `origin_` maps.
class Builder {
 public:
  Builder(std::size_t offset, const TextOrigin& origin, DiagnosticSink& sink)
      : offset_(offset), origin_(origin), sink_(sink) {}

  NodePtr build(const TreeNode& n, std::size_t depth) {
    if (failed_) return make(Node::Kind::Error, span_of(n));
    if (depth > limits_.max_nesting_depth) return fail_depth(n);
    if (n.is_type<g::parenthesized>()) return build(*n.children.front(), depth + 1);
    if (n.is_type<g::dq_string>() || n.is_type<g::sq_string>()) return string_literal(n);
    if (n.is_type<g::int_lit>()) return int_literal(n);
    if (n.is_type<g::float_lit>()) return float_literal(n);
    if (n.is_type<g::duration_lit>()) return duration_literal(n);
    if (n.is_type<g::kw_true>() || n.is_type<g::kw_false>()) return literal(n, Value{n.is_type<g::kw_true>()});
    if (n.is_type<g::kw_null>()) return literal(n, Value{});
    if (n.is_type<g::path>()) return path(n);
    if (n.is_type<g::not_expr>() || n.is_type<g::neg_expr>()) return unary(n, depth);
    if (n.is_type<g::call>()) return call(n, depth);
    if (n.is_type<g::list_lit>()) return list(n, depth);
    return binary_chain(n, depth);
  }

  bool failed() const { return failed_; }

 private:
  Span span_of(const TreeNode& n) const {
    return origin_.span(offset_ + n.m_begin.byte, offset_ + n.m_end.byte);
  }

  NodePtr error(const TreeNode& n, std::string message) {
    failed_ = true;
    sink_.report(Rule::TemplateBinding, origin_.source, span_of(n), std::move(message));
    return make(Node::Kind::Error, span_of(n));
  }

  NodePtr fail_depth(const TreeNode& n) {
    failed_ = true;
    sink_.report(Rule::InputLimit, origin_.source, span_of(n),
                 "expression nests deeper than " + std::to_string(limits_.max_nesting_depth) +
                     " levels (limit max_nesting_depth)");
    return make(Node::Kind::Error, span_of(n));
  }

  NodePtr literal(const TreeNode& n, Value value) {
    auto node = make(Node::Kind::Literal, span_of(n));
    node->literal = std::move(value);
    return node;
  }

  NodePtr string_literal(const TreeNode& n) {
    std::string_view raw = n.string_view();
    raw = raw.substr(1, raw.size() - 2);
    std::string value;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\\' && i + 1 < raw.size()) {
        c = raw[++i];
        if (c == 'n') c = '\n';
        if (c == 't') c = '\t';
        if (c == 'r') c = '\r';
      }
      value += c;
    }
    return literal(n, Value{std::move(value)});
  }

  NodePtr int_literal(const TreeNode& n) {
    std::string_view raw = n.string_view();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
    if (ec != std::errc() || end != raw.data() + raw.size()) {
      return error(n, "integer literal `" + std::string(raw) + "` is out of range");
    }
    return literal(n, Value{value});
  }

  NodePtr float_literal(const TreeNode& n) {
    std::string_view raw = n.string_view();
    double value = 0;
    auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), value);
    if (ec != std::errc() || end != raw.data() + raw.size()) {
      return error(n, "float literal `" + std::string(raw) + "` is out of range");
    }
    return literal(n, Value{value});
  }

  NodePtr duration_literal(const TreeNode& n) {
    std::string_view raw = n.string_view();
    std::size_t digits = raw.find_first_not_of("0123456789");
    std::int64_t count = 0;
    auto [end, ec] = std::from_chars(raw.data(), raw.data() + digits, count);
    std::int64_t unit = unit_seconds(raw.substr(digits));
    if (ec != std::errc() || end != raw.data() + digits || count > std::numeric_limits<std::int64_t>::max() / unit) {
      return error(n, "duration `" + std::string(raw) + "` is out of range");
    }
    return literal(n, Value{DurationValue{count * unit}});
  }

  NodePtr path(const TreeNode& n) {
    auto node = make(Node::Kind::Path, span_of(n));
    for (const auto& segment : n.children) {
      node->path.push_back(segment->string());
      node->path_spans.push_back(span_of(*segment));
    }
    return node;
  }

  NodePtr unary(const TreeNode& n, std::size_t depth) {
    auto node = make(Node::Kind::Unary, span_of(n));
    node->op = n.is_type<g::not_expr>() ? "!" : "-";
    node->children.push_back(build(*n.children.front(), depth + 1));
    return node;
  }

  NodePtr call(const TreeNode& n, std::size_t depth) {
    auto node = make(Node::Kind::Call, span_of(n));
    node->callee = n.children.front()->string();
    // A call has no path; its path_spans holds the callee name's span for diagnostics.
    node->path_spans.push_back(span_of(*n.children.front()));
    for (std::size_t i = 1; i < n.children.size(); ++i) node->children.push_back(build(*n.children[i], depth + 1));
    return node;
  }

  NodePtr list(const TreeNode& n, std::size_t depth) {
    auto node = make(Node::Kind::List, span_of(n));
    for (const auto& element : n.children) node->children.push_back(build(*element, depth + 1));
    return node;
  }

  // children: operand (op operand)*, all one precedence level, folded to the left. Each fold
  // adds a tree level, so a long chain counts towards the depth limit like nesting does.
  NodePtr binary_chain(const TreeNode& n, std::size_t depth) {
    std::size_t operators = n.children.size() / 2;
    if (n.children.empty() || n.children.size() % 2 == 0) return error(n, "internal: malformed expression tree");
    if (depth + operators > limits_.max_nesting_depth) return fail_depth(n);
    NodePtr left = build(*n.children.front(), depth + operators);
    for (std::size_t i = 1; i + 1 < n.children.size(); i += 2) {
      auto op = binary_op(*n.children[i]);
      if (!op) return error(*n.children[i], "internal: unknown operator");
      auto node = make(Node::Kind::Binary, Span::merge(left->span, span_of(*n.children[i + 1])));
      node->op = std::string(*op);
      node->children.push_back(std::move(left));
      node->children.push_back(build(*n.children[i + 1], depth + operators - i / 2));
      left = std::move(node);
    }
    return left;
  }

  std::size_t offset_;
  const TextOrigin& origin_;
  DiagnosticSink& sink_;
  Limits limits_;
  bool failed_ = false;
};

std::string describe_unexpected(std::string_view rest) {
  if (rest.empty()) return "unexpected end of the expression";
  if (rest.starts_with("=") && !rest.starts_with("==")) return "unexpected `=`: use `==` to compare";
  if (rest.starts_with("}}")) return "unexpected `}}` without an opening `{{`";
  std::size_t length = 1;
  while (length < rest.size() && (static_cast<unsigned char>(rest[length]) & 0xc0) == 0x80) ++length;
  return "unexpected `" + std::string(rest.substr(0, length)) + "` after the expression";
}

Span point_span(const TextOrigin& origin, std::string_view text, std::size_t at) {
  if (at >= text.size()) return origin.span(text.size(), text.size());
  std::size_t length = 1;
  while (at + length < text.size() && (static_cast<unsigned char>(text[at + length]) & 0xc0) == 0x80) ++length;
  return origin.span(at, at + length);
}

struct Parsed {
  NodePtr node;         // null: an error was reported
  std::size_t end = 0;  // offset in the text just past what the rule consumed
};

// Parses `Top` on text[offset..] and converts the result.
template <typename Top>
Parsed parse_rule(std::string_view text, std::size_t offset, const TextOrigin& origin, DiagnosticSink& sink) {
  std::string_view input_text = text.substr(offset);
  pegtl::memory_input in(input_text.data(), input_text.size(), "expression");
  try {
    auto root = pt::parse<Top, pt::node, selector, g::action, g::control>(in);
    if (!root || root->children.size() != 1) return {};
    Builder builder(offset, origin, sink);
    NodePtr node = builder.build(*root->children.front(), 0);
    if (builder.failed()) return {};
    return {std::move(node), offset + static_cast<std::size_t>(in.current() - input_text.data())};
  } catch (const pegtl::parse_error& e) {
    std::size_t at = offset + (e.positions().empty() ? 0 : e.positions().front().byte);
    std::string message(e.message());
    writ::Rule rule = writ::Rule::TemplateBinding;
    if (message == g::kDepthExceededMessage) {
      rule = writ::Rule::InputLimit;
      message = "expression nests deeper than " + std::to_string(Limits{}.max_nesting_depth) +
                " levels (limit max_nesting_depth)";
    } else if (message == g::error_message<g::end_of_expression>) {
      message = describe_unexpected(text.substr(at));
    }
    sink.report(rule, origin.source, point_span(origin, text, at), std::move(message));
    return {};
  }
}

NodePtr error_node(const TextOrigin& origin, std::string_view text) {
  return make(Node::Kind::Error, origin.span(0, text.size()));
}

bool too_long(std::string_view text, const TextOrigin& origin, DiagnosticSink& sink) {
  std::size_t limit = Limits{}.max_expression_bytes;
  if (text.size() <= limit) return false;
  sink.report(Rule::InputLimit, origin.source, origin.span(0, 0),
              "expression or template is " + std::to_string(text.size()) + " bytes long; the limit is " +
                  std::to_string(limit) + " bytes (max_expression_bytes)");
  return true;
}

// A NUL would cut a value short wherever it becomes a C string (an argv element, a path;
// DESIGN §13). The front-ends refuse it in their own string syntax; this covers what reaches
// an expression another way (a raw NUL inside an expression's string literal).
bool holds_nul(std::string_view text, const TextOrigin& origin, DiagnosticSink& sink) {
  const auto at = text.find('\0');
  if (at == std::string_view::npos) return false;
  sink.report(Rule::Syntax, origin.source, origin.span(at, at + 1),
              "a NUL character (U+0000) is not allowed in a runbook: it would cut the value short");
  return true;
}

NodePtr string_part(std::string value, Span span) {
  auto node = make(Node::Kind::Literal, span);
  node->literal = Value{std::move(value)};
  return node;
}

const std::string* string_literal_text(const Node& node) {
  return node.kind == Node::Kind::Literal ? std::get_if<std::string>(&node.literal.v) : nullptr;
}

// Adjacent string literals (text, or a template holding a string literal) join into one
// part: an interpolation has one canonical form, which to_source can reproduce.
void append_part(std::vector<NodePtr>& parts, NodePtr part) {
  const std::string* text = string_literal_text(*part);
  if (text && !parts.empty() && string_literal_text(*parts.back())) {
    auto joined = string_part(*string_literal_text(*parts.back()) + *text, Span::merge(parts.back()->span, part->span));
    parts.back() = std::move(joined);
    return;
  }
  parts.push_back(std::move(part));
}

}  // namespace

NodePtr parse_expression(std::string_view text, const TextOrigin& origin, DiagnosticSink& sink) {
  if (too_long(text, origin, sink) || holds_nul(text, origin, sink)) return error_node(origin, text);
  Parsed parsed = parse_rule<g::grammar>(text, 0, origin, sink);
  return parsed.node ? parsed.node : error_node(origin, text);
}

NodePtr parse_template(std::string_view text, const TextOrigin& origin, DiagnosticSink& sink) {
  if (too_long(text, origin, sink) || holds_nul(text, origin, sink)) return error_node(origin, text);
  std::vector<NodePtr> parts;
  std::size_t expressions = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t open = text.find("{{", at);
    std::size_t literal_end = open == std::string_view::npos ? text.size() : open;
    if (literal_end > at) {
      append_part(parts, string_part(std::string(text.substr(at, literal_end - at)), origin.span(at, literal_end)));
    }
    if (open == std::string_view::npos) break;
    if (text.find("}}", open + 2) == std::string_view::npos) {
      sink.report(Rule::TemplateBinding, origin.source, origin.span(open, open + 2),
                  "unterminated template: `{{` has no closing `}}`");
      return error_node(origin, text);
    }
    Parsed parsed = parse_rule<g::template_body>(text, open, origin, sink);
    if (!parsed.node) return error_node(origin, text);
    append_part(parts, std::move(parsed.node));
    ++expressions;
    at = parsed.end;
  }
  if (parts.empty()) return string_part("", origin.span(0, text.size()));
  if (parts.size() == 1) {  // no template (a plain string), or exactly one and nothing else
    if (expressions == 0) parts.front()->span = origin.span(0, text.size());
    return parts.front();
  }
  auto node = make(Node::Kind::Interpolation, origin.span(0, text.size()));
  node->children = std::move(parts);
  return node;
}

}  // namespace writ::expr
