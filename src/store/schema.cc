#include "store/schema.h"

#include <array>

#include "store/database.h"
#include "store/transaction.h"

namespace rollway::store {

namespace {

struct Migration {
  int version;       // the user_version after this step
  const char* what;  // for error messages
  const char* sql;   // fixed DDL, no values
};

// Append only: never edit a step that has shipped; add a new one instead.
constexpr std::array kMigrations = {
    Migration{1, "creating services, revisions, events and instances", R"sql(
CREATE TABLE services (
  name             TEXT    NOT NULL PRIMARY KEY,
  spec_json        TEXT    NOT NULL,
  generation       INTEGER NOT NULL,
  current_revision INTEGER NOT NULL,
  created_at_ms    INTEGER NOT NULL,
  updated_at_ms    INTEGER NOT NULL,
  status_json      TEXT    NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE revisions (
  service       TEXT    NOT NULL REFERENCES services(name) ON DELETE CASCADE,
  number        INTEGER NOT NULL CHECK (number > 0),
  template_hash TEXT    NOT NULL,
  template_json TEXT    NOT NULL,
  created_at_ms INTEGER NOT NULL,
  phase         TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (service, number),
  UNIQUE (service, template_hash)
) STRICT;

CREATE TABLE events (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  service TEXT    NOT NULL DEFAULT '',
  object  TEXT    NOT NULL DEFAULT '',
  type    TEXT    NOT NULL,
  reason  TEXT    NOT NULL,
  message TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_by_service ON events (service, id);

-- No foreign key to services: an instance outlives its service's deletion until the
-- supervisor has stopped it.
CREATE TABLE instances (
  name             TEXT    NOT NULL PRIMARY KEY,
  service          TEXT    NOT NULL,
  revision         INTEGER NOT NULL,
  pid              INTEGER NOT NULL,
  start_time_ticks INTEGER NOT NULL,
  port             INTEGER NOT NULL,
  state            TEXT    NOT NULL DEFAULT '',
  created_at_ms    INTEGER NOT NULL
) STRICT;
CREATE INDEX instances_by_service ON instances (service, revision);
)sql"},
};

}  // namespace

int latestSchemaVersion() { return kMigrations.back().version; }

Result<int> readSchemaVersion(Database& db) {
  auto stmt = db.prepare("PRAGMA user_version");
  if (!stmt) return fail(stmt.error());
  auto row = stmt->step();
  if (!row) return fail(row.error());
  return *row ? static_cast<int>(stmt->columnInt(0)) : 0;
}

Error newerSchemaError(const std::string& path, int found) {
  return Error{ErrorCode::kIo,
               fmt::format("the state database {} was written by a newer rollway (schema {}, this binary knows {}); "
                           "not opening it, and it was left as it is: upgrade rollway, or point --data-dir at "
                           "another directory",
                           path, found, latestSchemaVersion()),
               {}};
}

Result<int> migrate(Database& db) {
  // Under the write lock, so that two processes opening a fresh file at once do not
  // both run the same step.
  auto tx = Transaction::begin(db);
  if (!tx) return fail(tx.error());
  auto current = readSchemaVersion(db);
  if (!current) return fail(current.error());
  const int latest = latestSchemaVersion();
  if (*current > latest) return fail(newerSchemaError(db.path(), *current));
  if (*current < 0) return fail(ErrorCode::kIo, "store {}: invalid schema version {}", db.path(), *current);
  if (*current == latest) return latest;  // the transaction rolls back: nothing written

  for (const Migration& step : kMigrations) {
    if (step.version <= *current) continue;
    if (auto ok = db.exec(step.sql, fmt::format("migrating to schema {} ({})", step.version, step.what)); !ok) {
      return fail(ok.error());
    }
    // PRAGMA takes no bound parameters; the value is a compile-time integer.
    std::string set_version = fmt::format("PRAGMA user_version = {}", step.version);
    if (auto ok = db.exec(set_version.c_str(), "recording the schema version"); !ok) return fail(ok.error());
  }
  if (auto ok = tx->commit(); !ok) return fail(ok.error());
  return latest;
}

}  // namespace rollway::store
