// Helpers shared by the expression tests: sources, a typical scope, and structural equality
// of trees (spans aside).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "compiler/expr/expr.h"

namespace writ::expr::testing {

inline SourcePtr make_source(std::string text) { return std::make_shared<SourceFile>("test.writ", std::move(text)); }

// Parses the whole of `text` as an expression (is_template: as a template string).
struct Parsed {
  SourcePtr source;
  NodePtr node;
  DiagnosticSink sink;
};

inline Parsed parse(std::string_view text, bool is_template = false) {
  Parsed out;
  out.source = make_source(std::string(text));
  TextOrigin origin{out.source, 0, {}};
  out.node = is_template ? parse_template(text, origin, out.sink) : parse_expression(text, origin, out.sink);
  return out;
}

inline bool same_tree(const Node& a, const Node& b) {
  if (a.kind != b.kind || !(a.literal == b.literal) || a.path != b.path || a.op != b.op || a.callee != b.callee ||
      a.children.size() != b.children.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.children.size(); ++i) {
    if (!same_tree(*a.children[i], *b.children[i])) return false;
  }
  return true;
}

// The default event schema of DESIGN §6 plus a list field, `run`, channels and roles.
inline Scope test_scope() {
  Scope scope;
  auto string_type = Type::of(Type::Kind::String);
  scope.variables["event"] = {
      {"id", string_type},
      {"severity", string_type},
      {"host_id", Type::nominal("host")},
      {"user_account", Type::nominal("user")},
      {"user_id", Type::nominal("user")},
      {"segment_id", Type::nominal("segment")},
      {"source_ip", Type::nominal("ip")},
      {"confidence", Type::of(Type::Kind::Float)},
      {"impact", string_type},
      {"detected_at", Type::of(Type::Kind::Timestamp)},
      {"channels", Type::list(Type::nominal("channel"))},
      {"channel", Type::nominal("channel")},
      {"attempts", Type::of(Type::Kind::Int)},
  };
  scope.variables["run"] = {{"id", string_type}};
  scope.enums["channel"] = {"slack", "pagerduty", "email", "encrypted_email", "secure_portal", "sms", "teams", "webhook"};
  scope.enums["role"] = {"soc_analyst", "ir_lead", "ciso", "legal"};
  scope.nominals = {"host", "user", "segment", "ip", "path", "channel", "role"};
  scope.runbook = "active_breach";
  scope.step = "isolate";
  return scope;
}

}  // namespace writ::expr::testing
