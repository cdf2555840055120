// Reading JSON the runtime did not write (events, approvals files, approval replies,
// connector answers) and writing JSON that must survive canonical hashing. Malformed input is
// a JsonInputError whose message names the origin and the line:column, never a crash.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace writ::runtime {

struct JsonInputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses `text`; `origin` names it in errors ("event.json", "approval reply"). Rejects input
// nested deeper than `max_depth`, invalid UTF-8, a NUL byte, trailing garbage, and an object
// that holds the same key twice, at any depth (keys compared after unescaping; a lenient reader
// would keep the last one, so `{"approved": false, "approved": true}` would approve).
// Error text: "<origin>:<line>:<col>: <what>", e.g. `reply:1:21: duplicate key "approved"`.
nlohmann::json parse_json(std::string_view text, std::string_view origin, std::size_t max_depth);

// Reads and parses a file of at most `max_bytes`. Unreadable or too large: JsonInputError.
nlohmann::json read_json_file(const std::string& path, std::size_t max_bytes, std::size_t max_depth);

// "<line>:<column>" (1-based, columns in code points) of byte `byte` of `text`, for messages.
std::string position(std::string_view text, std::size_t byte);

// Reads a whole file of at most `max_bytes`; JsonInputError (naming the path) otherwise.
std::string read_text_file(const std::string& path, std::size_t max_bytes);

// Canonical JSON (common/canonical_json.h) holds no floats. tag_floats replaces each float
// with {"$float": "<shortest round-trip text>"}; untag_floats reverses it. Only used on values
// whose objects cannot otherwise hold a "$float" key (rendered arguments, typed event fields).
nlohmann::json tag_floats(const nlohmann::json& value);
nlohmann::json untag_floats(const nlohmann::json& value);

// JSON type name for messages: "string", "integer", "float", "boolean", "array", "object", "null".
std::string json_kind(const nlohmann::json& value);

}  // namespace writ::runtime
