// The PostgreSQL store's schema, created and versioned by writ itself (DESIGN §15,
// docs/scale-out.md): `writ_schema` holds the version; migrate() applies the missing steps in
// one transaction under an advisory lock, so nodes starting together migrate once. A database
// whose schema is newer than this binary knows is refused, never altered.
#pragma once

#include "runtime/pg/connection.h"

namespace writ::runtime::pg {

inline constexpr int kSchemaVersion = 1;

// Brings the schema to kSchemaVersion. Throws PgError (refusing a newer schema).
void migrate(Connection& connection);

}  // namespace writ::runtime::pg
