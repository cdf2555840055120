// Step outputs (DESIGN §17): what a connector's reply says a step produced, typed against the
// action's declared `returns`. The reply is hostile data: it is read only for a step that
// declares outputs, at most RuntimeOptions::max_output_bytes of it, with the JSON reader that
// refuses deep nesting, duplicate keys and NUL (json_input.h). A reply that carries no
// outputs at all — empty, not a JSON object (its first non-blank byte is not `{`), or an
// object without an `outputs` key — leaves the step without outputs (connectors written
// before outputs existed keep working; a later step reading them then fails). A reply with
// `outputs` must hold exactly the declared names, each of its declared type (nominal values
// validated as event fields are). Other top-level keys of the reply are ignored.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compiler/expr/expr.h"
#include "runtime/options.h"
#include "runtime/plan.h"

namespace writ::runtime {

struct OutputsRead {
  nlohmann::json outputs = nlohmann::json::object();  // valid when !error and !absent
  std::optional<std::string> error;                   // names the step and the output
  bool absent = false;                                // the reply carried no outputs
};

// Reads `reply` (nothing: the connector gave none) for `step`'s declared outputs.
OutputsRead read_outputs(const std::optional<std::string>& reply, const PlannedStep& step, const RuntimeOptions& options);

// Typed placeholders for a dry run, so later steps still render: "dry-run" for strings and
// most nominal types, "dry-run.invalid" for a host, 192.0.2.1 (TEST-NET-1) for an ip, zero,
// false, an empty list, the epoch.
nlohmann::json placeholder_outputs(const PlannedStep& step);

// The declared output `name` of a step's outputs, typed; nothing when absent or mistyped.
std::optional<expr::Value> output_value(const nlohmann::json& outputs, const PlannedOutput& declared);

}  // namespace writ::runtime
