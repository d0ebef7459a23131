// The SqliteStore schema: an ordered list of forward migrations, the application id that marks a
// file as an omni database, and the open-time check that brings a file up to date. Internal.
#pragma once

#include <chrono>
#include <cstdint>

#include "omni/status.h"
#include "sqlite/sqlite_db.h"

namespace omni::sqlite {

// PRAGMA application_id of every omni database: "OMNI" in ASCII.
inline constexpr std::int32_t kApplicationId = 0x4F4D4E49;

// The schema version this library writes (PRAGMA user_version): the number of migrations.
int schema_version();

// Brings the database behind `connection` up to schema_version():
//   * a file that is not SQLite, or an SQLite database of another application (another
//     application_id, or tables without omni's application_id) -> kCorruption, file untouched;
//   * an omni database with a newer user_version -> kFailedPrecondition, file untouched;
//   * otherwise switches the file to WAL and applies the missing migrations (each one's SQL, then
//     its C++ step if it has one, e.g. a backfill SQL cannot compute), the application id and
//     the new user_version in one BEGIN IMMEDIATE transaction.
// Switching to WAL needs a moment when no other connection holds a lock, and SQLite reports
// SQLITE_BUSY for it without calling the busy handler, so it is retried for up to busy_timeout
// (several processes may open a new file at once).
Status prepare_database(Connection& connection, std::chrono::milliseconds busy_timeout);

}  // namespace omni::sqlite
