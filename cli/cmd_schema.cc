// `writ schema`: the JSON Schema (2020-12) of the YAML runbook form (DESIGN §2) and of a YAML
// policy (the top-level `policy` key, alone or beside `playbooks`), for editors
// and for validating runbooks with generic tools. writ itself checks more than the schema
// says (bindings, types, policy); the schema only pins the shape and the key names.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace writ::cli {

namespace {

using nlohmann::json;

json string_list() { return {{"type", "array"}, {"items", {{"type", "string"}}}}; }

// The loader takes one string where a list of one is meant (`approvers: ciso`).
json string_or_list() { return {{"oneOf", {{{"type", "string"}}, string_list()}}}; }

json positive_number() { return {{"type", "number"}, {"exclusiveMinimum", 0}}; }

json condition() {
  return {{"type", {"string", "boolean"}}, {"description", "a condition expression (or true/false)"}};
}

json args_schema() {
  return {{"type", "object"},
          {"description", "action arguments; strings may hold {{ expr }} templates"},
          {"additionalProperties", true}};
}

json rollback_schema() {
  json object{
      {"type", "object"},
      {"required", {"action"}},
      {"additionalProperties", false},
      {"properties", {{"action", {{"type", "string"}}}, {"target", {{"type", "string"}}}, {"args", args_schema()}}}};
  return {{"oneOf", {{{"type", "string"}}, object}}};
}

json step_schema() {
  json props{
      {"action", {{"type", "string"}, {"description", "an action of the catalog (`writ catalog actions` lists them)"}}},
      {"id", {{"type", "string"}, {"description", "default: the action name, de-duplicated"}}},
      {"target", {{"type", "string"}}},
      {"channels", string_list()},
      {"args", args_schema()},
      {"requires_approval", {{"oneOf", {{{"type", "boolean"}}, string_list()}}}},
      {"approvers", string_or_list()},
      {"approval_timeout_minutes", positive_number()},
      {"rollback", rollback_schema()},
      {"preserve_artifacts", string_or_list()},
      {"deadline_hours", positive_number()},
      {"timeout_minutes", positive_number()},
      {"when", condition()},
      {"retries", {{"type", "integer"}, {"minimum", 0}}},
      {"on_failure", {{"enum", {"halt", "rollback", "continue"}}}},
      {"satisfies", string_or_list()},
      {"for_each",
       {{"type", "string"},
        {"description", "run the step once per element of this list, e.g. \"{{ event.users }}\"; needs `as`"}}},
      {"as", {{"type", "string"}, {"pattern", "^[A-Za-z_][A-Za-z0-9_]*$"}, {"description", "the loop variable of `for_each`"}}},
      {"assignee", {{"type", "string"}, {"description", "`task` steps only: the role that does the task"}}},
      {"within_minutes",
       {{"type", "number"}, {"exclusiveMinimum", 0}, {"description", "`task` steps only: how long the assignee has"}}},
  };
  // Other keys are arguments of the action (`summary: ...`); writ check resolves them against
  // the catalog and reports any that is not a parameter as unknown-key.
  return {{"type", "object"},
          {"required", {"action"}},
          {"additionalProperties", true},
          {"description", "keys other than these are arguments of the action, checked by writ check"},
          {"properties", props}};
}

json policy_schema() {
  json severity{{"type", "object"},
                {"description", "the roles that must approve steps with these effects; {} for none"},
                {"additionalProperties", false},
                {"dependentRequired", {{"approvers", {"effects"}}, {"effects", {"approvers"}}}},
                {"properties", {{"approvers", string_list()}, {"effects", string_list()}}}};
  json minutes = positive_number();
  return {{"type", "object"},
          {"description", "a policy (as `writ check --policy FILE` reads it), like the DSL's `policy NAME { ... }`"},
          {"required", {"name"}},
          {"additionalProperties", false},
          {"properties",
           {{"name", {{"type", "string"}, {"minLength", 1}}},
            {"severities", {{"type", "object"}, {"additionalProperties", {{"oneOf", {{{"type", "null"}}, severity}}}}}},
            {"approval_timeout_minutes", minutes},
            {"step_timeout_minutes", minutes},
            {"asap_hours", minutes},
            {"evidence_roots", string_or_list()},
            {"approver_identity",
             {{"enum", {"required", "optional"}},
              {"description", "required: an approval must name approvers covering every required role"}}}}}};
}

json schema() {
  json playbook{{"type", "object"},
                {"required", {"steps"}},
                {"additionalProperties", false},
                {"properties",
                 {{"name", {{"type", "string"}, {"description", "the title; default: the playbook's id"}}},
                  {"id", {{"type", "string"}}},
                  {"compliance_tags", string_or_list()},
                  {"when", condition()},
                  {"event", {{"$ref", "#/$defs/event"}}},
                  {"steps", {{"type", "array"}, {"items", {{"oneOf", {{{"$ref", "#/$defs/step"}}, {{"$ref", "#/$defs/parallel"}}}}}}}}}}};
  // `- parallel: [step, ...]`: steps that start together (not nested).
  json parallel{{"type", "object"},
                {"required", {"parallel"}},
                {"additionalProperties", false},
                {"description", "steps that start together; the block ends when all have"},
                {"properties", {{"parallel", {{"type", "array"}, {"minItems", 1}, {"items", {{"$ref", "#/$defs/step"}}}}}}}};
  json metadata{{"type", "object"},
                {"additionalProperties", false},
                {"properties",
                 {{"version", {{"type", {"string", "number"}}}},
                  {"last_updated", {{"type", "string"}}},
                  {"owner", {{"type", "string"}}},
                  {"compliance_tags", string_or_list()}}}};
  json event{{"type", "object"},
             {"description", "event field -> type name (string, int, float, bool, timestamp, host, user, ...)"},
             {"additionalProperties", {{"type", "string"}}}};
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"$id", "https://writ.dev/schema/runbook-1.json"},
          {"title", "writ YAML runbook"},
          {"type", "object"},
          {"anyOf", {{{"required", {"playbooks"}}}, {{"required", {"policy"}}}}},
          {"additionalProperties", false},
          {"properties",
           {{"metadata", metadata},
            {"event", {{"$ref", "#/$defs/event"}}},
            {"playbooks", {{"type", "object"}, {"additionalProperties", {{"$ref", "#/$defs/playbook"}}}}},
            {"policy", {{"$ref", "#/$defs/policy"}}}}},
          {"$defs",
           {{"step", step_schema()},
            {"parallel", parallel},
            {"playbook", playbook},
            {"event", event},
            {"policy", policy_schema()}}}};
}

}  // namespace

void register_schema_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("schema", "print the JSON Schema of the YAML runbook form");
  cmd->callback([&ctx] {
    std::cout << schema().dump(2) << '\n';
    ctx.exit_code = 0;
  });
}

}  // namespace writ::cli
