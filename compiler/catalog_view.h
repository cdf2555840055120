// The catalog as a runbook author reads it: `writ catalog` (DESIGN §8) and the generated
// docs/catalog.md. Pure functions of a loaded Catalog (stdlib + policy files); nothing here
// reads files or prints.
//
// JSON (contract, DESIGN §8): one object with the keys
//   actions     [{name, effect, inverse, params: [{name, type}], timeout, doc}]
//   event       [{name, type}]                      the default event schema, in order
//   types       [{name, kind}]                      kind: scalar | nominal | enumeration
//   channels    [name]     roles [name]
//   regulations [{tag, name, obligations: [{id, deadline, citation, trigger}]}]
//   policy      the active policy in the YAML policy form (the value of a `policy:` key)
// `inverse` and `timeout` are null when the action declares none; an optional parameter's
// type ends in `?` (`host?`); `timeout` and `deadline` are DSL durations (`10m`, `4bd`,
// `asap`). A section name keeps only that key. Text and markdown show the same sections, plus
// what JSON leaves to the contract's keys (obligation titles, conditional obligations).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/catalog.h"

namespace writ {

// "actions", "event", "types", "channels", "roles", "regulations", "policy" — in output order.
const std::vector<std::string>& catalog_sections();

// `section` empty: every section. An unknown section name is the caller's to refuse.
nlohmann::ordered_json catalog_json(const Catalog& catalog, std::string_view section = {});  // keys in the order above
std::string catalog_text(const Catalog& catalog, std::string_view section = {});
std::string catalog_markdown(const Catalog& catalog, std::string_view section = {});

}  // namespace writ
