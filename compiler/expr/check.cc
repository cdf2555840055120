// Type checking of expressions (DESIGN §5). Nodes are annotated in place; a bare identifier
// or string literal where an enumerated nominal type is expected becomes a string literal of
// that type. Every error gives its node type Error, which is assignable everywhere, so one
// mistake yields one diagnostic.
#include <algorithm>
#include <array>
#include <optional>

#include "common/text.h"
#include "compiler/expr/expr.h"

namespace writ::expr {
namespace {

using K = Type::Kind;

constexpr std::array<std::string_view, 6> kBuiltins = {"len", "lower", "upper", "contains", "starts_with", "default"};

std::string quoted(std::string_view text) { return "`" + std::string(text) + "`"; }

// The help for a field that does not exist when no single name is close: every field there
// is (an event has a dozen or so) and, for `event`, where fields come from.
std::string fields_help(const std::string& variable, const std::vector<std::string>& names) {
  if (names.empty()) return quoted(variable) + " has no fields";
  std::string out = "the fields of " + quoted(variable) + ": " + join(names, ", ");
  if (variable == "event") out += " (a runbook's `event` schema declares its own)";
  return out;
}

bool is_numeric(const Type& t) { return t.kind == K::Int || t.kind == K::Float; }
bool is_stringy(const Type& t) { return t.kind == K::String || t.kind == K::Nominal; }
bool is_ordered(const Type& t) {
  return is_numeric(t) || is_stringy(t) || t.kind == K::Duration || t.kind == K::Timestamp;
}

Type literal_type(const Value& value) {
  return std::visit(
      [](const auto& x) -> Type {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return Type::of(K::Null);
        if constexpr (std::is_same_v<T, bool>) return Type::of(K::Bool);
        if constexpr (std::is_same_v<T, std::int64_t>) return Type::of(K::Int);
        if constexpr (std::is_same_v<T, double>) return Type::of(K::Float);
        if constexpr (std::is_same_v<T, std::string>) return Type::of(K::String);
        if constexpr (std::is_same_v<T, DurationValue>) return Type::of(K::Duration);
        if constexpr (std::is_same_v<T, TimestampValue>) return Type::of(K::Timestamp);
        if constexpr (std::is_same_v<T, ValueList>) {
          if (x.empty()) return Type{K::List, {}, nullptr};
          return Type::list(literal_type(x.front()));
        }
        return Type::error();
      },
      value.v);
}

class Checker {
 public:
  Checker(const Scope& scope, DiagnosticSink& sink, const Node* argument = nullptr)
      : scope_(scope), sink_(sink), argument_(argument) {}

  // A value given where `expected` is required: a computed string cannot be an enum value.
  Type check(Node& node, const Type* expected) {
    Type actual = infer(node, expected);
    if (actual.kind == K::String && enum_values(expected)) return computed_enum(node, *expected);
    return conform(node, actual, expected);
  }

 private:
  // An operand tested against `expected` at run time (`x in list`): a string may be compared.
  Type operand(Node& node, const Type* expected) { return conform(node, infer(node, expected), expected); }

  Type conform(Node& node, Type actual, const Type* expected) {
    if (!actual.is_error() && expected && !assignable(actual, *expected)) {
      bool element = expected->kind == K::List && expected->element && assignable(actual, *expected->element);
      bool many = actual.kind == K::List && actual.element && assignable(*actual.element, *expected);
      std::string help = element ? "a list is expected: put the value in brackets"
                         : many  ? "to run the step once per element, write `for x in LIST` (YAML: `for_each` and `as`) "
                                   "and pass `x`"
                                 : "";
      return fail_with_help(node, node.span,
                            "expected " + quoted(expected->to_string()) + ", found " + quoted(actual.to_string()),
                            std::move(help));
    }
    node.type = actual;
    return actual;
  }

  Type fail(Node& node, Span span, std::string message, std::optional<std::string> suggestion = std::nullopt) {
    return fail_with_help(node, span, std::move(message),
                          suggestion ? "did you mean " + quoted(*suggestion) + "?" : std::string());
  }

