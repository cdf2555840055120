// The catalog: everything a runbook is checked against — nominal types, enumerations
// (channels, roles), actions with signatures/effects/inverses, regulations with obligations,
// policies, and the default event schema. Built from stdlib/*.writ (and --policy files) by
// build_catalog; immutable afterwards and shared read-only across checker threads.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast.h"
#include "compiler/expr/expr.h"
#include "compiler/ir.h"

namespace writ {

// The effects an action may declare, in the order the catalog lists them (DESIGN §6, §17):
// what it does to the world decides which approvals the policy requires.
// `manual` is the effect of the built-in `task`: a person does the work.
inline constexpr std::array<std::string_view, 7> kEffects = {"observe",   "notify",  "collect", "contain",
                                                             "eradicate", "recover", "manual"};

struct ActionParam {
  std::string name;
  expr::Type type;
  bool optional = false;
};

struct ActionInfo {
  std::string name;
  std::vector<ActionParam> params;
  std::string effect;
  std::optional<std::string> inverse;
  std::optional<std::int64_t> timeout_seconds;
  std::string doc;
  std::vector<ir::Output> returns;  // declared outputs, in declaration order
};

// The built-in action a human task calls (effect manual, DESIGN §17): its steps need an
// `assignee` and a `within`.
inline constexpr std::string_view kTaskAction = "task";

struct ObligationInfo {
  std::string id;       // "nis2.early_warning"
  std::string regime;   // "NIS2"
  std::string title;
  std::optional<std::int64_t> deadline_seconds;  // nothing: asap
  std::string deadline_text;
  bool conditional = false;
  std::string trigger, notify, citation;
  bool follow_up() const { return deadline_seconds && *deadline_seconds > 7 * 24 * 3600; }
};

struct RegulationInfo {
  std::string name;
  std::string regime;
  std::vector<std::string> tags;
  std::vector<std::string> obligations;  // ids, in declaration order
};

struct PolicyInfo {
  std::string name;
  struct Level {
    std::vector<std::string> roles;
    std::set<std::string> effects;
  };
  std::map<std::string, Level> severities;  // low medium high critical
  std::vector<std::string> severity_order;   // as declared
  std::int64_t approval_timeout_seconds = 3600;
  std::int64_t step_timeout_seconds = 1800;
  std::int64_t asap_seconds = 24 * 3600;
  std::vector<std::string> evidence_roots;
  // `approver_identity required`: an approval must name approvers covering every required
  // role (DESIGN §13); `optional` (the default) accepts a bare approval.
  bool approver_identity_required = false;
};

struct Catalog {
  std::set<std::string> nominals;
  std::map<std::string, std::set<std::string>> enums;  // "channel" -> values, "role" -> values
  std::map<std::string, ActionInfo> actions;
  std::map<std::string, RegulationInfo> regulations;
  std::map<std::string, ObligationInfo> obligations;  // by full id
  std::map<std::string, PolicyInfo> policies;
  std::vector<ir::EventField> default_event;
  std::set<std::string> effects{kEffects.begin(), kEffects.end()};

  const PolicyInfo& policy() const;  // the active policy: "default" unless overridden
  std::string active_policy = "default";

  // Obligations a compliance tag (or an explicit "GDPR.subjects" / "gdpr.subjects") brings in.
  std::vector<std::string> obligations_for_tag(const std::string& tag) const;
};

// Adds only the nominal types and enumerations of `file`. Called for every file before
// add_declarations, so an action may use a type declared in a later file.
void add_type_declarations(Catalog& catalog, const ast::File& file);

// Adds the declarations of `file` to `catalog`, reporting conflicts and unknown names
// (an inverse that is not an action, an unknown type or effect) to `sink`.
void add_declarations(Catalog& catalog, const ast::File& file, DiagnosticSink& sink);

// After every file is added: each declared inverse must name a catalog action.
void check_action_inverses(const Catalog& catalog, const ast::File& file, DiagnosticSink& sink);

}  // namespace writ
