// Lowering of `runbook` blocks and their steps (see compiler/dsl/lower.h).
#include <string>

#include "compiler/dsl/lower.h"
#include "grammar/dsl_grammar.h"

namespace writ::dsl_internal {

namespace g = grammar::dsl;

namespace {

ast::OnFailure on_failure_of(std::string_view text) {
  if (text == "rollback") return ast::OnFailure::Rollback;
  if (text == "continue") return ast::OnFailure::Continue;
  return ast::OnFailure::Halt;
}

}  // namespace

ast::Runbook Lowering::runbook(const Node& node) {
  ast::Runbook out;
  out.span = span(node);
  std::map<std::string, Span> seen;
  bool over_limit = false;
  for (const auto& c : node.children) {
    if (c->is_type<g::runbook_head>()) {
      out.head = span(*c);
      out.id = name(*c->children.at(0));
    } else if (c->is_type<g::step>()) {
      add_step(*c, 0, out, over_limit);
    } else if (c->is_type<g::parallel_block>()) {
      parallel(*c, out, over_limit);
    } else {
      runbook_statement(*c, out, seen);
    }
  }
  return out;
}

void Lowering::add_step(const Node& node, int parallel_block, ast::Runbook& out, bool& over_limit) {
  if (out.steps.size() == limits_.max_steps && !over_limit) {
    over_limit = true;
    sink_.report(Rule::InputLimit, source_, span(*node.children.at(0)),
                 "runbook `" + out.id.value + "` has more than " + std::to_string(limits_.max_steps) +
                     " steps (max_steps)")
        .runbook = out.id.value;
  }
  if (over_limit) return;
  out.steps.push_back(step(node));
  out.steps.back().parallel_block = parallel_block;
}

// `parallel { step … }`: its steps join the runbook's, marked with the block's number.
void Lowering::parallel(const Node& node, ast::Runbook& out, bool& over_limit) {
  out.parallel.push_back(span(node));
  int block = static_cast<int>(out.parallel.size());
  for (const auto& c : node.children) add_step(*c, block, out, over_limit);
  if (node.children.empty()) {
    auto& d = sink_.report(Rule::Syntax, source_, span(node), "this `parallel` block holds no steps");
    d.runbook = out.id.value;
    d.help.push_back("put the steps that start together inside it: parallel { step a = … step b = … }");
  }
}

void Lowering::runbook_statement(const Node& node, ast::Runbook& out, std::map<std::string, Span>& seen) {
  if (node.is_type<g::comply_stmt>()) {
    for (const auto& tag : node.children) {
      if (tag->is_type<g::tag>()) {
        out.compliance.push_back(name(*tag));
      } else {
        auto located = text(*tag);
        out.compliance.push_back({std::move(located.value), located.span});
      }
    }
    return;
  }
  if (!first_of_kind(seen, node, "runbook `" + out.id.value + "`")) return;
  const Node& value = *node.children.at(0);
  auto as_name = [&] {
    auto located = text(value);
    return ast::Name{std::move(located.value), located.span};
  };
  if (node.is_type<g::title_stmt>()) {
    out.title = as_name();
  } else if (node.is_type<g::severity_stmt>()) {
    out.severity = name(value);
  } else if (node.is_type<g::version_stmt>()) {
    out.version = as_name();
  } else if (node.is_type<g::owner_stmt>()) {
    out.owner = as_name();
  } else if (node.is_type<g::last_updated_stmt>()) {
    out.last_updated = as_name();
  } else if (node.is_type<g::event_block>()) {
    out.event = event_fields(node);
    out.event_declared = true;
  } else if (node.is_type<g::when_stmt>()) {
    out.when = expression(value);
  }
}

ast::Step Lowering::step(const Node& node) {
  ast::Step out;
  out.span = span(node);
  const Node& head = *node.children.at(0);
  out.head = span(head);
  out.id = name(*head.children.at(0));
  out.id_explicit = true;
  out.action = name(*head.children.at(1));
  out.args = arguments(*head.children.at(2));
  if (const Node* loop = child<g::for_clause>(head)) {
    out.for_each = ast::ForEach{expression(*loop->children.at(1)), name(*loop->children.at(0)), span(*loop)};
  }
  std::map<std::string, Span> seen;
  for (std::size_t i = 1; i < node.children.size(); ++i) {
    const Node& statement = *node.children[i];
    bool repeatable = statement.is_type<g::preserve_stmt>() || statement.is_type<g::satisfies_stmt>();
    if (repeatable || first_of_kind(seen, statement, "step `" + out.id.value + "`")) step_statement(statement, out);
  }
  return out;
}

void Lowering::step_statement(const Node& node, ast::Step& out) {
  if (node.is_type<g::approve_stmt>()) {
    ast::Approval approval;
    approval.span = span(node);
    for (const auto& c : node.children) {
      if (c->is_type<g::role_name>()) approval.roles.push_back(name(*c));
      if (c->is_type<g::duration>()) approval.timeout_seconds = duration(*c);
    }
    approval.policy_roles = approval.roles.empty();
    out.approval = std::move(approval);
  } else if (node.is_type<g::rollback_stmt>()) {
    ast::Rollback rollback{name(*node.children.at(0)), {}, span(node)};
    if (const Node* args = child<g::arg_list>(node)) rollback.args = arguments(*args);
    out.rollback = std::move(rollback);
  } else if (node.is_type<g::preserve_stmt>()) {
    for (const auto& path : node.children) out.preserve.push_back({template_string(*path), span(*path)});
  } else if (node.is_type<g::deadline_stmt>()) {
    out.deadline_seconds = duration(*node.children.at(0));
  } else if (node.is_type<g::timeout_stmt>()) {
    out.timeout_seconds = duration(*node.children.at(0));
  } else if (node.is_type<g::when_stmt>()) {
    out.when = expression(*node.children.at(0));
  } else if (node.is_type<g::retries_stmt>()) {
    out.retries = integer(*node.children.at(0));
  } else if (node.is_type<g::on_failure_stmt>()) {
    const Node& value = *node.children.at(0);
    out.on_failure = ast::Located<ast::OnFailure>{on_failure_of(value.string_view()), span(value)};
  } else if (node.is_type<g::satisfies_stmt>()) {
    for (const auto& ref : node.children) out.satisfies.push_back(name(*ref));
  } else if (node.is_type<g::assignee_stmt>()) {
    out.assignee = name(*node.children.at(0));
  } else if (node.is_type<g::within_stmt>()) {
    out.within_seconds = duration(*node.children.at(0));
  }
}

}  // namespace writ::dsl_internal
