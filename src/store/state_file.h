#pragma once

#include <string>

#include "rollway/common/result.h"

namespace rollway::store {

class Database;

// Creates `path` as a new state database with the current schema, unless a file is
// there already: built as a temporary file beside it (0600, in a 0700 directory made
// when missing), synced, then linked into place without replacing anything. So the
// file at `path` is never an empty or half-made one, and an empty file there means
// it was truncated.
Result<void> createStateFileIfMissing(const std::string& path, const std::string& vfs);

// Refuses a file that is no usable state database, before anything is written to it:
// empty, not SQLite, failing `PRAGMA quick_check`, or from a newer schema. The error
// names the file and what to do.
Result<void> checkStateFile(Database& db);

}  // namespace rollway::store
