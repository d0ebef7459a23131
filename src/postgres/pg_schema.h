// PostgresStore's schema: forward migrations recorded in the table omni_schema (one row, the
// version). Internal; not installed.
#pragma once

#include "omni/status.h"
#include "postgres/pg_db.h"

namespace omni::pg {

// The schema version this library writes: the number of migrations.
int schema_version();

// Brings the database behind `connection` up to schema_version() in one transaction under an
// advisory lock (several processes may open one database at once; the first migrates, the others
// wait and find it done). A newer version -> kFailedPrecondition, nothing changed.
Status prepare_database(Connection& connection);

}  // namespace omni::pg
