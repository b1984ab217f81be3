#pragma once

#include "rollway/common/result.h"

namespace rollway::store {

class Database;

// The schema version this binary writes (PRAGMA user_version); one per migration step.
int latestSchemaVersion();

// Brings the database to latestSchemaVersion() in one transaction and returns the
// version it is at. A database from a newer rollway is refused and left untouched.
Result<int> migrate(Database& db);

}  // namespace rollway::store
