// Canonical JSON (RFC 8785 style, restricted to what writ emits): object keys sorted by
// UTF-8 bytes, no insignificant whitespace, integers only (floats are rejected because their
// canonical form is not needed anywhere in writ and is easy to get wrong). Used for IR
// digests, journal and custody record hashes: an auditor can re-implement it in a few lines.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace writ {

// Throws std::invalid_argument for a float value (a writ bug, not user input).
std::string canonical_json(const nlohmann::json& value);

// sha256 hex of canonical_json(value).
std::string canonical_digest(const nlohmann::json& value);

}  // namespace writ
