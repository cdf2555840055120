// The PEGTL grammar of the .writ DSL (DESIGN §3; EBNF in grammar/README.md). Included only by
// the DSL parser's .cc files: it pulls in PEGTL.
//
// Entry point: `file`, a whole .writ input (runbooks and declarations). Argument values and
// `when` conditions embed writ::grammar::expr::expression; the parser hands exactly that
// substring to expr::parse_expression.
//
// The parser builds a parse tree with `selector` (only the nodes the lowering reads), parses
// with `control` (every must<> target has a message in `error_message`; rules of the embedded
// expression grammar fall back to its own table) and with `action` (limit_depth: pathological
// nesting raises a parse_error carrying expr::kDepthExceededMessage instead of exhausting the
// stack). Messages may name the enclosing construct with the placeholders {runbook}, {step}
// and {decl}; the parser fills them in from ParseContext, which the name actions maintain.
//
// Layout: statements end at a newline or `;`; inside (), [] and event/field lists newlines are
// free. Comments run from `#` or `//` to the end of the line (suppression comments are
// comments here; a separate scanner reads them).
#pragma once

#include <iterator>
#include <string>
#include <string_view>
#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/parse_tree.hpp>
#include <vector>

#include "common/text.h"
#include "grammar/expr_grammar.h"

