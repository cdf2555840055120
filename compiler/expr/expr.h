// The expression and template language (DESIGN §4): types, values and the expression tree.
// Parsing lives in compiler/expr/parse.cc (PEGTL grammar in grammar/expr_grammar.h), type checking in
// compiler/expr/check.cc, evaluation in compiler/expr/eval.cc. The language is total and side-effect free:
// evaluation never loops, never throws for well-typed input, and never re-evaluates a value.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/source.h"

namespace writ::expr {

// ---------------------------------------------------------------------------------------
// Types
struct Type {
  enum class Kind { Error, Null, String, Int, Float, Bool, Duration, Timestamp, Nominal, List };
  Kind kind = Kind::Error;
  std::string name;                     // Nominal: "host", "user", "channel", ...
  std::shared_ptr<const Type> element;  // List: element type (null: the empty list literal)

  static Type error() { return {}; }
  static Type of(Kind k) { return Type{k, {}, nullptr}; }
  static Type nominal(std::string n) { return Type{Kind::Nominal, std::move(n), nullptr}; }
  static Type list(Type element);
  bool is_error() const { return kind == Kind::Error; }
  // "string", "host", "list<channel>", "<error>"
  std::string to_string() const;
  friend bool operator==(const Type& a, const Type& b);
};

// Parses "string", "host", "list<channel>" ... against the known nominal names.
std::optional<Type> parse_type_name(std::string_view text, const std::set<std::string>& nominals);

// Whether a value of type `from` may be used where `to` is expected. Error on either side is
// assignable (no cascades). A plain string (a literal or a mixed template) is assignable to
// any nominal type; one nominal type is never assignable to another (a user is not a host).
// int widens to float. list<A> to list<B> when A to B; the empty list to any list.
bool assignable(const Type& from, const Type& to);

// ---------------------------------------------------------------------------------------
// Values
struct Value;
using ValueList = std::vector<Value>;  // not `List`: Node::Kind::List would shadow it
struct DurationValue {
  std::int64_t seconds = 0;
  friend bool operator==(const DurationValue&, const DurationValue&) = default;
};
struct TimestampValue {
  std::int64_t unix_seconds = 0;
  friend bool operator==(const TimestampValue&, const TimestampValue&) = default;
};
struct Value {
  std::variant<std::monostate, bool, std::int64_t, double, std::string, DurationValue, TimestampValue, ValueList> v;
  friend bool operator==(const Value&, const Value&) = default;
  // The text a template interpolates: strings as-is, numbers in decimal, durations as "15m".
  std::string to_display() const;
};

// ---------------------------------------------------------------------------------------
// Where an expression's characters came from. A YAML string's value bytes may sit at
// irregular source offsets (escapes, folded block scalars): offsets[i] is the source offset of
// value byte i, with one extra entry for the end. With no offsets the text is contiguous
// in the source at `base`.
struct TextOrigin {
  SourcePtr source;
  std::uint32_t base = 0;
  std::vector<std::uint32_t> offsets;

  std::uint32_t at(std::size_t i) const;
  Span span(std::size_t begin, std::size_t end) const;  // never past the end of `source`

