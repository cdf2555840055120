// Small helpers the rule passes share: which surface syntax a help line should use, and the
// spellings those help lines need. Internal to compiler/rules/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/rules/rules.h"

namespace writ::rules {

// True when the runbook was written in the DSL (.writ), false for YAML: help lines show the
// fix in the syntax the author wrote.
bool is_dsl(const Context& ctx);

// A duration as a DSL literal: "24h", "15m", "90s".
std::string dsl_duration(std::int64_t seconds);

// "`ciso`, `legal`" — or "none" for an empty list.
std::string backticked(const std::vector<std::string>& names);

// The AST step for IR step `index` (lowering keeps one IR step per AST step, in order), or
// null when the two disagree.
const ast::Step* ast_step(const Context& ctx, std::size_t index);

}  // namespace writ::rules