  Type fail_with_help(Node& node, Span span, std::string message, std::string help,
                      Rule rule = Rule::TemplateBinding) {
    Diagnostic& d = sink_.report(rule, scope_.source, span, std::move(message));
    if (!help.empty()) d.help.push_back(std::move(help));
    d.runbook = scope_.runbook;
    d.step = scope_.step;
    node.type = Type::error();
    return node.type;
  }

  const std::set<std::string>* enum_values(const Type* expected) const {
    if (!expected || expected->kind != K::Nominal) return nullptr;
    auto it = scope_.enums.find(expected->name);
    return it == scope_.enums.end() ? nullptr : &it->second;
  }

  Type infer(Node& node, const Type* expected) {
    switch (node.kind) {
      case Node::Kind::Literal:
        return literal(node, expected);
      case Node::Kind::Path:
        return path(node, expected);
      case Node::Kind::Unary:
        return unary(node);
      case Node::Kind::Binary:
        return binary(node);
      case Node::Kind::Call:
        return call(node);
      case Node::Kind::List:
        return list(node, expected);
      case Node::Kind::Interpolation:
        return interpolation(node);
      case Node::Kind::Error:
        return Type::error();
    }
    return Type::error();
  }

  // A string where an enumerated type is expected must be one of its values.
  Type enum_member(Node& node, const std::string& value, const Type& expected, Span span) {
    const auto& values = *enum_values(&expected);
    if (values.count(value) != 0) return expected;
    std::vector<std::string> candidates(values.begin(), values.end());
    auto meant = did_you_mean(value, candidates);
    std::string help = meant ? "did you mean " + quoted(*meant) + "?"
                             : "the " + expected.name + " values: " + join(candidates, ", ");
    return fail_with_help(node, span, "unknown " + expected.name + " " + quoted(value), std::move(help),
                          is_argument_value(node) ? Rule::ActionArguments : Rule::TemplateBinding);
  }

  // The argument's value itself, or an element of it when it is a list.
  bool is_argument_value(const Node& node) const {
    if (argument_ == nullptr) return false;
    if (&node == argument_) return true;
    return argument_->kind == Node::Kind::List &&
           std::any_of(argument_->children.begin(), argument_->children.end(),
                       [&](const NodePtr& child) { return child.get() == &node; });
  }

  // A template or string expression where an enumerated type is expected: its value is only
  // known at run time, so it cannot be proved to be one of the type's values.
  Type computed_enum(Node& node, const Type& expected) {
    std::string values;
    for (const auto& value : *enum_values(&expected)) values += (values.empty() ? "" : ", ") + value;
    return fail_with_help(node, node.span,
                          "expected one of the " + quoted(expected.name) + " values, found a " + quoted("string") +
                              " computed at run time",
                          "name one: " + values + "; choose between them with `when`");
  }

  Type literal(Node& node, const Type* expected) {
    const auto* text = std::get_if<std::string>(&node.literal.v);
    if (text && enum_values(expected)) return enum_member(node, *text, *expected, node.span);
    return literal_type(node.literal);
  }

  Span segment_span(const Node& node, std::size_t i) const {
    return node.path_spans.size() > i ? node.path_spans[i] : node.span;
  }

