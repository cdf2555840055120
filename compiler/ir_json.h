// Canonical JSON of the IR and its digest (sha256 of the canonical JSON). This is the format
// `writ compile` prints, described in docs/architecture.md ("Lowering and IR"). from_json reads
// it back (the runtime's journal stores the digest, and fuzzers round-trip it); malformed input throws
// std::invalid_argument with a message naming the offending key.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "compiler/ir.h"

namespace writ::ir {

nlohmann::json to_json(const Runbook& runbook);
nlohmann::json to_json(const expr::Node& node);
nlohmann::json to_json(const expr::Type& type);
std::string digest(const Runbook& runbook);

}  // namespace writ::ir
