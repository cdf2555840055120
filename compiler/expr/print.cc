// The surface-syntax printer: parse_expression(to_source(n)) yields a tree equal to n
// (spans aside). Parentheses appear only where precedence requires them.
#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "compiler/expr/expr.h"

namespace writ::expr {
namespace {

// Precedence, loosest first: || && comparisons + unary primary.
enum Precedence { kOr = 1, kAnd, kCompare, kAdd, kUnary, kPrimary };

int precedence(const Node& node) {
  if (node.kind == Node::Kind::Unary) return kUnary;
  if (node.kind != Node::Kind::Binary) return kPrimary;
  if (node.op == "||") return kOr;
  if (node.op == "&&") return kAnd;
  if (node.op == "+") return kAdd;
  return kCompare;
}

std::string quote(const std::string& text) { return quote_string(text, false); }

std::string print_double(double d) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  std::string out(buffer, ec == std::errc() ? end : buffer);
  // A float literal needs a fraction or an exponent, else it reads back as an int.
  if (out.find_first_of(".eni") == std::string::npos) out += ".0";
  return out;
}

std::string print_duration(std::int64_t seconds) {
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}};
  for (const auto& [size, unit] : kUnits) {
    if (seconds != 0 && seconds % size == 0) return std::to_string(seconds / size) + unit;
  }
  return std::to_string(seconds) + "s";
}

bool is_plain_identifier(const std::string& text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return text != "true" && text != "false" && text != "null" && text != "in";
}

std::string print_value(const Value& value) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "null";
        if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(x);
        if constexpr (std::is_same_v<T, double>) return print_double(x);
        if constexpr (std::is_same_v<T, std::string>) return quote(x);
        if constexpr (std::is_same_v<T, DurationValue>) return print_duration(x.seconds);
        if constexpr (std::is_same_v<T, TimestampValue>) return quote(Value{x}.to_display());
        if constexpr (std::is_same_v<T, ValueList>) {
          std::string out = "[";
          for (std::size_t i = 0; i < x.size(); ++i) out += (i ? ", " : "") + print_value(x[i]);
          return out + "]";
        }
        return "null";
      },
      value.v);
}

std::string print(const Node& node, int min_precedence);

std::string print_list(const std::vector<NodePtr>& children) {
  std::string out;
  for (std::size_t i = 0; i < children.size(); ++i) out += (i ? ", " : "") + print(*children[i], kOr);
  return out;
}

std::string print_literal(const Node& node) {
  // An enum constant the checker resolved prints as the bare identifier the DSL uses.
  const auto* text = std::get_if<std::string>(&node.literal.v);
  if (text && node.type.kind == Type::Kind::Nominal && is_plain_identifier(*text)) return *text;
  return print_value(node.literal);
}

std::string template_part(const Node& part, bool last) {
  const auto* text = part.kind == Node::Kind::Literal ? std::get_if<std::string>(&part.literal.v) : nullptr;
  if (text && text->find("{{") == std::string::npos && (last || !text->ends_with('{'))) return *text;
  return "{{ " + print(part, kOr) + " }}";
}

std::string print_unary(const Node& node) {
  if (node.children.size() != 1) return node.op;
  std::string operand = print(*node.children[0], kUnary);
  // `-5` reads back as a negative literal, so negating a number needs a space.
  bool separate = node.op == "-" && !operand.empty() && std::isdigit(static_cast<unsigned char>(operand[0]));
  return node.op + (separate ? " " : "") + operand;
}

std::string print(const Node& node, int min_precedence) {
  std::string out;
  switch (node.kind) {
    case Node::Kind::Literal:
      out = print_literal(node);
      break;
    case Node::Kind::Path:
      for (std::size_t i = 0; i < node.path.size(); ++i) out += (i ? "." : "") + node.path[i];
      break;
    case Node::Kind::Unary:
      out = print_unary(node);
      break;
    case Node::Kind::Binary: {
      if (node.children.size() != 2) return node.op;
      int p = precedence(node);
      out = print(*node.children[0], p) + " " + node.op + " " + print(*node.children[1], p + 1);
      break;
    }
    case Node::Kind::Call:
      out = node.callee + "(" + print_list(node.children) + ")";
      break;
    case Node::Kind::List:
      out = "[" + print_list(node.children) + "]";
      break;
    case Node::Kind::Interpolation:
      out = template_literal(node);
      break;
    case Node::Kind::Error:
      out = "<error>";
      break;
  }
  return precedence(node) < min_precedence ? "(" + out + ")" : out;
}

}  // namespace

std::string quote_string(std::string_view text, bool unicode_escapes) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (unicode_escapes && static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string to_source(const Node& node) { return print(node, kOr); }

std::string template_source(const Node& node) {
  if (node.kind != Node::Kind::Interpolation) return template_part(node, true);
  std::string body;
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    body += template_part(*node.children[i], i + 1 == node.children.size());
  }
  return body;
}

std::string template_literal(const Node& node) { return quote(template_source(node)); }

}  // namespace writ::expr