  Type path(Node& node, const Type* expected) {
    if (node.path.empty()) return fail(node, node.span, "empty path");
    Span head = node.path_spans.empty() ? node.span : node.path_spans[0];
    if (auto hidden = scope_.hidden.find(node.path[0]); hidden != scope_.hidden.end()) {
      return fail(node, head, hidden->second);
    }
    if (auto local = scope_.locals.find(node.path[0]); local != scope_.locals.end()) {
      if (node.path.size() == 1) return local->second;
      return fail(node, segment_span(node, 1),
                  quoted(node.path[0]) + " (a " + local->second.to_string() + ") has no field " + quoted(node.path[1]));
    }
    if (node.path[0] == "steps" && scope_.step_results) return step_result(node);
    auto variable = scope_.variables.find(node.path[0]);
    if (variable == scope_.variables.end()) {
      if (node.path.size() == 1 && enum_values(expected)) return enum_identifier(node, *expected);
      std::vector<std::string> names;
      for (const auto& [name, fields] : scope_.variables) names.push_back(name);
      return fail(node, head, "unbound variable " + quoted(node.path[0]), did_you_mean(node.path[0], names));
    }
    const auto& fields = variable->second;
    if (node.path.size() == 1) {
      std::string example = fields.empty() ? "" : ", such as " + quoted(node.path[0] + "." + fields.begin()->first);
      return fail(node, head, quoted(node.path[0]) + " is not a value; name one of its fields" + example);
    }
    Span field_span = node.path_spans.size() > 1 ? node.path_spans[1] : node.span;
    auto field = fields.find(node.path[1]);
    if (field == fields.end()) {
      std::vector<std::string> names;
      for (const auto& [name, type] : fields) names.push_back(name);
      auto hint = did_you_mean(node.path[1], names);
      return fail_with_help(node, field_span, quoted(node.path[0]) + " has no field " + quoted(node.path[1]),
                            hint ? "did you mean " + quoted(*hint) + "?" : fields_help(node.path[0], names));
    }
    if (node.path.size() > 2) {
      Span extra = node.path_spans.size() > 2 ? node.path_spans[2] : node.span;
      return fail(node, extra,
                  quoted(node.path[0] + "." + node.path[1]) + " (a " + field->second.to_string() + ") has no field " +
                      quoted(node.path[2]));
    }
    return field->second;
  }

  // `steps.ID.status` (string) and `steps.ID.outputs.NAME` (the declared output type).
  Type step_result(Node& node) {
    if (node.path.size() == 1) {
      return fail(node, node.span, "`steps` is not a value; read `steps.ID.status` or `steps.ID.outputs.NAME`");
    }
    const std::string& id = node.path[1];
    Span id_span = segment_span(node, 1);
    if (auto why = scope_.unreadable_steps.find(id); why != scope_.unreadable_steps.end()) {
      return fail(node, id_span, why->second);
    }
    auto step = scope_.readable_steps.find(id);
    if (step == scope_.readable_steps.end()) {
      std::vector<std::string> names;
      for (const auto& [name, result] : scope_.readable_steps) names.push_back(name);
      for (const auto& [name, why] : scope_.unreadable_steps) names.push_back(name);
      return fail(node, id_span, "no step " + quoted(id) + " in runbook " + quoted(scope_.runbook),
                  did_you_mean(id, names));
    }
    std::string prefix = "steps." + id;
    if (node.path.size() == 2) {
      return fail(node, node.span, quoted(prefix) + " is not a value; read " + quoted(prefix + ".status") + " or " +
                                       quoted(prefix + ".outputs.NAME"));
    }
    const std::string& field = node.path[2];
    if (field == "status" && node.path.size() == 3) return Type::of(K::String);
    if (field == "outputs") return step_output(node, step->second, prefix);
    std::vector<std::string> fields{"status", "outputs"};
    return fail(node, segment_span(node, 2), quoted(prefix) + " has no field " + quoted(field),
                field == "status" ? std::nullopt : did_you_mean(field, fields));
  }

  Type step_output(Node& node, const Scope::StepResult& step, const std::string& prefix) {
    std::vector<std::string> names;
    for (const auto& [name, type] : step.outputs) names.push_back(name);
    std::string listed = names.empty() ? quoted(step.action) + " declares no outputs (`returns`)"
                                       : "the outputs of " + quoted(step.action) + ": " + join(names, ", ");
    if (node.path.size() == 3) {
      return fail_with_help(node, node.span, quoted(prefix + ".outputs") + " is not a value; name one output", listed);
    }
    auto output = step.outputs.find(node.path[3]);
    if (output == step.outputs.end()) {
      auto hint = did_you_mean(node.path[3], names);
      return fail_with_help(node, segment_span(node, 3),
                            "step " + quoted(node.path[1]) + " (" + quoted(step.action) + ") has no output " +
                                quoted(node.path[3]),
                            hint ? "did you mean " + quoted(*hint) + "?" : listed);
    }
    if (node.path.size() > 4) {
      return fail(node, segment_span(node, 4),
                  quoted(prefix + ".outputs." + node.path[3]) + " (a " + output->second.to_string() +
                      ") has no field " + quoted(node.path[4]));
    }
    return output->second;
  }

