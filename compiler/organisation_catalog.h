// Organisation catalogs (`--catalog FILE|DIR`, DESIGN §17): an organisation's own actions,
// types, channels, roles and regulations, written in the stdlib's syntax and added after it.
// They extend the stdlib and never change it: a name the stdlib (or an earlier catalog file)
// already declares is an error, and so is anything a catalog file may not hold — a runbook,
// a policy (that is `--policy`) or a default event schema (a runbook declares its own).
#pragma once

#include <span>

#include "compiler/ast.h"
#include "compiler/diagnostic.h"

namespace writ {

// Reports every declaration of the `organisation` files (in order) that collides with one of
// the `stdlib` files or of an earlier organisation file, with a note at the first declaration,
// and every runbook, policy or top-level event an organisation file holds. Pure: it only reads
// the ASTs and appends to `sink`.
void check_organisation_catalogs(std::span<const ast::File> stdlib, std::span<const ast::File> organisation,
                                 DiagnosticSink& sink);

}  // namespace writ
