// Evaluation of checked expressions. Total: every input gives a value. Absent fields are
// null; null and any non-bool are false where a bool is needed; ordering comparisons across
// mismatched runtime types are false; arithmetic that cannot be done (wrong types, overflow)
// gives null.
#include <algorithm>
#include <cctype>
#include <limits>

#include "compiler/expr/expr.h"

namespace writ::expr {
namespace {

using Int = std::int64_t;
constexpr Int kIntMin = std::numeric_limits<Int>::min();

bool truthy(const Value& value) {
  const bool* b = std::get_if<bool>(&value.v);
  return b && *b;
}

std::optional<double> as_number(const Value& value) {
  if (const auto* i = std::get_if<Int>(&value.v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&value.v)) return *d;
  return std::nullopt;
}

bool equal(const Value& a, const Value& b) {
  if (a.v.index() != b.v.index()) {
    auto x = as_number(a);
    auto y = as_number(b);
    return x && y && *x == *y;
  }
  const auto* la = std::get_if<ValueList>(&a.v);
  if (!la) return a == b;
  const auto& lb = std::get<ValueList>(b.v);
  return std::equal(la->begin(), la->end(), lb.begin(), lb.end(), equal);
}

// -1, 0, 1, or nothing when the two values have no order.
std::optional<int> order(const Value& a, const Value& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  auto x = as_number(a);
  auto y = as_number(b);
  if (x && y) {
    const auto* ia = std::get_if<Int>(&a.v);
    const auto* ib = std::get_if<Int>(&b.v);
    if (ia && ib) return sign(*ia, *ib);  // exact for large integers
    if (*x != *x || *y != *y) return std::nullopt;  // NaN
    return sign(*x, *y);
  }
  if (a.v.index() != b.v.index()) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&a.v)) return sign(s->compare(std::get<std::string>(b.v)), 0);
  if (const auto* d = std::get_if<DurationValue>(&a.v)) return sign(d->seconds, std::get<DurationValue>(b.v).seconds);
  if (const auto* t = std::get_if<TimestampValue>(&a.v)) {
    return sign(t->unix_seconds, std::get<TimestampValue>(b.v).unix_seconds);
  }
  return std::nullopt;
}

bool compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return equal(a, b);
  if (op == "!=") return !equal(a, b);
  auto o = order(a, b);
  if (!o) return false;
  if (op == "<") return *o < 0;
  if (op == "<=") return *o <= 0;
  if (op == ">") return *o > 0;
  return *o >= 0;  // ">="
}

bool member(const Value& needle, const Value& haystack) {
  if (const auto* list = std::get_if<ValueList>(&haystack.v)) {
    return std::any_of(list->begin(), list->end(), [&](const Value& element) { return equal(needle, element); });
  }
  const auto* text = std::get_if<std::string>(&haystack.v);
  const auto* part = std::get_if<std::string>(&needle.v);
  return text && part && text->find(*part) != std::string::npos;
}

Value add(const Value& a, const Value& b) {
  const auto* sa = std::get_if<std::string>(&a.v);
  const auto* sb = std::get_if<std::string>(&b.v);
  if (sa && sb) return Value{*sa + *sb};
  const auto* ia = std::get_if<Int>(&a.v);
  const auto* ib = std::get_if<Int>(&b.v);
  Int sum = 0;
  if (ia && ib) return __builtin_add_overflow(*ia, *ib, &sum) ? Value{} : Value{sum};
  auto x = as_number(a);
  auto y = as_number(b);
  if (x && y) return Value{*x + *y};
  const auto* db = std::get_if<DurationValue>(&b.v);
  if (!db) return Value{};
  if (const auto* da = std::get_if<DurationValue>(&a.v)) {
    return __builtin_add_overflow(da->seconds, db->seconds, &sum) ? Value{} : Value{DurationValue{sum}};
  }
  if (const auto* ta = std::get_if<TimestampValue>(&a.v)) {
    return __builtin_add_overflow(ta->unix_seconds, db->seconds, &sum) ? Value{} : Value{TimestampValue{sum}};
  }
  return Value{};
}

Value negate(const Value& value) {
  if (const auto* i = std::get_if<Int>(&value.v)) return *i == kIntMin ? Value{} : Value{-*i};
  if (const auto* d = std::get_if<double>(&value.v)) return Value{-*d};
  if (const auto* t = std::get_if<DurationValue>(&value.v)) {
    return t->seconds == kIntMin ? Value{} : Value{DurationValue{-t->seconds}};
  }
  return Value{};
}

Int code_points(const std::string& text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; });
}

std::string map_ascii(std::string text, int (*f)(int)) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(f(static_cast<unsigned char>(c)));
  }
  return text;
}

Value builtin(const std::string& name, const std::vector<Value>& args) {
  const Value& first = args.front();
  const auto* text = std::get_if<std::string>(&first.v);
  if (name == "default") return std::holds_alternative<std::monostate>(first.v) ? args[1] : first;
  if (name == "len") {
    if (text) return Value{code_points(*text)};
    if (const auto* list = std::get_if<ValueList>(&first.v)) return Value{static_cast<Int>(list->size())};
    return Value{};
  }
  if (name == "lower") return text ? Value{map_ascii(*text, [](int c) { return std::tolower(c); })} : Value{};
  if (name == "upper") return text ? Value{map_ascii(*text, [](int c) { return std::toupper(c); })} : Value{};
  if (name == "contains") return Value{member(args[1], first)};
  if (name == "starts_with") {
    const auto* prefix = std::get_if<std::string>(&args[1].v);
    return Value{text && prefix && text->starts_with(*prefix)};
  }
  return Value{};
}

std::size_t arity(const std::string& name) {
  return name == "contains" || name == "starts_with" || name == "default" ? 2 : 1;
}

Value binary(const Node& node, const Environment& env) {
  const std::string& op = node.op;
  if (op == "&&") return Value{truthy(evaluate(*node.children[0], env)) && truthy(evaluate(*node.children[1], env))};
  if (op == "||") return Value{truthy(evaluate(*node.children[0], env)) || truthy(evaluate(*node.children[1], env))};
  Value left = evaluate(*node.children[0], env);
  Value right = evaluate(*node.children[1], env);
  if (op == "+") return add(left, right);
  if (op == "in") return Value{member(left, right)};
  return Value{compare(op, left, right)};
}

}  // namespace

Value evaluate(const Node& node, const Environment& env) {
  switch (node.kind) {
    case Node::Kind::Literal: return node.literal;
    case Node::Kind::Path: {
      if (!env.lookup) return Value{};
      return env.lookup(std::span<const std::string>(node.path)).value_or(Value{});
    }
    case Node::Kind::Unary: {
      if (node.children.size() != 1) return Value{};
      Value operand = evaluate(*node.children[0], env);
      return node.op == "!" ? Value{!truthy(operand)} : negate(operand);
    }
    case Node::Kind::Binary: return node.children.size() == 2 ? binary(node, env) : Value{};
    case Node::Kind::Call: {
      if (node.children.size() != arity(node.callee)) return Value{};
      std::vector<Value> args;
      for (const auto& child : node.children) args.push_back(evaluate(*child, env));
      return builtin(node.callee, args);
    }
    case Node::Kind::List: {
      ValueList list;
      for (const auto& child : node.children) list.push_back(evaluate(*child, env));
      return Value{std::move(list)};
    }
    case Node::Kind::Interpolation: {
      std::string out;
      for (const auto& child : node.children) out += evaluate(*child, env).to_display();
      return Value{std::move(out)};
    }
    case Node::Kind::Error: return Value{};
  }
  return Value{};
}

}  // namespace writ::expr
