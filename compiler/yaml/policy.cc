// The YAML form of a policy (the top-level `policy` key): the same ast::PolicyDecl the DSL's
// `policy NAME { ... }` builds, with spans into the YAML text.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/yaml/reader.h"

namespace writ::yaml_detail {
namespace {

const std::vector<std::string>& policy_keys() {
  static const std::vector<std::string> keys = {
      "name",       "severities",     "approval_timeout_minutes", "step_timeout_minutes",
      "asap_hours", "evidence_roots", "approver_identity"};
  return keys;
}

const std::vector<std::string>& severity_keys() {
  static const std::vector<std::string> keys = {"approvers", "effects"};
  return keys;
}

const Entry* find_entry(const std::vector<Entry>& entries, std::string_view key) {
  for (const Entry& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

constexpr std::string_view kSeverityExample = "medium: {approvers: [ir_lead], effects: [contain, collect]}";

// `medium: {approvers: [...], effects: [...]}`; `low: {}` (or `low:`) requires no approval.
std::optional<ast::SeverityRule> read_severity(Reader& reader, const Entry& e) {
  ast::SeverityRule rule;
  rule.severity = {e.key, e.key_span};
  rule.span = e.span;
  if (e.value.IsNull()) return rule;
  if (!e.value.IsMap()) {
    Diagnostic& d = reader.error(Rule::Syntax, e.value_span,
                                 fmt::format("severity `{}` must be a mapping with `approvers` and `effects`", e.key));
    d.help.push_back(std::string(kSeverityExample));
    return std::nullopt;
  }
  auto entries = reader.entries(e.value, severity_keys(), fmt::format("severity `{}`", e.key));
  const Entry* approvers = find_entry(entries, "approvers");
  const Entry* effects = find_entry(entries, "effects");
  if (approvers) {
    if (auto roles = reader.names(*approvers, true, "a list of roles, e.g. [ciso, legal]")) rule.roles = *roles;
  }
  if (effects) {
    if (auto list = reader.names(*effects, true, "a list of effects, e.g. [contain, eradicate]")) rule.effects = *list;
  }
  if ((approvers == nullptr) != (effects == nullptr)) {
    const Entry& given = approvers ? *approvers : *effects;
    if (misspells(e.value, severity_keys(), approvers ? "effects" : "approvers")) return rule;  // reported
    Diagnostic& d = reader.error(
        Rule::Syntax, given.key_span,
        fmt::format("severity `{}` has `{}` without `{}`", e.key, given.key, approvers ? "effects" : "approvers"));
    d.help.push_back(std::string(kSeverityExample));
  }
  return rule;
}

std::vector<ast::SeverityRule> read_severities(Reader& reader, const Entry& e) {
  std::vector<ast::SeverityRule> out;
  if (!e.value.IsMap()) {
    Diagnostic& d = reader.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                                 "`severities` must be a mapping from severity to its approval rule");
    d.help.push_back(fmt::format("severities:\n  low: {{}}\n  {}", kSeverityExample));
    return out;
  }
  for (const Entry& entry : reader.all_entries(e.value, "`severities`")) {
    if (auto rule = read_severity(reader, entry)) out.push_back(std::move(*rule));
  }
  return out;
}

void read_policy_entry(Reader& reader, const Entry& entry, ast::PolicyDecl& out) {
  if (entry.key == "name") {
    if (auto n = reader.name(entry, "a policy name")) out.name = *n;
  } else if (entry.key == "severities") {
    out.severities = read_severities(reader, entry);
  } else if (entry.key == "approval_timeout_minutes") {
    out.approval_timeout_seconds = reader.seconds(entry, 60, "minutes");
  } else if (entry.key == "step_timeout_minutes") {
    out.step_timeout_seconds = reader.seconds(entry, 60, "minutes");
  } else if (entry.key == "asap_hours") {
    out.asap_seconds = reader.seconds(entry, 3600, "hours");
  } else if (entry.key == "approver_identity") {
    out.approver_identity = reader.name(entry, "`required` or `optional`");
  } else if (entry.key == "evidence_roots") {
    if (auto roots = reader.names(entry, true, "a list of directories, e.g. [\"/evidence\"]")) {
      out.evidence_roots = *roots;
    }
  }
}

}  // namespace

bool reports_bare_policy(Reader& reader, const YAML::Node& root) {
  if (!root.IsMap()) return false;
  bool policy_shaped = false;
  for (const auto& pair : root) {
    if (!pair.first.IsScalar()) return false;
    const std::string& key = pair.first.Scalar();
    if (key == "policy" || key == "playbooks" || key == "metadata" || key == "event") return false;
    const auto& keys = policy_keys();
    // `name` alone is as likely a runbook's misplaced key; any other policy key is decisive.
    if (key != "name" && std::find(keys.begin(), keys.end(), key) != keys.end()) policy_shaped = true;
  }
  if (!policy_shaped) return false;
  auto at = reader.start_of(root);
  Diagnostic& d = reader.error(Rule::Syntax, {at, at},
                               "this policy has no top-level `policy:` key: a YAML policy's `name`, `severities` and "
                               "settings go under it");
  d.help.push_back(fmt::format("policy:\n  name: strict\n  severities:\n    {}", kSeverityExample));
  return true;
}

std::optional<ast::PolicyDecl> load_policy(Reader& reader, const Entry& e) {
  if (!e.value.IsMap()) {
    Diagnostic& d = reader.error(Rule::Syntax, e.value.IsNull() ? e.span : e.value_span,
                                 "`policy` must be a mapping with `name` and `severities`");
    d.help.push_back(fmt::format("policy:\n  name: strict\n  severities:\n    {}", kSeverityExample));
    return std::nullopt;
  }
  ast::PolicyDecl out;
  out.span = e.span;
  auto entries = reader.entries(e.value, policy_keys(), "`policy`");
  for (const Entry& entry : entries) read_policy_entry(reader, entry, out);
  const Entry* name = find_entry(entries, "name");
  if (name == nullptr) {
    // A misspelled `name` (`nme:`) was reported already: one typo, one diagnostic.
    if (!misspells(e.value, policy_keys(), "name")) {
      reader.error(Rule::Syntax, e.key_span, "`policy` has no `name`").help.push_back("policy:\n  name: strict");
    }
    return std::nullopt;
  }
  if (out.name.value.empty()) {
    if (name->value.IsScalar()) reader.error(Rule::Syntax, name->value_span, "the policy name must not be empty");
    return std::nullopt;
  }
  return out;
}

}  // namespace writ::yaml_detail