namespace writ::grammar::dsl {

namespace pegtl = tao::pegtl;
using pegtl::at;
using pegtl::eof;
using pegtl::identifier;
using pegtl::must;
using pegtl::not_at;
using pegtl::one;
using pegtl::opt;
using pegtl::plus;
using pegtl::seq;
using pegtl::sor;
using pegtl::star;

// ---------------------------------------------------------------------------------------
// Lexical rules
struct blank : one<' ', '\t', '\r'> {};
struct comment : seq<sor<one<'#'>, pegtl::two<'/'>>, star<pegtl::not_one<'\n'>>> {};
struct sp : seq<star<blank>, opt<comment>> {};  // inside one line
struct newline : one<'\n'> {};
struct gap : star<sor<blank, comment, newline, one<';'>>> {};  // between statements
struct nlsp : star<sor<blank, comment, newline>> {};           // inside brackets
struct end_of_statement : sor<newline, one<';'>, at<one<'}'>>, eof> {};

struct comma : seq<sp, one<','>, nlsp> {};  // a trailing comma continues the statement
struct comma_nl : seq<nlsp, one<','>, nlsp> {};

// A keyword is a whole identifier: `stepx` is not `step`.
template <char... C>
struct kw : pegtl::keyword<C...> {};

struct name : identifier {};
// Compliance tags may contain '-' and '.': UK-GDPR, PCI-DSS, CERT-In, GDPR.subjects.
struct tag : seq<pegtl::identifier_first, star<sor<pegtl::identifier_other, one<'-', '.'>>>> {};
// Obligation names may start with a digit (`8k`); a reference is `gdpr.authority`, `sec.8k`.
struct obligation_name : plus<pegtl::identifier_other> {};
struct obligation_ref : seq<identifier, star<one<'.'>, obligation_name>> {};

// A NUL would cut a string short wherever it becomes a C string (an argv element, a path):
// neither a raw NUL byte nor `\u0000` may appear in a string (DESIGN §13).
struct nul_escape : pegtl::failure {};
struct nul_byte : pegtl::failure {};
struct escape_code : sor<seq<at<pegtl::string<'u', '0', '0', '0', '0'>>, must<nul_escape>>, one<'"', '\\', 'n', 't', 'r', '/'>,
                         seq<one<'u'>, pegtl::rep<4, pegtl::xdigit>>> {};
struct escape : seq<one<'\\'>, must<escape_code>> {};
struct string_close : one<'"'> {};
struct string_char : sor<escape, seq<at<one<'\0'>>, must<nul_byte>>, pegtl::not_one<'"', '\\', '\n'>> {};
struct string_lit : seq<one<'"'>, star<string_char>, must<string_close>> {};

// Number tokens look ahead first, so that a failure (`15min`) is reported at the token's start.
struct integer_token : seq<plus<pegtl::digit>, not_at<pegtl::identifier_other>> {};
struct integer : seq<at<integer_token>, integer_token> {};
// Units: s m h d, cd (calendar days), bd (business days), mo (months).
struct duration_unit
    : sor<pegtl::string<'m', 'o'>, pegtl::string<'b', 'd'>, pegtl::string<'c', 'd'>, one<'s', 'm', 'h', 'd'>> {};
struct duration_token : seq<plus<pegtl::digit>, duration_unit, not_at<pegtl::identifier_other>> {};
struct duration : seq<at<duration_token>, duration_token> {};

struct type_close : one<'>'> {};
struct type_name : seq<identifier, opt<sp, one<'<'>, sp, must<type_name>, sp, must<type_close>>> {};

// An expression of the embedded language; its node's extent is exactly the expression.
struct expression : seq<expr::expression> {};

// ---------------------------------------------------------------------------------------
// Shared pieces: argument lists, field lists, blocks
struct arg_colon : one<':'> {};
struct argument : seq<name, sp, must<arg_colon>, nlsp, must<expression>> {};
struct arg_next : seq<argument> {};
struct arg_close : one<')'> {};
struct arg_list : seq<one<'('>, nlsp, opt<argument, star<comma_nl, not_at<arg_close>, must<arg_next>>, opt<comma_nl>>,
                      nlsp, must<arg_close>> {};

struct field_colon : one<':'> {};
struct event_field : seq<name, sp, must<field_colon>, sp, must<type_name>> {};
struct field_sep : sor<seq<sp, one<','>>, seq<sp, newline>> {};
struct event_open : one<'{'> {};
struct event_close : one<'}'> {};
struct kw_event : kw<'e', 'v', 'e', 'n', 't'> {};
struct event_block
    : seq<kw_event, sp, must<event_open>, nlsp, opt<event_field, star<field_sep, nlsp, event_field>, opt<sp, one<','>>>,
          nlsp, must<event_close>> {};

struct block_open : one<'{'> {};

// A `{ ... }` body of statements; Unknown matches any other identifier and raises a
// did-you-mean (see the `action` specializations in the parser).
template <typename Stmt, typename Close>
struct block : seq<must<block_open>, gap, star<Stmt, sp, must<end_of_statement>, gap>, must<Close>> {};

// ---------------------------------------------------------------------------------------
// Steps
struct kw_step : kw<'s', 't', 'e', 'p'> {};
struct kw_approve : kw<'a', 'p', 'p', 'r', 'o', 'v', 'e'> {};
struct kw_within : kw<'w', 'i', 't', 'h', 'i', 'n'> {};
struct kw_rollback : kw<'r', 'o', 'l', 'l', 'b', 'a', 'c', 'k'> {};
struct kw_preserve : kw<'p', 'r', 'e', 's', 'e', 'r', 'v', 'e'> {};
struct kw_deadline : kw<'d', 'e', 'a', 'd', 'l', 'i', 'n', 'e'> {};
struct kw_timeout : kw<'t', 'i', 'm', 'e', 'o', 'u', 't'> {};
struct kw_when : kw<'w', 'h', 'e', 'n'> {};
struct kw_retries : kw<'r', 'e', 't', 'r', 'i', 'e', 's'> {};
struct kw_on_failure : kw<'o', 'n', '_', 'f', 'a', 'i', 'l', 'u', 'r', 'e'> {};
struct kw_satisfies : kw<'s', 'a', 't', 'i', 's', 'f', 'i', 'e', 's'> {};
struct kw_assignee : kw<'a', 's', 's', 'i', 'g', 'n', 'e', 'e'> {};
struct kw_for : kw<'f', 'o', 'r'> {};
struct kw_in : kw<'i', 'n'> {};

// Ids may also hold '-' and '.' (YAML ids such as `notify-1` convert as written).
struct step_id : tag {};
struct step_equals : one<'='> {};
struct action_ref : identifier {};
struct call_args : seq<arg_list> {};
// `for u in event.users`: the step runs once per element (DESIGN §17).
struct loop_variable : identifier {};
struct loop_in : kw_in {};
struct for_clause : seq<kw_for, sp, must<loop_variable>, sp, must<loop_in>, sp, must<expression>> {};
struct step_head
    : seq<kw_step, sp, must<step_id>, sp, must<step_equals>, sp, must<action_ref>, sp, must<call_args>, opt<sp, for_clause>> {};

struct role_name : seq<not_at<kw_within>, identifier> {};
// `approve ciso legal`: roles after a missing comma, matched only to be reported with the fix
// (its action throws).
struct role_after_missing_comma : seq<role_name> {};
struct roles_without_comma : seq<role_after_missing_comma, star<sor<comma, plus<blank>>, role_name>> {};
struct approve_stmt : seq<kw_approve, opt<sp, role_name, star<comma, must<role_name>>, opt<plus<blank>, roles_without_comma>>,
                          opt<sp, kw_within, sp, must<duration>>> {};
struct rollback_stmt : seq<kw_rollback, sp, must<action_ref>, opt<sp, arg_list>> {};
struct preserve_path : string_lit {};
struct preserve_stmt : seq<kw_preserve, sp, must<preserve_path>, star<comma, must<preserve_path>>> {};
struct deadline_stmt : seq<kw_deadline, sp, must<duration>> {};
struct timeout_stmt : seq<kw_timeout, sp, must<duration>> {};
struct when_stmt : seq<kw_when, sp, must<expression>> {};
struct retries_stmt : seq<kw_retries, sp, must<integer>> {};
struct on_failure_value : sor<kw<'h', 'a', 'l', 't'>, kw<'r', 'o', 'l', 'l', 'b', 'a', 'c', 'k'>,
                              kw<'c', 'o', 'n', 't', 'i', 'n', 'u', 'e'>> {};
struct on_failure_stmt : seq<kw_on_failure, sp, must<on_failure_value>> {};
struct satisfies_stmt : seq<kw_satisfies, sp, must<obligation_ref>, star<comma, must<obligation_ref>>> {};
struct assignee_role : identifier {};
struct assignee_stmt : seq<kw_assignee, sp, must<assignee_role>> {};
struct within_stmt : seq<kw_within, sp, must<duration>> {};
struct step_unknown : identifier {};
struct step_stmt : sor<approve_stmt, rollback_stmt, preserve_stmt, deadline_stmt, timeout_stmt, when_stmt, retries_stmt,
                       on_failure_stmt, satisfies_stmt, assignee_stmt, within_stmt, step_unknown> {};
struct step_close : one<'}'> {};
struct step : seq<step_head, sp, opt<at<one<'{'>>, block<step_stmt, step_close>>> {};

// `parallel { step … step … }`: branches that start together. A parallel block holds steps
// only: another `parallel` inside one is reported (not supported).
struct kw_parallel : kw<'p', 'a', 'r', 'a', 'l', 'l', 'e', 'l'> {};
struct no_nested_parallel : pegtl::failure {};
struct nested_parallel : seq<at<kw_parallel>, must<no_nested_parallel>> {};
struct parallel_unknown : identifier {};
struct parallel_member : sor<nested_parallel, step, parallel_unknown> {};
struct parallel_close : one<'}'> {};
struct parallel_block : seq<kw_parallel, sp, block<parallel_member, parallel_close>> {};

// ---------------------------------------------------------------------------------------
// Runbooks
struct kw_runbook : kw<'r', 'u', 'n', 'b', 'o', 'o', 'k'> {};
struct kw_title : kw<'t', 'i', 't', 'l', 'e'> {};
struct kw_severity : kw<'s', 'e', 'v', 'e', 'r', 'i', 't', 'y'> {};
struct kw_comply : kw<'c', 'o', 'm', 'p', 'l', 'y'> {};
struct kw_version : kw<'v', 'e', 'r', 's', 'i', 'o', 'n'> {};
struct kw_owner : kw<'o', 'w', 'n', 'e', 'r'> {};
struct kw_last_updated : kw<'l', 'a', 's', 't', '_', 'u', 'p', 'd', 'a', 't', 'e', 'd'> {};

struct runbook_id : tag {};
struct runbook_head : seq<kw_runbook, sp, must<runbook_id>> {};
struct title_stmt : seq<kw_title, sp, must<string_lit>> {};
struct severity_stmt : seq<kw_severity, sp, must<name>> {};
// A tag outside the tag syntax (from YAML: "SOC 2") is written as a string.
struct comply_item : sor<string_lit, tag> {};
struct comply_stmt : seq<kw_comply, sp, must<comply_item>, star<comma, must<comply_item>>> {};
struct version_stmt : seq<kw_version, sp, must<string_lit>> {};
struct owner_stmt : seq<kw_owner, sp, must<string_lit>> {};
struct last_updated_stmt : seq<kw_last_updated, sp, must<string_lit>> {};
struct runbook_unknown : identifier {};
struct runbook_stmt : sor<title_stmt, severity_stmt, comply_stmt, version_stmt, owner_stmt, last_updated_stmt,
                          event_block, when_stmt, step, parallel_block, runbook_unknown> {};
struct runbook_close : one<'}'> {};
struct runbook : seq<runbook_head, sp, block<runbook_stmt, runbook_close>> {};

// ---------------------------------------------------------------------------------------
// Declarations: types, enumerations, actions
struct decl_name : identifier {};
struct kw_type : kw<'t', 'y', 'p', 'e'> {};
struct kw_channel : kw<'c', 'h', 'a', 'n', 'n', 'e', 'l'> {};
struct kw_role : kw<'r', 'o', 'l', 'e'> {};
struct name_list : seq<must<name>, star<comma, must<name>>> {};
struct type_decl : seq<kw_type, sp, name_list> {};
struct enum_kind : sor<kw_channel, kw_role> {};
struct enum_decl : seq<enum_kind, sp, name_list> {};

struct kw_action : kw<'a', 'c', 't', 'i', 'o', 'n'> {};
struct kw_effect : kw<'e', 'f', 'f', 'e', 'c', 't'> {};
struct kw_inverse : kw<'i', 'n', 'v', 'e', 'r', 's', 'e'> {};
struct kw_doc : kw<'d', 'o', 'c'> {};
struct optional_mark : one<'?'> {};
struct param_colon : one<':'> {};
struct param : seq<name, opt<sp, optional_mark>, sp, must<param_colon>, sp, must<type_name>> {};
struct param_next : seq<param> {};
struct params_open : one<'('> {};
struct params_close : one<')'> {};
struct param_list
    : seq<must<params_open>, nlsp, opt<param, star<comma_nl, not_at<params_close>, must<param_next>>, opt<comma_nl>>,
          nlsp, must<params_close>> {};
struct effect_stmt : seq<kw_effect, sp, must<name>> {};
struct inverse_stmt : seq<kw_inverse, sp, must<action_ref>> {};
struct doc_stmt : seq<kw_doc, sp, must<string_lit>> {};
struct kw_returns : kw<'r', 'e', 't', 'u', 'r', 'n', 's'> {};
struct returns_open : one<'{'> {};
struct returns_close : one<'}'> {};
struct returns_stmt : seq<kw_returns, sp, must<returns_open>, nlsp,
                          opt<event_field, star<field_sep, nlsp, event_field>, opt<sp, one<','>>>, nlsp,
                          must<returns_close>> {};
struct action_unknown : identifier {};
struct action_stmt : sor<effect_stmt, inverse_stmt, timeout_stmt, doc_stmt, returns_stmt, action_unknown> {};
struct decl_close : one<'}'> {};
struct action_decl
    : seq<kw_action, sp, must<decl_name>, sp, param_list, sp, opt<at<one<'{'>>, block<action_stmt, decl_close>>> {};

// ---------------------------------------------------------------------------------------
// Regulations
struct kw_regulation : kw<'r', 'e', 'g', 'u', 'l', 'a', 't', 'i', 'o', 'n'> {};
struct kw_tag : kw<'t', 'a', 'g'> {};
struct kw_obligation : kw<'o', 'b', 'l', 'i', 'g', 'a', 't', 'i', 'o', 'n'> {};
struct kw_asap : kw<'a', 's', 'a', 'p'> {};
struct kw_trigger : kw<'t', 'r', 'i', 'g', 'g', 'e', 'r'> {};
struct kw_notify : kw<'n', 'o', 't', 'i', 'f', 'y'> {};
struct kw_cite : kw<'c', 'i', 't', 'e'> {};
struct conditional_flag : kw<'c', 'o', 'n', 'd', 'i', 't', 'i', 'o', 'n', 'a', 'l'> {};

struct regime_title : string_lit {};
struct obligation_title : string_lit {};
struct obligation_within : kw_within {};
struct asap : kw_asap {};
struct obligation_deadline : sor<asap, duration> {};
struct trigger_stmt : seq<kw_trigger, sp, must<string_lit>> {};
struct notify_stmt : seq<kw_notify, sp, must<string_lit>> {};
struct cite_stmt : seq<kw_cite, sp, must<string_lit>> {};
struct obligation_unknown : identifier {};
struct obligation_stmt : sor<trigger_stmt, notify_stmt, cite_stmt, obligation_unknown> {};
struct obligation_close : one<'}'> {};
struct obligation : seq<kw_obligation, sp, must<obligation_name>, sp, must<obligation_title>, sp,
                        must<obligation_within>, sp, must<obligation_deadline>, opt<sp, conditional_flag>, sp,
                        opt<at<one<'{'>>, block<obligation_stmt, obligation_close>>> {};
struct tag_stmt : seq<kw_tag, sp, must<tag>, star<comma, must<tag>>> {};
struct regulation_unknown : identifier {};
struct regulation_stmt : sor<tag_stmt, obligation, regulation_unknown> {};
struct regulation_decl
    : seq<kw_regulation, sp, must<decl_name>, sp, must<regime_title>, sp, block<regulation_stmt, decl_close>> {};

// ---------------------------------------------------------------------------------------
// Policies
struct kw_policy : kw<'p', 'o', 'l', 'i', 'c', 'y'> {};
struct kw_approval_timeout : kw<'a', 'p', 'p', 'r', 'o', 'v', 'a', 'l', '_', 't', 'i', 'm', 'e', 'o', 'u', 't'> {};
struct kw_step_timeout : kw<'s', 't', 'e', 'p', '_', 't', 'i', 'm', 'e', 'o', 'u', 't'> {};
struct kw_evidence_roots : kw<'e', 'v', 'i', 'd', 'e', 'n', 'c', 'e', '_', 'r', 'o', 'o', 't', 's'> {};
struct kw_approver_identity
    : kw<'a', 'p', 'p', 'r', 'o', 'v', 'e', 'r', '_', 'i', 'd', 'e', 'n', 't', 'i', 't', 'y'> {};

struct policy_role : seq<not_at<kw_for>, identifier> {};
struct effect_name : identifier {};
struct policy_for : kw_for {};
struct policy_approve : seq<kw_approve, sp, must<policy_role>, star<comma, must<policy_role>>, sp, must<policy_for>, sp,
                            must<effect_name>, star<comma, must<effect_name>>> {};
struct severity_unknown : identifier {};
struct severity_stmt_in_policy : sor<policy_approve, severity_unknown> {};
struct severity_close : one<'}'> {};
struct severity_rule : seq<kw_severity, sp, must<name>, sp, block<severity_stmt_in_policy, severity_close>> {};
struct approval_timeout_stmt : seq<kw_approval_timeout, sp, must<duration>> {};
struct step_timeout_stmt : seq<kw_step_timeout, sp, must<duration>> {};
struct asap_stmt : seq<kw_asap, sp, must<duration>> {};
struct evidence_root : string_lit {};
struct evidence_roots_stmt : seq<kw_evidence_roots, sp, must<evidence_root>, star<comma, must<evidence_root>>> {};
struct identity_level : identifier {};  // `required` or `optional`, checked by the catalog
struct approver_identity_stmt : seq<kw_approver_identity, sp, must<identity_level>> {};
struct policy_unknown : identifier {};
struct policy_stmt : sor<severity_rule, approval_timeout_stmt, step_timeout_stmt, asap_stmt, evidence_roots_stmt,
                         approver_identity_stmt, policy_unknown> {};
struct policy_decl : seq<kw_policy, sp, must<decl_name>, sp, block<policy_stmt, decl_close>> {};

// ---------------------------------------------------------------------------------------
// A file
struct event_decl : event_block {};
struct declaration_unknown : identifier {};
struct declaration
    : sor<runbook, type_decl, enum_decl, event_decl, action_decl, regulation_decl, policy_decl, declaration_unknown> {};
struct end_of_file : eof {};
struct file : seq<opt<pegtl::utf8::bom>, gap, star<declaration, sp, must<end_of_statement>, gap>, must<end_of_file>> {};

// ---------------------------------------------------------------------------------------
// Statement keywords per context, for did-you-mean hints on unknown statements.
inline constexpr const char* kStepKeywords[] = {"approve", "rollback", "preserve",   "deadline", "timeout",
                                                "when",    "retries",  "on_failure", "satisfies"};
// Statements of a `task` step only: offered as a did-you-mean, not in the list every step shows.
inline constexpr const char* kTaskStepKeywords[] = {"assignee", "within"};
inline constexpr const char* kRunbookKeywords[] = {"title", "severity", "comply", "version", "owner",
                                                   "last_updated", "event", "when", "step", "parallel"};
inline constexpr const char* kParallelKeywords[] = {"step"};
inline constexpr const char* kActionKeywords[] = {"effect", "inverse", "timeout", "doc", "returns"};
inline constexpr const char* kRegulationKeywords[] = {"tag", "obligation"};
inline constexpr const char* kObligationKeywords[] = {"trigger", "notify", "cite"};
inline constexpr const char* kPolicyKeywords[] = {"severity", "approval_timeout", "step_timeout", "asap",
                                                  "evidence_roots", "approver_identity"};
inline constexpr const char* kSeverityKeywords[] = {"approve"};
inline constexpr const char* kDeclarationKeywords[] = {"runbook", "type",   "channel",    "role",
                                                       "event",   "action", "regulation", "policy"};

// ---------------------------------------------------------------------------------------
// Error messages for every must<> target.
template <typename Rule>
inline constexpr const char* error_message = nullptr;

// clang-format off
template <> inline constexpr const char* error_message<end_of_statement> = "expected the end of the statement (a newline or `;`)";
template <> inline constexpr const char* error_message<end_of_file> = "expected a declaration: `runbook`, `action`, `type`, `channel`, `role`, `event`, `regulation` or `policy`";
template <> inline constexpr const char* error_message<name> = "expected a name";
template <> inline constexpr const char* error_message<tag> = "expected a compliance tag such as `GDPR` or `UK-GDPR`";
template <> inline constexpr const char* error_message<comply_item> = "expected a compliance tag such as `GDPR` or `UK-GDPR`, or a quoted string";
template <> inline constexpr const char* error_message<obligation_name> = "expected the obligation's name";
template <> inline constexpr const char* error_message<obligation_ref> = "expected an obligation such as `gdpr.authority`";
template <> inline constexpr const char* error_message<escape_code> = "unknown escape sequence: use \\\", \\\\, \\/, \\n, \\t, \\r or \\uXXXX";
template <> inline constexpr const char* error_message<nul_escape> = "`\\u0000` (NUL) is not allowed in a string: it would cut the value short";
template <> inline constexpr const char* error_message<nul_byte> = "a NUL byte is not allowed in a string: it would cut the value short";
template <> inline constexpr const char* error_message<string_close> = "unterminated string: expected a closing `\"` on the same line";
template <> inline constexpr const char* error_message<string_lit> = "expected a quoted string";
template <> inline constexpr const char* error_message<integer> = "expected a whole number";
template <> inline constexpr const char* error_message<duration> = "expected a duration such as `30s`, `15m`, `72h`, `3cd`, `4bd` or `1mo`";
template <> inline constexpr const char* error_message<type_name> = "expected a type name such as `host` or `list<channel>`";
template <> inline constexpr const char* error_message<type_close> = "expected `>` to close the list type";
template <> inline constexpr const char* error_message<expression> = "expected an expression";
template <> inline constexpr const char* error_message<arg_colon> = "expected `:` after the argument name";
template <> inline constexpr const char* error_message<arg_next> = "expected an argument `name: value` after `,`";
template <> inline constexpr const char* error_message<arg_close> = "expected `,` or `)` in the argument list";
template <> inline constexpr const char* error_message<field_colon> = "expected `:` and a type after the field name";
template <> inline constexpr const char* error_message<event_open> = "expected `{` to open the event schema";
template <> inline constexpr const char* error_message<event_close> = "expected `}` to close the event schema (separate fields with `,` or a newline)";
template <> inline constexpr const char* error_message<block_open> = "expected `{`";
template <> inline constexpr const char* error_message<step_id> = "expected the step's name after `step`";
template <> inline constexpr const char* error_message<step_equals> = "expected `=` and an action call after the step name";
template <> inline constexpr const char* error_message<action_ref> = "expected an action name";
template <> inline constexpr const char* error_message<call_args> = "expected `(` and the action's arguments after the action name";
template <> inline constexpr const char* error_message<role_name> = "expected a role after `,`";
template <> inline constexpr const char* error_message<preserve_path> = "expected an artifact path as a quoted string";
template <> inline constexpr const char* error_message<on_failure_value> = "expected `halt`, `rollback` or `continue`";
template <> inline constexpr const char* error_message<loop_variable> = "expected the loop variable after `for`, e.g. `for u in event.users`";
template <> inline constexpr const char* error_message<loop_in> = "expected `in` and a list after the loop variable, e.g. `for u in event.users`";
template <> inline constexpr const char* error_message<assignee_role> = "expected a role after `assignee`, e.g. `assignee ir_lead`";
template <> inline constexpr const char* error_message<no_nested_parallel> = "a `parallel` block cannot hold another `parallel` block (not supported): put its steps in the outer block";
template <> inline constexpr const char* error_message<parallel_close> = "expected `}` to close the `parallel` block";
template <> inline constexpr const char* error_message<step_close> = "expected `}` to close step `{step}`";
template <> inline constexpr const char* error_message<runbook_id> = "expected the runbook's name after `runbook`";
template <> inline constexpr const char* error_message<runbook_close> = "expected `}` to close runbook `{runbook}`";
template <> inline constexpr const char* error_message<decl_name> = "expected a name";
template <> inline constexpr const char* error_message<params_open> = "expected `(` and the action's parameters";
template <> inline constexpr const char* error_message<param_colon> = "expected `:` and a type after the parameter name";
template <> inline constexpr const char* error_message<param_next> = "expected a parameter `name: type` after `,`";
template <> inline constexpr const char* error_message<returns_open> = "expected `{` and the outputs, e.g. `returns { image_id: string }`";
template <> inline constexpr const char* error_message<returns_close> = "expected `}` to close the outputs (separate them with `,` or a newline)";
template <> inline constexpr const char* error_message<params_close> = "expected `,` or `)` in the parameter list";
template <> inline constexpr const char* error_message<decl_close> = "expected `}` to close the declaration of `{decl}`";
template <> inline constexpr const char* error_message<regime_title> = "expected the regime's title as a quoted string, e.g. \"EU GDPR\"";
template <> inline constexpr const char* error_message<obligation_title> = "expected the obligation's title as a quoted string";
template <> inline constexpr const char* error_message<obligation_within> = "expected `within` and the obligation's deadline";
template <> inline constexpr const char* error_message<obligation_deadline> = "expected a deadline such as `72h`, `4bd`, `1mo` or `asap`";
template <> inline constexpr const char* error_message<obligation_close> = "expected `}` to close the obligation";
template <> inline constexpr const char* error_message<policy_role> = "expected a role";
template <> inline constexpr const char* error_message<policy_for> = "expected `for` and the effects that need approval";
template <> inline constexpr const char* error_message<effect_name> = "expected an effect such as `contain`";
template <> inline constexpr const char* error_message<severity_close> = "expected `}` to close the severity rule";
template <> inline constexpr const char* error_message<evidence_root> = "expected an evidence root as a quoted string";
template <> inline constexpr const char* error_message<identity_level> = "expected `required` or `optional`";
// clang-format on

// Rules of the embedded expression grammar keep their own messages.
template <typename Rule>
constexpr const char* message_for() {
  if constexpr (error_message<Rule> != nullptr) {
    return error_message<Rule>;
  } else if constexpr (expr::error_message<Rule> != nullptr) {
    return expr::error_message<Rule>;
  } else {
    return "syntax error";
  }
}

template <typename Rule>
struct control : pegtl::normal<Rule> {
  template <typename ParseInput, typename... States>
  [[noreturn]] static void raise(const ParseInput& in, States&&... /*unused*/) {
    throw pegtl::parse_error(message_for<Rule>(), in);
  }
};

// ---------------------------------------------------------------------------------------
// The parse tree keeps only what the lowering reads.
template <typename Rule>
using selector = pegtl::parse_tree::selector<
    Rule, pegtl::parse_tree::store_content::on<
              // leaves
              name, tag, obligation_ref, string_lit, integer, duration, type_name, expression, step_id, action_ref,
              role_name, preserve_path, on_failure_value, runbook_id, decl_name, enum_kind, optional_mark, regime_title,
              obligation_name, obligation_title, asap, conditional_flag, policy_role, effect_name, evidence_root,
              identity_level, loop_variable, assignee_role,
              // structure
              argument, arg_list, event_field, event_block, step_head, step, approve_stmt, rollback_stmt, preserve_stmt,
              deadline_stmt, timeout_stmt, when_stmt, retries_stmt, on_failure_stmt, satisfies_stmt, runbook_head,
              title_stmt, severity_stmt, comply_stmt, version_stmt, owner_stmt, last_updated_stmt, runbook, type_decl,
              enum_decl, param, param_list, effect_stmt, inverse_stmt, doc_stmt, returns_stmt, action_decl, trigger_stmt, notify_stmt,
              cite_stmt, obligation, tag_stmt, regulation_decl, policy_approve, severity_rule, approval_timeout_stmt,
              step_timeout_stmt, asap_stmt, evidence_roots_stmt, approver_identity_stmt, policy_decl, event_decl,
              for_clause, assignee_stmt, within_stmt, parallel_block>>;

// ---------------------------------------------------------------------------------------
// Actions: a depth limit on every rule; the names of the enclosing constructs (for messages
// such as "expected `}` to close runbook `x`"); did-you-mean errors for unknown statements.

// Rule depth: the expression grammar's budget plus the DSL's own fixed nesting around it.
inline constexpr std::size_t kMaxRuleDepth = expr::kMaxRuleDepth + 160;

struct ParseContext {
  std::string runbook;             // the runbook being parsed
  std::string step;                // the step being parsed
  std::string decl;                // "action isolate_host", "regulation gdpr", "policy default"
  std::vector<std::string> roles;  // the roles of the `approve` being parsed
  std::size_t missing_comma = 0;   // the index in `roles` of the first role not after a comma
  std::string help;                // a fix for the parse error being raised, if one is known
};

// "unknown statement `aprove`; did you mean `approve`?" `extra` words are offered as a
// did-you-mean only.
template <std::size_t N>
std::string unknown_message(std::string_view what, std::string_view word, const char* const (&keywords)[N],
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> candidates(std::begin(keywords), std::end(keywords));
  std::string message = "unknown " + std::string(what) + " `" + std::string(word) + "`";
  extra.insert(extra.begin(), candidates.begin(), candidates.end());
  if (auto hint = did_you_mean(word, extra)) {
    message += "; did you mean `" + *hint + "`?";
  } else {
    message += "; expected one of: " + join(candidates, ", ");
  }
  return message;
}

template <typename Rule>
struct action : pegtl::limit_depth<kMaxRuleDepth> {};

template <>
struct action<runbook_id> {
  template <typename ActionInput, typename... Tree>
  static void apply(const ActionInput& in, ParseContext& context, Tree&... /*tree*/) {
    context.runbook = in.string();
  }
};

template <>
struct action<step_id> {
  template <typename ActionInput, typename... Tree>
  static void apply(const ActionInput& in, ParseContext& context, Tree&... /*tree*/) {
    context.step = in.string();
  }
};

template <>
struct action<decl_name> {
  template <typename ActionInput, typename... Tree>
  static void apply(const ActionInput& in, ParseContext& context, Tree&... /*tree*/) {
    context.decl = in.string();
  }
};

// Leaving a construct forgets its name, so that a later error is not attributed to it.
template <auto Member>
struct forget_name {
  template <typename ActionInput, typename... Tree>
  static void apply(const ActionInput& /*in*/, ParseContext& context, Tree&... /*tree*/) {
    (context.*Member).clear();
  }
};
template <>
struct action<step> : forget_name<&ParseContext::step> {};
template <>
struct action<runbook> : forget_name<&ParseContext::runbook> {};
template <>
struct action<action_decl> : forget_name<&ParseContext::decl> {};
template <>
struct action<regulation_decl> : forget_name<&ParseContext::decl> {};
template <>
struct action<policy_decl> : forget_name<&ParseContext::decl> {};

template <>
struct action<kw_approve> {
  template <typename ActionInput, typename... Tree>
  static void apply(const ActionInput& /*in*/, ParseContext& context, Tree&... /*tree*/) {
    context.roles.clear();
  }
};

template <>
struct action<role_name> {
  template <typename ActionInput, typename... Tree>
  static void apply(const ActionInput& in, ParseContext& context, Tree&... /*tree*/) {
    context.roles.push_back(in.string());
  }
};

template <>
struct action<role_after_missing_comma> {
  template <typename ActionInput, typename... Tree>
  static void apply(const ActionInput& /*in*/, ParseContext& context, Tree&... /*tree*/) {
    context.missing_comma = context.roles.size() - 1;  // its role_name was just pushed
  }
};

// `approve ciso legal` reads as a comma left out; `approve ciso witin 30m` as a misspelt
// `within`. Either way the statement cannot end there: say which, with the fix.
template <>
struct action<roles_without_comma> {
  template <typename ActionInput, typename... Tree>
  static void apply(const ActionInput& in, ParseContext& context, Tree&... /*tree*/) {
    const std::string& word = context.roles[context.missing_comma];
    if (did_you_mean(word, std::vector<std::string>{"within"})) {
      context.help = "did you mean `within`?";
      throw pegtl::parse_error("expected `,` and a role, or `within` and a duration, after the roles; found `" + word + "`",
                               in.position());
    }
    context.help = "separate roles with commas: approve " + join(context.roles, ", ");
    throw pegtl::parse_error(
        "expected `,` between the roles `" + context.roles[context.missing_comma - 1] + "` and `" + word + "`",
        in.position());
  }
};

template <typename Keywords>
struct reject_unknown {
  template <typename ActionInput, typename... States>
  static void apply(const ActionInput& in, States&... /*states*/) {
    if constexpr (requires { Keywords::hints; }) {
      std::vector<std::string> hints(std::begin(Keywords::hints), std::end(Keywords::hints));
      throw pegtl::parse_error(unknown_message(Keywords::what, in.string_view(), Keywords::words, hints), in.position());
    } else {
      throw pegtl::parse_error(unknown_message(Keywords::what, in.string_view(), Keywords::words), in.position());
    }
  }
};

// clang-format off
struct step_words { static constexpr const char* what = "statement"; static constexpr auto& words = kStepKeywords; static constexpr auto& hints = kTaskStepKeywords; };
struct runbook_words { static constexpr const char* what = "statement"; static constexpr auto& words = kRunbookKeywords; };
struct action_words { static constexpr const char* what = "statement"; static constexpr auto& words = kActionKeywords; };
struct regulation_words { static constexpr const char* what = "statement"; static constexpr auto& words = kRegulationKeywords; };
struct obligation_words { static constexpr const char* what = "statement"; static constexpr auto& words = kObligationKeywords; };
struct policy_words { static constexpr const char* what = "statement"; static constexpr auto& words = kPolicyKeywords; };
struct severity_words { static constexpr const char* what = "statement"; static constexpr auto& words = kSeverityKeywords; };
struct declaration_words { static constexpr const char* what = "declaration"; static constexpr auto& words = kDeclarationKeywords; };
struct parallel_words { static constexpr const char* what = "statement"; static constexpr auto& words = kParallelKeywords; };
template <> struct action<step_unknown> : reject_unknown<step_words> {};
template <> struct action<runbook_unknown> : reject_unknown<runbook_words> {};
template <> struct action<action_unknown> : reject_unknown<action_words> {};
template <> struct action<regulation_unknown> : reject_unknown<regulation_words> {};
template <> struct action<obligation_unknown> : reject_unknown<obligation_words> {};
template <> struct action<policy_unknown> : reject_unknown<policy_words> {};
template <> struct action<severity_unknown> : reject_unknown<severity_words> {};
template <> struct action<declaration_unknown> : reject_unknown<declaration_words> {};
template <> struct action<parallel_unknown> : reject_unknown<parallel_words> {};
// clang-format on

}  // namespace writ::grammar::dsl
