// Lowering of the declarations the stdlib is written in: types, channels and roles, actions,
// regulations and policies (see compiler/dsl/lower.h).
#include <string>

#include "compiler/dsl/lower.h"
#include "grammar/dsl_grammar.h"

namespace writ::dsl_internal {

namespace g = grammar::dsl;

ast::TypeDecl Lowering::type_decl(const Node& node) const {
  ast::TypeDecl out;
  out.span = span(node);
  for (const auto& c : node.children) out.names.push_back(name(*c));
  return out;
}

ast::EnumDecl Lowering::enum_decl(const Node& node) const {
  ast::EnumDecl out;
  out.span = span(node);
  out.type = name(*node.children.at(0));
  for (std::size_t i = 1; i < node.children.size(); ++i) out.values.push_back(name(*node.children[i]));
  return out;
}

ast::ActionDecl Lowering::action_decl(const Node& node) {
  ast::ActionDecl out;
  out.span = span(node);
  out.name = name(*node.children.at(0));
  std::map<std::string, Span> seen;
  std::string where = "action `" + out.name.value + "`";
  for (const auto& param : node.children.at(1)->children) {
    ast::Param p;
    p.name = name(*param->children.at(0));
    p.optional = child<g::optional_mark>(*param) != nullptr;
    p.type = type_name(*param->children.back());
    out.params.push_back(std::move(p));
  }
  for (std::size_t i = 2; i < node.children.size(); ++i) {
    const Node& statement = *node.children[i];
    if (!first_of_kind(seen, statement, where)) continue;
    if (statement.is_type<g::returns_stmt>()) {
      out.returns = outputs(statement);
      continue;
    }
    const Node& value = *statement.children.at(0);
    if (statement.is_type<g::effect_stmt>()) {
      out.effect = name(value);
    } else if (statement.is_type<g::inverse_stmt>()) {
      out.inverse = name(value);
    } else if (statement.is_type<g::timeout_stmt>()) {
      out.timeout_seconds = duration(value);
    } else if (statement.is_type<g::doc_stmt>()) {
      out.doc = text(value);
    }
  }
  return out;
}

std::vector<ast::Param> Lowering::outputs(const Node& returns) {
  std::vector<ast::Param> out;
  for (const auto& field : returns.children) out.push_back({name(*field->children.at(0)), type_name(*field->children.at(1)), false});
  return out;
}

ast::Obligation Lowering::obligation(const Node& node) {
  ast::Obligation out;
  out.span = span(node);
  out.id = name(*node.children.at(0));
  out.title = text(*node.children.at(1));
  const Node& deadline = *node.children.at(2);
  out.deadline_text = deadline.string();
  if (deadline.is_type<g::duration>()) out.deadline_seconds = duration(deadline);
  std::map<std::string, Span> seen;
  for (std::size_t i = 3; i < node.children.size(); ++i) {
    const Node& c = *node.children[i];
    if (c.is_type<g::conditional_flag>()) {
      out.conditional = true;
      continue;
    }
    if (!first_of_kind(seen, c, "obligation `" + out.id.value + "`")) continue;
    std::string value = text(*c.children.at(0)).value;
    if (c.is_type<g::trigger_stmt>()) out.trigger = std::move(value);
    if (c.is_type<g::notify_stmt>()) out.notify = std::move(value);
    if (c.is_type<g::cite_stmt>()) out.citation = std::move(value);
  }
  return out;
}

ast::RegulationDecl Lowering::regulation_decl(const Node& node) {
  ast::RegulationDecl out;
  out.span = span(node);
  out.name = name(*node.children.at(0));
  out.regime = text(*node.children.at(1));
  for (std::size_t i = 2; i < node.children.size(); ++i) {
    const Node& c = *node.children[i];
    if (c.is_type<g::tag_stmt>()) {
      for (const auto& tag : c.children) out.tags.push_back(name(*tag));
    } else if (c.is_type<g::obligation>()) {
      out.obligations.push_back(obligation(c));
    }
  }
  return out;
}

ast::SeverityRule Lowering::severity_rule(const Node& node) const {
  ast::SeverityRule out;
  out.span = span(node);
  out.severity = name(*node.children.at(0));
  if (const Node* approve = child<g::policy_approve>(node)) {
    for (const auto& c : approve->children) {
      if (c->is_type<g::policy_role>()) out.roles.push_back(name(*c));
      if (c->is_type<g::effect_name>()) out.effects.push_back(name(*c));
    }
  }
  return out;
}

ast::PolicyDecl Lowering::policy_decl(const Node& node) {
  ast::PolicyDecl out;
  out.span = span(node);
  out.name = name(*node.children.at(0));
  std::map<std::string, Span> seen;
  std::string where = "policy `" + out.name.value + "`";
  for (std::size_t i = 1; i < node.children.size(); ++i) {
    const Node& c = *node.children[i];
    if (c.is_type<g::severity_rule>()) {
      out.severities.push_back(severity_rule(c));
    } else if (c.is_type<g::evidence_roots_stmt>()) {
      for (const auto& root : c.children) out.evidence_roots.push_back(text(*root));
    } else if (c.is_type<g::approver_identity_stmt>()) {
      if (first_of_kind(seen, c, where)) out.approver_identity = name(*c.children.at(0));
    } else if (first_of_kind(seen, c, where)) {
      auto value = duration(*c.children.at(0));
      if (c.is_type<g::approval_timeout_stmt>()) out.approval_timeout_seconds = value;
      if (c.is_type<g::step_timeout_stmt>()) out.step_timeout_seconds = value;
      if (c.is_type<g::asap_stmt>()) out.asap_seconds = value;
    }
  }
  return out;
}

}  // namespace writ::dsl_internal
