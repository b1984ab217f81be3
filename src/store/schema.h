#pragma once

#include <string>

#include "rollway/common/result.h"

namespace rollway::store {

class Database;

// The schema version this binary writes (PRAGMA user_version); one per migration step.
int latestSchemaVersion();

// The schema version the file says it has (PRAGMA user_version); reads only.
Result<int> readSchemaVersion(Database& db);

// The refusal of a database written by a newer rollway, naming the file and what to do.
Error newerSchemaError(const std::string& path, int found);

// Brings the database to latestSchemaVersion() in one transaction and returns the
// version it is at. A database from a newer rollway is refused and left untouched.
Result<int> migrate(Database& db);

}  // namespace rollway::store
