// Expressions kept in the journal for later (plan.h: deferred steps). The IR's canonical JSON
// of an expression (compiler/ir_json.h) is read back into a tree the evaluator accepts, and an
// expression is *bound*: every path but those the run learns later (`steps.…`, a loop variable)
// replaced by its value, so the journal holds all it needs and the event is never re-typed.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "compiler/expr/expr.h"

namespace writ::runtime {

struct ExprJsonError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Reads ir::to_json(node) back (kinds, literals, paths, ops, callees, children; the `type` key
// is kept only as far as type_from_name reads it: evaluation does not need it). Throws
// ExprJsonError naming the key, for malformed input or nesting deeper than 256.
expr::NodePtr node_from_json(const nlohmann::json& json);

// A copy of `node` where every path whose first segment is not in `keep` and that `env`
// resolves is a literal of its value. Paths `env` does not resolve stay paths (a later
// render reports them as missing).
expr::NodePtr bind_paths(const expr::Node& node, const expr::Environment& env, const std::set<std::string>& keep);

// Whether `node` reads a path whose first segment is `root`.
bool reads_root(const expr::Node& node, const std::string& root);

// "string", "int", "host", "list<user>" back to a type; any other identifier is nominal.
// Nothing for malformed text.
std::optional<expr::Type> type_from_name(std::string_view name);

}  // namespace writ::runtime
