#include "compiler/rules/rule_support.h"

#include <filesystem>

namespace writ::rules {

bool is_dsl(const Context& ctx) {
  return ctx.file.source && std::filesystem::path(ctx.file.source->path()).extension() == ".writ";
}

std::string dsl_duration(std::int64_t seconds) {
  if (seconds != 0 && seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

std::string backticked(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += "`" + name + "`";
  }
  return out;
}

const ast::Step* ast_step(const Context& ctx, std::size_t index) {
  if (ctx.ast.steps.size() != ctx.ir.steps.size() || index >= ctx.ast.steps.size()) return nullptr;
  return &ctx.ast.steps[index];
}

}  // namespace writ::rules
