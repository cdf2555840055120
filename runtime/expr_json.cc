#include "runtime/expr_json.h"

#include <cctype>
#include <fmt/format.h>

namespace writ::runtime {

namespace {

using Kind = expr::Node::Kind;
constexpr int kMaxDepth = 256;

std::optional<Kind> kind_from(const std::string& name) {
  static const std::pair<const char*, Kind> kinds[] = {
      {"literal", Kind::Literal}, {"path", Kind::Path}, {"unary", Kind::Unary}, {"binary", Kind::Binary},
      {"call", Kind::Call},       {"list", Kind::List}, {"interpolation", Kind::Interpolation}};
  for (const auto& [text, kind] : kinds) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

expr::Value value_from(const nlohmann::json& json, int depth) {
  if (depth > kMaxDepth) throw ExprJsonError("expression: nested too deeply");
  if (json.is_null()) return {};
  if (json.is_boolean()) return expr::Value{json.get<bool>()};
  if (json.is_number_integer() && !json.is_number_unsigned()) return expr::Value{json.get<std::int64_t>()};
  if (json.is_number_unsigned() && json.get<std::uint64_t>() <= INT64_MAX) return expr::Value{json.get<std::int64_t>()};
  if (json.is_string()) return expr::Value{json.get<std::string>()};
  if (json.is_array()) {
    expr::ValueList items;
    for (const auto& item : json) items.push_back(value_from(item, depth + 1));
    return expr::Value{std::move(items)};
  }
  if (json.is_object() && json.size() == 1) {
    const auto& [key, v] = *json.items().begin();
    if (key == "float" && v.is_string()) {
      try {
        return expr::Value{std::stod(v.get<std::string>())};
      } catch (const std::exception&) {
        throw ExprJsonError("expression: malformed float literal");
      }
    }
    if (key == "duration_seconds" && v.is_number_integer()) return expr::Value{expr::DurationValue{v.get<std::int64_t>()}};
    if (key == "timestamp" && v.is_number_integer()) return expr::Value{expr::TimestampValue{v.get<std::int64_t>()}};
  }
  throw ExprJsonError("expression: malformed literal value");
}

std::string text_at(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end() || !it->is_string()) throw ExprJsonError(fmt::format("expression: `{}` missing or not a string", key));
  return it->get<std::string>();
}

expr::NodePtr read_node(const nlohmann::json& json, int depth) {
  if (depth > kMaxDepth) throw ExprJsonError("expression: nested too deeply");
  if (!json.is_object()) throw ExprJsonError("expression: a node is not an object");
  auto node = std::make_shared<expr::Node>();
  const auto kind = kind_from(text_at(json, "kind"));
  if (!kind) throw ExprJsonError("expression: unknown `kind`");
  node->kind = *kind;
  if (auto type = json.find("type"); type != json.end() && type->is_string()) {
    node->type = type_from_name(type->get<std::string>()).value_or(expr::Type::error());
  }
  switch (*kind) {
    case Kind::Literal: node->literal = value_from(json.value("value", nlohmann::json()), depth + 1); break;
    case Kind::Path: {
      auto path = json.find("path");
      if (path == json.end() || !path->is_array() || path->empty()) throw ExprJsonError("expression: malformed `path`");
      for (const auto& segment : *path) {
        if (!segment.is_string()) throw ExprJsonError("expression: malformed `path`");
        node->path.push_back(segment.get<std::string>());
      }
      break;
    }
    case Kind::Unary:
    case Kind::Binary: node->op = text_at(json, "op"); break;
    case Kind::Call: node->callee = text_at(json, "callee"); break;
    default: break;
  }
  if (auto children = json.find("children"); children != json.end()) {
    if (!children->is_array()) throw ExprJsonError("expression: `children` is not a list");
    for (const auto& child : *children) node->children.push_back(child.is_null() ? nullptr : read_node(child, depth + 1));
  }
  const std::size_t arity = *kind == Kind::Unary ? 1 : *kind == Kind::Binary ? 2 : node->children.size();
  if (node->children.size() != arity) throw ExprJsonError(fmt::format("expression: `{}` needs {} operand(s)", node->op, arity));
  return node;
}

}  // namespace

expr::NodePtr node_from_json(const nlohmann::json& json) { return read_node(json, 0); }

expr::NodePtr bind_paths(const expr::Node& node, const expr::Environment& env, const std::set<std::string>& keep) {
  auto out = std::make_shared<expr::Node>(node);
  if (node.kind == Kind::Path && !node.path.empty() && !keep.count(node.path.front())) {
    if (auto value = env.lookup(node.path)) {
      out->kind = Kind::Literal;
      out->literal = *value;
      out->path.clear();
      out->path_spans.clear();
    }
    return out;
  }
  for (auto& child : out->children) {
    if (child) child = bind_paths(*child, env, keep);
  }
  return out;
}

bool reads_root(const expr::Node& node, const std::string& root) {
  if (node.kind == Kind::Path && !node.path.empty() && node.path.front() == root) return true;
  for (const auto& child : node.children) {
    if (child && reads_root(*child, root)) return true;
  }
  return false;
}

std::optional<expr::Type> type_from_name(std::string_view name) {
  using TK = expr::Type::Kind;
  if (name.starts_with("list<") && name.ends_with(">")) {
    auto element = type_from_name(name.substr(5, name.size() - 6));
    if (!element) return std::nullopt;
    return expr::Type::list(*element);
  }
  static const std::pair<const char*, TK> scalars[] = {{"string", TK::String}, {"int", TK::Int},           {"float", TK::Float},
                                                       {"bool", TK::Bool},     {"duration", TK::Duration}, {"timestamp", TK::Timestamp},
                                                       {"null", TK::Null}};
  for (const auto& [text, kind] : scalars) {
    if (name == text) return expr::Type::of(kind);
  }
  if (name.empty()) return std::nullopt;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return std::nullopt;
  }
  return expr::Type::nominal(std::string(name));
}

}  // namespace writ::runtime