  // DSL `[secure_portal]` and YAML `["secure_portal"]` must give identical trees: the bare
  // identifier becomes the string literal.
  Type enum_identifier(Node& node, const Type& expected) {
    std::string value = node.path[0];
    Span span = node.path_spans.empty() ? node.span : node.path_spans[0];
    Type type = enum_member(node, value, expected, span);
    if (type.is_error()) return type;
    node.kind = Node::Kind::Literal;
    node.literal = Value{std::move(value)};
    node.path.clear();
    node.path_spans.clear();
    return type;
  }

  Type unary(Node& node) {
    if (node.children.size() != 1) return fail(node, node.span, "malformed unary expression");
    Node& operand = *node.children[0];
    if (node.op == "!") {
      Type bool_type = Type::of(K::Bool);
      check(operand, &bool_type);
      return bool_type;
    }
    Type type = check(operand, nullptr);
    if (type.is_error()) return type;
    if (is_numeric(type) || type.kind == K::Duration) return type;
    return fail(node, node.span, "`-` needs a number or a duration, found " + quoted(type.to_string()));
  }

  Type binary(Node& node) {
    if (node.children.size() != 2) return fail(node, node.span, "malformed binary expression");
    Node& left = *node.children[0];
    Node& right = *node.children[1];
    const std::string& op = node.op;
    Type bool_type = Type::of(K::Bool);
    if (op == "&&" || op == "||") {
      check(left, &bool_type);
      check(right, &bool_type);
      return bool_type;
    }
    if (op == "in") return membership(node, left, right);
    auto [l, r] = operands(left, right);
    if (l.is_error() || r.is_error()) return op == "+" ? Type::error() : bool_type;
    if (op == "+") return addition(node, l, r);
    bool comparable = assignable(l, r) || assignable(r, l);
    if ((op == "==" || op == "!=") && comparable) return bool_type;
    if (op != "==" && op != "!=" && comparable && is_ordered(l) && is_ordered(r)) return bool_type;
    if (op != "==" && op != "!=" && comparable) {
      return fail(node, node.span,
                  quoted(op) + " needs numbers, durations, timestamps or strings, found " + quoted(l.to_string()));
    }
    return fail(node, node.span, "cannot compare " + quoted(l.to_string()) + " with " + quoted(r.to_string()));
  }

  // A bare identifier that is no variable, or a string literal: an enum constant when the
  // other operand is of an enumerated type.
  bool needs_context(const Node& node) const {
    if (node.kind == Node::Kind::Literal) return std::holds_alternative<std::string>(node.literal.v);
    return node.kind == Node::Kind::Path && node.path.size() == 1 && scope_.variables.count(node.path[0]) == 0 &&
           scope_.locals.count(node.path[0]) == 0 && scope_.hidden.count(node.path[0]) == 0;
  }

  // Checks both operands; an operand that needs context is checked against the other's
  // nominal type, so that an enum constant on either side of `==` resolves.
  std::pair<Type, Type> operands(Node& left, Node& right) {
    bool left_first = !needs_context(left) || needs_context(right);
    Node& first = left_first ? left : right;
    Node& second = left_first ? right : left;
    Type a = check(first, nullptr);
    Type b = check(second, needs_context(second) && a.kind == K::Nominal ? &a : nullptr);
    return left_first ? std::pair{a, b} : std::pair{b, a};
  }

  Type membership(Node& node, Node& left, Node& right) {
    Type bool_type = Type::of(K::Bool);
    Type container = check(right, nullptr);
    if (container.is_error()) {
      check(left, nullptr);
      return bool_type;
    }
    if (container.kind == K::List) {
      if (container.element) {
        operand(left, container.element.get());
      } else {
        check(left, nullptr);
      }
      return bool_type;
    }
    if (is_stringy(container)) {
      Type string_type = Type::of(K::String);
      check(left, &string_type);
      return bool_type;
    }
    check(left, nullptr);
    return fail(node, right.span, "`in` needs a list or a string on its right, found " + quoted(container.to_string()));
  }