 private:
  Span unclamped_span(std::size_t begin, std::size_t end) const;
};

// ---------------------------------------------------------------------------------------
// The tree. Nodes are created by the parser, annotated in place by the checker (type, and
// bare identifiers resolved to enum literals), then shared read-only by the IR.
struct Node;
using NodePtr = std::shared_ptr<Node>;

struct Node {
  enum class Kind {
    Literal,        // literal: a constant (string, int, float, bool, duration, null)
    Path,           // path: event.host_id -> {"event", "host_id"}; a bare identifier is a 1-path
    Unary,          // op: "!" or "-"; children[0]
    Binary,         // op: "==" "!=" "<" "<=" ">" ">=" "&&" "||" "in" "+"; children[0], children[1]
    Call,           // callee: len lower upper contains starts_with default; children: arguments
    List,           // children: elements
    Interpolation,  // a mixed template string: children are string Literals and expressions
    Error,          // did not parse; already reported; type Error
  };
  Kind kind = Kind::Error;
  Span span;
  Value literal;
  std::vector<std::string> path;
  std::vector<Span> path_spans;  // one per path segment
  std::string op;
  std::string callee;
  std::vector<NodePtr> children;
  Type type;  // set by the checker
};

// Parses an expression (a `when:` condition, a DSL argument, the inside of `{{ }}`).
// Syntax errors are reported as template-binding diagnostics at the exact source position
// and yield a Kind::Error node. `max_length`/depth limits are enforced with input-limit.
NodePtr parse_expression(std::string_view text, const TextOrigin& origin, DiagnosticSink& sink);

// Parses a string that may hold `{{ expr }}` templates. No template: a string Literal.
// Exactly one template and nothing else: that expression itself (it keeps its type).
// Otherwise an Interpolation. An unterminated `{{` is a template-binding error.
NodePtr parse_template(std::string_view text, const TextOrigin& origin, DiagnosticSink& sink);

// ---------------------------------------------------------------------------------------
// Type checking
struct Scope {
  // Variables and their fields: "event" -> {"host_id": host, ...}; "run" -> {"id": string}.
  std::map<std::string, std::map<std::string, Type>> variables;
  // Enumerated nominal types: "channel" -> {"slack", ...}; "role" -> {...}. A bare identifier
  // (DSL) or a string literal (YAML) where such a type is expected must be one of them.
  std::map<std::string, std::set<std::string>> enums;
  std::set<std::string> nominals;  // every nominal type name
  // Loop variables (`for u in event.users`): a bare name bound to a value of the list's
  // element type (DESIGN §17).
  std::map<std::string, Type> locals;
  // Names that may not be read here, with the reason given when one is (the loop variable in
  // the step's `when`, decided once for the whole step).
  std::map<std::string, std::string> hidden;
  // `steps.ID.status` and `steps.ID.outputs.NAME` when `step_results` is set: the steps
  // strictly earlier on every path (readable, with their action and outputs) and the others,
  // with why they cannot be read here (itself, a later step, a sibling in a parallel block).
  struct StepResult {
    std::string action;
    std::map<std::string, Type> outputs;  // a for-each step's: list<T>, one per element
  };
  bool step_results = false;
  std::map<std::string, StepResult> readable_steps;
  std::map<std::string, std::string> unreadable_steps;
  std::string runbook;             // for the diagnostics' runbook/step fields
  std::string step;
  SourcePtr source;  // the file the checked expressions come from (diagnostics)
};

// Checks `node` in place against `expected` (null: any type) and returns its type. Errors
// (unbound variable, unknown field with did-you-mean, wrong type, unknown enum constant,
// bad builtin call) are template-binding diagnostics; the node then has type Error and no
// further diagnostics cascade from it.
Type check(Node& node, const Type* expected, const Scope& scope, DiagnosticSink& sink);

// As check(), for the value of an action argument: a constant that is no value of the
// parameter's enumerated type (`channels: [slak]`), given as the value or as an element of a
// list value, is an action-arguments finding (with the did-you-mean, or the values) rather
// than template-binding; a comparison inside a template keeps template-binding.
Type check_argument(Node& node, const Type* expected, const Scope& scope, DiagnosticSink& sink);

// ---------------------------------------------------------------------------------------
// Evaluation
struct Environment {
  // Resolves a path such as {"event", "host_id"}; nothing when absent (evaluates to null).
  std::function<std::optional<Value>(std::span<const std::string> path)> lookup;
};

// Evaluates a checked node. Absent fields are null; `default(x, y)` picks y for null x.
// Rendered values are data: a value containing "{{" is never parsed again.
Value evaluate(const Node& node, const Environment& env);

// A condition's value when it does not depend on the event or the run: `false`, `1 > 2`,
// `false && event.x` (false whatever event.x is), `!true`; nothing when it depends on a
// variable. Evaluation semantics are evaluate()'s (null and non-bools are false).
std::optional<bool> constant_truth(const Node& node);

// Prints an expression in the surface syntax (DSL argument / `{{ }}` body form): strings
// double-quoted with escapes, durations as `15m`, lists as `[a, b]`, minimal parentheses.
// parse_expression(to_source(n)) gives an equal tree. An Interpolation prints as a string
// literal holding `{{ }}` parts. Used by `writ fmt` / `writ convert`.
std::string to_source(const Node& node);

// A double-quoted string literal: `"` `\` and line breaks/tabs escaped (\" \\ \n \r \t).
// With `unicode_escapes` (the DSL's string syntax) other control characters print as \u00XX;
// the expression language has no such escape and keeps them as they are.
std::string quote_string(std::string_view text, bool unicode_escapes);

// Prints a template's text (unquoted): parse_template(template_source(n)) gives an equal tree.
// Text that would read back as a template opening — a value holding "{{", or a text part
// ending in `{` before an expression — prints as a string expression, `{{ "a{{b" }}`.
std::string template_source(const Node& node);
// quote(template_source(n)) in the expression language's string syntax: how an Interpolation
// prints, and how a DSL argument holding a template is written.
std::string template_literal(const Node& node);

}  // namespace writ::expr
