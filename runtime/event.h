// The event a run responds to: the JSON object as received, checked against the runbook's
// event schema (ir::Runbook::event) and converted to typed expression values. A field of the
// wrong type is an EventError naming the field, the expected and the actual type; fields the
// schema does not declare are kept in `raw` (sent to approvers) but templates cannot see them.
#pragma once

#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "compiler/expr/expr.h"
#include "compiler/ir.h"

namespace writ::runtime {

struct EventError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Event {
  std::string origin;  // file name for messages
  std::string text;    // the bytes as received (journaled verbatim)
  nlohmann::json raw;  // the parsed object
  std::map<std::string, expr::Value> fields;  // declared fields present in the event, typed

  std::string id() const;        // "id" when a string or integer, else ""
  std::string severity() const;  // "severity" (checked to be a string by parse_event)
};

// Parses the event text: a JSON object whose `severity` is a string and where no string or
// key, at any depth, holds NUL (DESIGN §13: "field `a.b[1]`: holds a NUL character"). Fields
// are not typed yet (the schema depends on the runbook routing picks): see type_event.
Event parse_event(std::string text, std::string origin, std::size_t max_depth);

// Fills event.fields from event.raw against `schema`. A JSON null counts as absent. Throws
// EventError: "<origin>: field `confidence`: expected float, got string". A nominal value
// must satisfy its validator (nominal_types.h): "<origin>: field `host_id`: \"-o/x\" is not a
// hostname or IP address".
void type_event(Event& event, std::span<const ir::EventField> schema);

// `json` as a value of `type`, by the rules event fields follow (nominal values validated):
// nothing, with `*why` ("expected host, got integer"), when it does not fit. Step outputs are
// typed with it.
std::optional<expr::Value> typed_value(const nlohmann::json& json, const expr::Type& type, std::string* why);

// The environment templates and `when` conditions evaluate in: event.<field> and run.id.
expr::Environment make_environment(const Event& event, const std::string& run_id);

// A rendered value as the JSON sent to connectors and journaled: strings, integers, floats,
// booleans, null, arrays; durations as integer seconds; timestamps as RFC 3339 UTC.
nlohmann::json value_to_json(const expr::Value& value);

// The JSON path of the first string or object key in `json` holding NUL, below `path`
// ("user_account", "extra.list[2]"; a key is shown quoted), or nothing.
std::optional<std::string> nul_path(const nlohmann::json& json, const std::string& path);

// A value from outside shown in a message: JSON-quoted (control characters escaped), cut at
// `limit` bytes with "..." inside the quotes.
std::string quote_for_message(std::string_view value, std::size_t limit = 80);

}  // namespace writ::runtime