  Type addition(Node& node, const Type& l, const Type& r) {
    if (is_stringy(l) && is_stringy(r)) return Type::of(K::String);
    if (l.kind == K::Int && r.kind == K::Int) return l;
    if (is_numeric(l) && is_numeric(r)) return Type::of(K::Float);
    if (l.kind == K::Duration && r.kind == K::Duration) return l;
    if (l.kind == K::Timestamp && r.kind == K::Duration) return l;
    return fail(node, node.span, "cannot add " + quoted(l.to_string()) + " and " + quoted(r.to_string()));
  }

  Type list(Node& node, const Type* expected) {
    const Type* element = expected && expected->kind == K::List ? expected->element.get() : nullptr;
    std::optional<Type> first;  // without an expected element type, the first element's type
    bool failed = false;
    for (auto& child : node.children) {
      Type type = check(*child, element ? element : (first ? &*first : nullptr));
      failed = failed || type.is_error();
      if (!first && !type.is_error() && type.kind != K::Null) first = type;
    }
    if (failed) return Type::error();
    if (element) return *expected;
    if (!first) return Type{K::List, {}, nullptr};
    return Type::list(*first);
  }

  Type interpolation(Node& node) {
    for (auto& child : node.children) check(*child, nullptr);
    return Type::of(K::String);
  }

  Type call(Node& node) {
    Span name_span = node.path_spans.empty() ? node.span : node.path_spans[0];
    bool known = std::find(kBuiltins.begin(), kBuiltins.end(), node.callee) != kBuiltins.end();
    if (!known) {
      for (auto& child : node.children) check(*child, nullptr);
      std::vector<std::string> names(kBuiltins.begin(), kBuiltins.end());
      return fail(node, name_span, "unknown function " + quoted(node.callee), did_you_mean(node.callee, names));
    }
    std::size_t arity = node.callee == "contains" || node.callee == "starts_with" || node.callee == "default" ? 2 : 1;
    if (node.children.size() != arity) {
      for (auto& child : node.children) check(*child, nullptr);
      return fail(node, node.span,
                  quoted(node.callee) + " takes " + std::to_string(arity) + (arity == 1 ? " argument" : " arguments") +
                      ", found " + std::to_string(node.children.size()));
    }
    return builtin(node);
  }

  Type builtin(Node& node) {
    Type string_type = Type::of(K::String);
    Type bool_type = Type::of(K::Bool);
    Node& first = *node.children[0];
    const std::string& f = node.callee;
    if (f == "lower" || f == "upper") {
      check(first, &string_type);
      return string_type;
    }
    if (f == "starts_with") {
      check(first, &string_type);
      check(*node.children[1], &string_type);
      return bool_type;
    }
    if (f == "default") {
      Type type = check(first, nullptr);
      Type fallback = check(*node.children[1], type.kind == K::Null || type.is_error() ? nullptr : &type);
      return type.kind == K::Null ? fallback : type;
    }
    Type container = check(first, nullptr);
    bool sized = container.is_error() || container.kind == K::List || is_stringy(container);
    if (f == "contains") {
      const Type* element = container.kind == K::List ? container.element.get() : &string_type;
      operand(*node.children[1], container.is_error() ? nullptr : element);
      if (!sized) fail(first, first.span, "expected a string or a list, found " + quoted(container.to_string()));
      return bool_type;
    }
    if (!sized) fail(first, first.span, "expected a string or a list, found " + quoted(container.to_string()));
    return Type::of(K::Int);  // len
  }

  const Scope& scope_;
  DiagnosticSink& sink_;
  const Node* argument_;  // the root of an action argument's value, else null
};

}  // namespace

Type check(Node& node, const Type* expected, const Scope& scope, DiagnosticSink& sink) {
  Checker checker(scope, sink);
  return checker.check(node, expected);
}

Type check_argument(Node& node, const Type* expected, const Scope& scope, DiagnosticSink& sink) {
  Checker checker(scope, sink, &node);
  return checker.check(node, expected);
}

}  // namespace writ::expr
