// The PEGTL grammar of writ's expression and template language (DESIGN §4; EBNF in
// grammar/README.md). Included only by .cc files (compiler/expr/parse.cc and the DSL parser):
// it pulls in PEGTL.
//
// Entry points:
//   expression      exactly one expression; consumes no whitespace before or after it. The
//                   DSL grammar embeds it for argument values and `when` conditions.
//   grammar         a whole input: optional whitespace, one expression, optional whitespace,
//                   end of input.
//   template_body   what follows a `{{`: whitespace, one expression, whitespace, `}}`.
//
// Errors: rules wrapped in must<> carry a message in the `error_message` table below. Parse
// with `control` (tao::pegtl::must_if<errors>) to get those messages in the parse_error; a
// grammar that embeds `expression` can fall back to `error_message<Rule>` in its own table.
// Stack safety: parse with `action` (tao::pegtl::limit_depth) so that pathological nesting
// raises a parse_error whose message is `kDepthExceededMessage` instead of exhausting the stack.
#pragma once

#include <cstddef>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/limit_depth.hpp>

#include "common/limits.h"

namespace writ::grammar::expr {

namespace pegtl = tao::pegtl;

// ---------------------------------------------------------------------------------------
// Lexical rules
struct ws : pegtl::star<pegtl::space> {};

struct ident_first : pegtl::ranges<'a', 'z', 'A', 'Z', '_'> {};
struct ident_other : pegtl::ranges<'a', 'z', 'A', 'Z', '0', '9', '_'> {};
struct identifier : pegtl::seq<ident_first, pegtl::star<ident_other>> {};

struct kw_true : pegtl::keyword<'t', 'r', 'u', 'e'> {};
struct kw_false : pegtl::keyword<'f', 'a', 'l', 's', 'e'> {};
struct kw_null : pegtl::keyword<'n', 'u', 'l', 'l'> {};
struct kw_in : pegtl::keyword<'i', 'n'> {};
struct reserved : pegtl::sor<kw_true, kw_false, kw_null, kw_in> {};

// A variable, the first segment of a path, or a builtin's name.
struct name : pegtl::seq<pegtl::not_at<reserved>, identifier> {};
// A field after `.`: any identifier (keywords included, the dot disambiguates).
struct segment : identifier {};

// Numbers: `42`, `-7`, `1.5`, `2e3`, and durations `30s 15m 72h 2d 4bd 1mo`.
struct digits : pegtl::plus<pegtl::digit> {};
struct duration_unit : pegtl::sor<pegtl::string<'m', 'o'>, pegtl::string<'b', 'd'>, pegtl::one<'s', 'm', 'h', 'd'>> {};
struct exponent : pegtl::seq<pegtl::one<'e', 'E'>, pegtl::opt<pegtl::one<'+', '-'>>, digits> {};
struct duration_lit : pegtl::seq<digits, duration_unit> {};
struct float_lit : pegtl::seq<pegtl::opt<pegtl::one<'-'>>, digits,
                              pegtl::sor<pegtl::seq<pegtl::one<'.'>, digits, pegtl::opt<exponent>>, exponent>> {};
struct int_lit : pegtl::seq<pegtl::opt<pegtl::one<'-'>>, digits> {};
struct number_end : pegtl::not_at<ident_other> {};
struct number : pegtl::seq<pegtl::sor<duration_lit, float_lit, int_lit>, pegtl::must<number_end>> {};

// Strings: "double" or 'single' quoted; escapes \" \' \\ \n \t \r.
struct escape_char : pegtl::one<'"', '\'', '\\', 'n', 't', 'r'> {};
struct escape : pegtl::seq<pegtl::one<'\\'>, pegtl::must<escape_char>> {};
struct dq_close : pegtl::one<'"'> {};
struct sq_close : pegtl::one<'\''> {};
struct dq_string : pegtl::seq<pegtl::one<'"'>, pegtl::star<pegtl::sor<escape, pegtl::not_one<'"', '\\'>>>, pegtl::must<dq_close>> {};
struct sq_string : pegtl::seq<pegtl::one<'\''>, pegtl::star<pegtl::sor<escape, pegtl::not_one<'\'', '\\'>>>, pegtl::must<sq_close>> {};

// ---------------------------------------------------------------------------------------
// Operators. Each binary operator knows its right operand's rule so that a missing operand
// reports "expected an expression after `==`".
struct op_or : pegtl::string<'|', '|'> {};
struct op_and : pegtl::string<'&', '&'> {};
struct op_eq : pegtl::string<'=', '='> {};
struct op_ne : pegtl::string<'!', '='> {};
struct op_le : pegtl::string<'<', '='> {};
struct op_ge : pegtl::string<'>', '='> {};
struct op_lt : pegtl::one<'<'> {};
struct op_gt : pegtl::one<'>'> {};
struct op_in : kw_in {};
struct op_plus : pegtl::one<'+'> {};
struct op_not : pegtl::seq<pegtl::one<'!'>, pegtl::not_at<pegtl::one<'='>>> {};
struct op_neg : pegtl::seq<pegtl::one<'-'>, pegtl::not_at<pegtl::digit>> {};

// The operand that must follow an operator: transparent in the parse tree (Operand is its
// only child), distinct per operator for the error table.
template <typename Op, typename Operand>
struct rhs : pegtl::seq<Operand> {};

// ---------------------------------------------------------------------------------------
// Expressions, loosest first: || ; && ; == != < <= > >= in ; + ; unary ! - ; primary.
struct expression;

struct paren_inner : pegtl::seq<expression> {};
struct paren_close : pegtl::one<')'> {};
struct parenthesized : pegtl::seq<pegtl::one<'('>, ws, pegtl::must<paren_inner>, ws, pegtl::must<paren_close>> {};

struct list_item : pegtl::seq<expression> {};
struct list_close : pegtl::one<']'> {};
struct list_items : pegtl::seq<expression, pegtl::star<ws, pegtl::one<','>, ws, pegtl::must<list_item>>> {};
struct list_lit : pegtl::seq<pegtl::one<'['>, ws, pegtl::opt<list_items, ws>, pegtl::must<list_close>> {};

struct callee : name {};
struct call_arg : pegtl::seq<expression> {};
struct call_close : pegtl::one<')'> {};
struct call_args : pegtl::seq<expression, pegtl::star<ws, pegtl::one<','>, ws, pegtl::must<call_arg>>> {};
struct call : pegtl::seq<callee, pegtl::one<'('>, ws, pegtl::opt<call_args, ws>, pegtl::must<call_close>> {};

struct field : segment {};
struct path : pegtl::seq<name, pegtl::star<pegtl::one<'.'>, pegtl::must<field>>> {};

struct primary : pegtl::sor<parenthesized, list_lit, dq_string, sq_string, number, kw_true, kw_false, kw_null, call, path> {};

struct unary;
struct not_expr : pegtl::seq<op_not, ws, pegtl::must<rhs<op_not, unary>>> {};
struct neg_expr : pegtl::seq<op_neg, ws, pegtl::must<rhs<op_neg, unary>>> {};
struct unary : pegtl::sor<not_expr, neg_expr, primary> {};

template <typename Op, typename Operand>
struct binary_tail : pegtl::seq<ws, Op, ws, pegtl::must<rhs<Op, Operand>>> {};

struct add_expr : pegtl::seq<unary, pegtl::star<binary_tail<op_plus, unary>>> {};
struct cmp_expr : pegtl::seq<add_expr, pegtl::star<pegtl::sor<binary_tail<op_eq, add_expr>, binary_tail<op_ne, add_expr>,
                                                              binary_tail<op_le, add_expr>, binary_tail<op_ge, add_expr>,
                                                              binary_tail<op_lt, add_expr>, binary_tail<op_gt, add_expr>,
                                                              binary_tail<op_in, add_expr>>>> {};
struct and_expr : pegtl::seq<cmp_expr, pegtl::star<binary_tail<op_and, cmp_expr>>> {};
struct or_expr : pegtl::seq<and_expr, pegtl::star<binary_tail<op_or, and_expr>>> {};

struct expression : pegtl::seq<or_expr> {};

// ---------------------------------------------------------------------------------------
// Top-level rules
struct expression_required : pegtl::seq<expression> {};
struct end_of_expression : pegtl::eof {};
struct grammar : pegtl::seq<ws, pegtl::must<expression_required>, ws, pegtl::must<end_of_expression>> {};

struct template_close : pegtl::string<'}', '}'> {};
struct template_body : pegtl::seq<pegtl::string<'{', '{'>, ws, pegtl::must<expression_required>, ws, pegtl::must<template_close>> {};

// ---------------------------------------------------------------------------------------
// Error messages for every must<> target.
template <typename Rule>
inline constexpr const char* error_message = nullptr;

// clang-format off
template <typename T> inline constexpr const char* error_message<rhs<op_or, T>> = "expected an expression after `||`";
template <typename T> inline constexpr const char* error_message<rhs<op_and, T>> = "expected an expression after `&&`";
template <typename T> inline constexpr const char* error_message<rhs<op_eq, T>> = "expected an expression after `==`";
template <typename T> inline constexpr const char* error_message<rhs<op_ne, T>> = "expected an expression after `!=`";
template <typename T> inline constexpr const char* error_message<rhs<op_le, T>> = "expected an expression after `<=`";
template <typename T> inline constexpr const char* error_message<rhs<op_ge, T>> = "expected an expression after `>=`";
template <typename T> inline constexpr const char* error_message<rhs<op_lt, T>> = "expected an expression after `<`";
template <typename T> inline constexpr const char* error_message<rhs<op_gt, T>> = "expected an expression after `>`";
template <typename T> inline constexpr const char* error_message<rhs<op_in, T>> = "expected an expression after `in`";
template <typename T> inline constexpr const char* error_message<rhs<op_plus, T>> = "expected an expression after `+`";
template <typename T> inline constexpr const char* error_message<rhs<op_not, T>> = "expected an expression after `!`";
template <typename T> inline constexpr const char* error_message<rhs<op_neg, T>> = "expected an expression after `-`";
template <> inline constexpr const char* error_message<number_end> = "invalid number: a duration unit is one of s, m, h, d, bd, mo";
template <> inline constexpr const char* error_message<escape_char> = "unknown escape sequence: use \\\", \\', \\\\, \\n, \\t or \\r";
template <> inline constexpr const char* error_message<dq_close> = "unterminated string: expected a closing `\"`";
template <> inline constexpr const char* error_message<sq_close> = "unterminated string: expected a closing `'`";
template <> inline constexpr const char* error_message<paren_inner> = "expected an expression after `(`";
template <> inline constexpr const char* error_message<paren_close> = "expected `)` to close the parenthesis";
template <> inline constexpr const char* error_message<list_item> = "expected a list element after `,`";
template <> inline constexpr const char* error_message<list_close> = "expected `,` or `]` in the list";
template <> inline constexpr const char* error_message<call_arg> = "expected an argument after `,`";
template <> inline constexpr const char* error_message<call_close> = "expected `,` or `)` in the argument list";
template <> inline constexpr const char* error_message<field> = "expected a field name after `.`";
template <> inline constexpr const char* error_message<expression_required> = "expected an expression";
template <> inline constexpr const char* error_message<end_of_expression> = "unexpected text after the expression";
template <> inline constexpr const char* error_message<template_close> = "expected `}}` to close the template";
// clang-format on

struct errors {
  template <typename Rule>
  static constexpr const char* message = error_message<Rule>;
};

template <typename Rule>
using control = pegtl::must_if<errors>::control<Rule>;

// ---------------------------------------------------------------------------------------
// Depth limit. Every nesting level of an expression (parenthesis, list, call, unary operator)
// costs fewer than kRuleDepthPerLevel PEGTL rule levels (about 10); the exact expression-depth limit
// (Limits::max_nesting_depth) is enforced on the tree, this one only keeps the stack safe.
inline constexpr std::size_t kRuleDepthPerLevel = 16;
inline constexpr std::size_t kMaxRuleDepth = (Limits{}.max_nesting_depth + 8) * kRuleDepthPerLevel;
inline constexpr const char* kDepthExceededMessage = "maximum parser rule nesting depth exceeded";

template <typename Rule>
struct action : pegtl::limit_depth<kMaxRuleDepth> {};

}  // namespace writ::grammar::expr
