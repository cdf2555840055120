// Constant conditions: what a `when` is whatever the event and the run hold. The checker uses
// it for guaranteed steps (a step whose `when` is constantly false never runs).
#include <algorithm>

#include "compiler/expr/expr.h"

namespace writ::expr {
namespace {

bool depends_on_variables(const Node& node) {
  if (node.kind == Node::Kind::Path || node.kind == Node::Kind::Error) return true;
  return std::any_of(node.children.begin(), node.children.end(),
                     [](const NodePtr& child) { return child && depends_on_variables(*child); });
}

bool truthy(const Value& value) {
  const bool* b = std::get_if<bool>(&value.v);
  return b && *b;
}

// `a && b` is constant when either side is constantly false or both are constant; `||` alike.
std::optional<bool> logical(const Node& node) {
  auto left = constant_truth(*node.children[0]);
  auto right = constant_truth(*node.children[1]);
  bool absorbing = node.op == "||";  // true absorbs `||`, false absorbs `&&`
  if (left == absorbing || right == absorbing) return absorbing;
  if (left && right) return !absorbing;
  return std::nullopt;
}

}  // namespace

std::optional<bool> constant_truth(const Node& node) {
  bool binary = node.kind == Node::Kind::Binary && node.children.size() == 2;
  if (binary && (node.op == "&&" || node.op == "||")) return logical(node);
  if (node.kind == Node::Kind::Unary && node.op == "!" && node.children.size() == 1) {
    auto operand = constant_truth(*node.children[0]);
    return operand ? std::optional<bool>(!*operand) : std::nullopt;
  }
  if (depends_on_variables(node)) return std::nullopt;
  return truthy(evaluate(node, Environment{}));
}

}  // namespace writ::expr
