// The surface syntax tree both front-ends build: the YAML loader (compiler/yaml/loader.h) and the DSL
// parser (compiler/dsl/parser.h). Every node keeps byte spans into its SourceFile; lowering
// (lower.h) resolves and type-checks it into the IR. The AST never reaches the runtime.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/expr/expr.h"
#include "compiler/source.h"

namespace writ::ast {

template <typename T>
struct Located {
  T value{};
  Span span;
};
using Name = Located<std::string>;

struct Argument {
  Name name;            // "target", "channels", ...
  expr::NodePtr value;  // YAML: parse_template of the string (lists become List nodes)
  Span span;            // the whole `name: value`
};

struct Approval {
  // YAML `requires_approval: true` / DSL `approve` with no roles: the policy's roles.
  bool policy_roles = false;
  std::vector<Name> roles;                               // explicit roles (requires_approval list, approvers)
  std::optional<Located<std::int64_t>> timeout_seconds;  // approval_timeout_minutes / `within 15m`
  Span span;                                             // the key or `approve` statement
};

struct Rollback {
  Name action;
  std::vector<Argument> args;  // empty: inherits the step's arguments
  Span span;
};

enum class OnFailure { Halt, Rollback, Continue };

// DSL `for X in LIST` / YAML `for_each: "{{ LIST }}"` with `as: X` (DESIGN §17).
struct ForEach {
  expr::NodePtr list;
  Name variable;
  Span span;  // the whole clause / the `for_each` key
};

struct Step {
  Name id;  // explicit id, or the action name (de-duplicated by the loader)
  bool id_explicit = false;
  Name action;
  std::vector<Argument> args;
  // YAML only: other step keys (`summary: ...`). Lowering makes each an argument when the
  // action has that parameter, else reports it as an unknown key.
  std::vector<Argument> key_args;
  // Keys the step misspelt, by their did-you-mean (`chanels` -> "channels"), or gave a bad
  // value (`within_minutes: 0`): already reported, so lowering does not report that argument
  // missing as well.
  std::vector<std::string> misspelt;
  std::optional<Approval> approval;  // absent or `requires_approval: false`: none
  bool approval_declared_false = false;
  std::optional<Rollback> rollback;
  std::vector<Located<expr::NodePtr>> preserve;  // artifact paths (string templates)
  std::optional<Located<std::int64_t>> deadline_seconds;
  std::optional<Located<std::int64_t>> timeout_seconds;
  expr::NodePtr when;  // null: always
  std::optional<Located<std::int64_t>> retries;  // 0..kMaxRetries once lowered
  std::optional<Located<OnFailure>> on_failure;
  std::vector<Name> satisfies;  // "gdpr.authority", "nis2.early_warning", ...
  std::optional<ForEach> for_each;
  int parallel_block = 0;  // k > 0: inside the runbook's k-th `parallel` block (Runbook::parallel)
  std::optional<Name> assignee;                         // `task` only: a role
  std::optional<Located<std::int64_t>> within_seconds;  // `task` only: DSL `within`, YAML `within_minutes`
  Span span;                    // the whole step
  Span head;                    // where step-level findings point: `- action: x` / `step x = ...`
};

// The most `retries` a step may ask for, in YAML and in the DSL alike.
inline constexpr std::int64_t kMaxRetries = 100;

struct EventField {
  Name name;
  Name type;  // type name as written: "host", "list<string>"
};

struct Runbook {
  Name id;                        // playbook `id` or its severity key; DSL: `runbook ID`
  Name title;                     // playbook `name`; DSL `title`
  Name severity;                  // playbook's severity key; DSL `severity`
  std::vector<Name> compliance;   // metadata + playbook compliance_tags; DSL `comply`
  std::vector<EventField> event;  // runbook's (or YAML file's) `event` schema; empty: default
  bool event_declared = false;
  expr::NodePtr when;  // routing condition; null: always
  std::vector<Step> steps;
  std::vector<Span> parallel;  // the k-th `parallel` block's span is parallel[k - 1]
  // YAML metadata (version, last_updated, owner); DSL `version`, `owner`. Not in the IR digest.
  std::optional<Name> version, owner, last_updated;
  Span span;
  Span head;
};

// ---------------------------------------------------------------------------------------
// Declarations (the stdlib and policy files are written with these).
struct Param {
  Name name;
  Name type;
  bool optional = false;  // `name?: type`
};

struct ActionDecl {
  Name name;
  std::vector<Param> params;
  Name effect;                  // observe notify collect contain eradicate recover manual
  std::optional<Name> inverse;  // the compensating action
  std::optional<Located<std::int64_t>> timeout_seconds;
  std::optional<Located<std::string>> doc;
  std::vector<Param> returns;  // `returns { NAME: TYPE, ... }`: the action's outputs
  Span span;
};

struct Obligation {
  Name id;                     // "authority" inside `regulation gdpr` -> "gdpr.authority"
  Located<std::string> title;  // "notify the supervisory authority"
  // Deadline in seconds for the static guarantee (shortest length: 4bd = 96h, 1mo = 28d);
  // nothing for `asap`.
  std::optional<Located<std::int64_t>> deadline_seconds;
  std::string deadline_text;  // as written: "72h", "4bd", "1mo", "asap"
  bool conditional = false;   // brought in only when named explicitly
  std::string trigger, notify, citation;
  Span span;
};

struct RegulationDecl {
  Name name;                    // "gdpr"
  Located<std::string> regime;  // "EU GDPR"
  std::vector<Name> tags;       // compliance tags that bring it in: "GDPR"
  std::vector<Obligation> obligations;
  Span span;
};

struct SeverityRule {
  Name severity;              // low medium high critical
  std::vector<Name> roles;    // approvers required
  std::vector<Name> effects;  // effects that need them
  Span span;
};

struct PolicyDecl {
  Name name;
  std::vector<SeverityRule> severities;
  std::optional<Located<std::int64_t>> approval_timeout_seconds;  // default 60m
  std::optional<Located<std::int64_t>> step_timeout_seconds;      // default 30m
  std::optional<Located<std::int64_t>> asap_seconds;              // default 24h
  std::vector<Located<std::string>> evidence_roots;
  std::optional<Name> approver_identity;  // "required" | "optional" as written (the catalog checks it)
  Span span;
};

struct TypeDecl {  // `type host, user, segment` (nominal string types)
  std::vector<Name> names;
  Span span;
};

struct EnumDecl {  // `channel slack, pagerduty`  /  `role ciso, legal`
  Name type;       // "channel" or "role"
  std::vector<Name> values;
  Span span;
};

struct EventDecl {  // top-level `event { ... }`: the default event schema
  std::vector<EventField> fields;
  Span span;
};

// `# writ:ignore RULE reason="..." [expires=YYYY-MM-DD]`
struct SuppressionComment {
  Name rule;
  std::optional<Located<std::string>> reason;
  std::optional<Located<std::string>> expires;  // YYYY-MM-DD as written
  Span span;                                    // the whole comment
  int target_line;                              // the 1-based line it applies to (the next non-blank, non-comment line)
};

struct File {
  SourcePtr source;
  std::vector<Runbook> runbooks;
  std::vector<ActionDecl> actions;
  std::vector<RegulationDecl> regulations;
  std::vector<PolicyDecl> policies;
  std::vector<TypeDecl> types;
  std::vector<EnumDecl> enums;
  std::vector<EventDecl> events;
  std::vector<SuppressionComment> suppressions;
};

}  // namespace writ::ast
