// The typed intermediate representation: what `writ compile` prints and what the runtime
// executes. It holds no file names and no spans, so the same runbook written in YAML and in
// the DSL has the same canonical JSON and digest (ir_json.h). Expressions are checked
// expression trees (their spans are ignored by the serialisation).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/expr/expr.h"

namespace writ::ir {

struct Argument {
  std::string name;
  expr::NodePtr value;  // checked; its type is assignable to the parameter's
};

struct Approval {
  std::vector<std::string> roles;  // required approver roles (resolved from the policy when implicit)
  std::int64_t timeout_seconds = 3600;  // declared, else the policy default
};

struct Rollback {
  std::string action;
  std::vector<Argument> args;  // the step's arguments when the rollback declares none
};

enum class OnFailure { Halt, Rollback, Continue };

// An output an action declares (`returns { NAME: TYPE }`); later steps read it as
// `steps.ID.outputs.NAME` (a for-each step's output is a list, one value per element).
struct Output {
  std::string name;
  expr::Type type;
};

// `for X in LIST`: the step runs once per element of `list` (checked, type list<T>), with
// `variable` bound to the element (type T) in its arguments, preserve paths and rollback.
struct ForEach {
  expr::NodePtr list;
  std::string variable;
};

// The built-in action `task` (effect manual): a person with role `assignee` marks it done
// within `within_seconds`, else the step fails.
struct Task {
  std::string assignee;  // a role
  std::int64_t within_seconds = 0;
};

struct Step {
  std::string id;
  std::string action;
  std::string effect;  // observe notify collect contain eradicate recover manual
  std::vector<Argument> args;
  std::optional<Approval> approval;
  std::optional<Rollback> rollback;
  std::vector<expr::NodePtr> preserve;  // string-typed artifact path templates
  std::optional<std::int64_t> deadline_seconds;
  std::int64_t timeout_seconds = 1800;  // declared, else the action's, else the policy default
  expr::NodePtr when;                   // null: always
  int retries = 0;
  OnFailure on_failure = OnFailure::Halt;
  std::vector<std::string> satisfies;
  std::optional<ForEach> for_each;
  int parallel_block = 0;  // 0: sequential; k > 0: member of the runbook's k-th parallel block
                           // (its members are consecutive in `steps`)
  std::optional<Task> task;    // set exactly for the built-in action `task` (effect manual)
  std::vector<Output> returns;  // the action's declared outputs (empty: none)
};

struct EventField {
  std::string name;
  expr::Type type;
};

struct Runbook {
  std::string id;
  std::string title;
  std::string severity;
  std::vector<std::string> compliance;  // tags as written, sorted, de-duplicated
  std::vector<EventField> event;        // the effective schema (declared, else the default)
  expr::NodePtr when;
  std::vector<Step> steps;
};

std::string_view on_failure_name(OnFailure value);

}  // namespace writ::ir
