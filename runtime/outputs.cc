#include "runtime/outputs.h"

#include <fmt/format.h>

#include "common/text.h"
#include "runtime/event.h"
#include "runtime/expr_json.h"
#include "runtime/json_input.h"

namespace writ::runtime {

namespace {

std::vector<std::string> declared_names(const PlannedStep& step) {
  std::vector<std::string> names;
  for (const auto& r : step.returns) names.push_back(r.name);
  return names;
}

std::optional<std::string> check_outputs(const nlohmann::json& outputs, const PlannedStep& step) {
  const auto where = fmt::format("step `{}`", step.id);
  for (const auto& item : outputs.items()) {
    const std::string& name = item.key();  // not a structured binding: clang 14 cannot capture one
    const bool declared =
        std::any_of(step.returns.begin(), step.returns.end(), [&](const PlannedOutput& r) { return r.name == name; });
    if (!declared) {
      return fmt::format("{}: output {} is not declared (returns: {})", where, quote_for_message(name),
                         join(declared_names(step), ", "));
    }
  }
  for (const auto& r : step.returns) {
    auto it = outputs.find(r.name);
    if (it == outputs.end()) return fmt::format("{}: output `{}` is missing from the reply", where, r.name);
    const auto type = type_from_name(r.type);
    if (!type) return fmt::format("{}: output `{}` has an unknown type `{}`", where, r.name, r.type);
    std::string why;
    if (!typed_value(*it, *type, &why)) return fmt::format("{}: output `{}`: {}", where, r.name, why);
  }
  return std::nullopt;
}

nlohmann::json placeholder(const expr::Type& type) {
  using K = expr::Type::Kind;
  switch (type.kind) {
    case K::Int:
      return 0;
    case K::Float:
      return 0.0;
    case K::Bool:
      return false;
    case K::Duration:
      return 0;
    case K::Timestamp:
      return "1970-01-01T00:00:00Z";
    case K::List:
      return nlohmann::json::array();
    case K::Nominal:
      if (type.name == "host") return "dry-run.invalid";
      if (type.name == "ip") return "192.0.2.1";
      return "dry-run";
    default:
      return "dry-run";
  }
}

}  // namespace

OutputsRead read_outputs(const std::optional<std::string>& reply, const PlannedStep& step,
                         const RuntimeOptions& options) {
  const auto where = fmt::format("step `{}`", step.id);
  const auto first = reply ? reply->find_first_not_of(" \t\r\n") : std::string::npos;
  if (first == std::string::npos || (*reply)[first] != '{') return {{}, std::nullopt, true};
  if (reply->size() > options.max_output_bytes) {
    return {{},
            fmt::format("{}: the reply is {} bytes, more than the limit of {} for outputs (max_output_bytes)", where,
                        reply->size(), options.max_output_bytes)};
  }
  nlohmann::json body;
  try {
    body = parse_json(*reply, "reply", options.max_json_depth);
  } catch (const JsonInputError& e) {
    return {{}, fmt::format("{}: the reply is not valid JSON: {}", where, e.what())};
  }
  if (!body.contains("outputs")) return {{}, std::nullopt, true};
  if (!body["outputs"].is_object()) return {{}, fmt::format("{}: the reply's `outputs` is not an object", where)};
  auto outputs = body["outputs"];
  if (auto why = check_outputs(outputs, step)) return {{}, *why};
  if (auto at = nul_path(outputs, ""))
    return {{}, fmt::format("{}: output `{}` holds a NUL character (U+0000)", where, *at)};
  return {std::move(outputs), std::nullopt, false};
}

nlohmann::json placeholder_outputs(const PlannedStep& step) {
  auto out = nlohmann::json::object();
  for (const auto& r : step.returns)
    out[r.name] = placeholder(type_from_name(r.type).value_or(expr::Type::of(expr::Type::Kind::String)));
  return out;
}

std::optional<expr::Value> output_value(const nlohmann::json& outputs, const PlannedOutput& declared) {
  auto it = outputs.find(declared.name);
  const auto type = type_from_name(declared.type);
  if (it == outputs.end() || !type) return std::nullopt;
  return typed_value(*it, *type, nullptr);
}

}  // namespace writ::runtime
