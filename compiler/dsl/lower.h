// Internal to the DSL front-end (compiler/dsl/parser.cc, compiler/dsl/lower_runbook.cc, compiler/dsl/lower_decls.cc):
// turns the PEGTL parse tree of grammar/dsl_grammar.h into the AST. Include only from those
// files: it pulls in PEGTL. Lowering never throws for user input; value problems the grammar
// cannot see (an overflowing duration, a duplicated statement, a limit) become diagnostics.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tao/pegtl/contrib/parse_tree.hpp>
#include <vector>

#include "compiler/ast.h"
#include "compiler/diagnostic.h"
#include "common/limits.h"

namespace writ::dsl_internal {

using Node = tao::pegtl::parse_tree::node;

// The first child of type T, or null.
template <typename T>
const Node* child(const Node& node) {
  for (const auto& c : node.children) {
    if (c->is_type<T>()) return c.get();
  }
  return nullptr;
}

// A string literal's value with, per value byte, the source offset it came from (escapes
// map every byte they produce to the backslash), plus one entry for the closing quote.
struct DecodedString {
  std::string text;
  std::vector<std::uint32_t> offsets;
};

class Lowering {
 public:
  Lowering(SourcePtr source, DiagnosticSink& sink, const Limits& limits);

  void file(const Node& root, ast::File& out);

 private:
  // compiler/dsl/parser.cc: leaves
  Span span(const Node& node) const;
  ast::Name name(const Node& node) const;
  DecodedString decode(const Node& literal) const;
  static DecodedString decode_raw(std::string_view raw, std::uint32_t base);
  ast::Located<std::string> text(const Node& literal) const;
  std::optional<ast::Located<std::int64_t>> duration(const Node& node);
  std::optional<ast::Located<std::int64_t>> integer(const Node& node);
  ast::Name type_name(const Node& node);
  expr::NodePtr expression(const Node& node);
  expr::NodePtr template_string(const Node& literal);
  expr::NodePtr quoted_template(std::string_view raw, std::uint32_t base);
  expr::NodePtr template_literal(expr::NodePtr value);
  expr::NodePtr templates_in(expr::NodePtr value);
  expr::NodePtr argument_value(const Node& expression);
  std::vector<ast::Argument> arguments(const Node& arg_list);
  std::vector<ast::EventField> event_fields(const Node& block);
  // Reports a second occurrence of a single-valued statement; true when `node` is the first.
  bool first_of_kind(std::map<std::string, Span>& seen, const Node& node, std::string_view where);

  // compiler/dsl/lower_runbook.cc
  ast::Runbook runbook(const Node& node);
  void runbook_statement(const Node& node, ast::Runbook& out, std::map<std::string, Span>& seen);
  void add_step(const Node& node, int parallel_block, ast::Runbook& out, bool& over_limit);
  void parallel(const Node& node, ast::Runbook& out, bool& over_limit);
  ast::Step step(const Node& node);
  void step_statement(const Node& node, ast::Step& out);

  // compiler/dsl/lower_decls.cc
  ast::TypeDecl type_decl(const Node& node) const;
  ast::EnumDecl enum_decl(const Node& node) const;
  ast::ActionDecl action_decl(const Node& node);
  std::vector<ast::Param> outputs(const Node& returns);
  ast::RegulationDecl regulation_decl(const Node& node);
  ast::Obligation obligation(const Node& node);
  ast::PolicyDecl policy_decl(const Node& node);
  ast::SeverityRule severity_rule(const Node& node) const;

  SourcePtr source_;
  DiagnosticSink& sink_;
  const Limits& limits_;
};

// Seconds for a duration literal ("15m", "4bd", "1mo"); nothing on overflow. Units: s m h,
// d and cd (24 h), bd (24 h: the shortest length a business day can add), mo (28 days).
std::optional<std::int64_t> duration_seconds(std::string_view literal);

}  // namespace writ::dsl_internal
