#pragma once

#include <string>

#include <sqlite3.h>

#include "rollway/store/store.h"

namespace rollway::store {

// A service whose template is {"command":["./app"],"version":VERSION}, hash "hash-VERSION".
inline ServiceInput serviceInput(const std::string& name, int replicas, const std::string& version) {
  std::string tmpl = R"({"command":["./app"],"version":")" + version + R"("})";
  ServiceInput in;
  in.name = name;
  in.templateJson = tmpl;
  in.specJson = R"({"replicas":)" + std::to_string(replicas) + R"(,"template":)" + tmpl + "}";
  in.templateHash = "hash-" + version;
  return in;
}

// The first column of the first row of `sql` as another connection sees the file (what
// is committed), "<none>" without a row, "<error: ...>" when it fails.
inline std::string committedValue(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    out = std::string("<error: ") + sqlite3_errmsg(db) + ">";
    sqlite3_close_v2(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    out = std::string("<error: ") + sqlite3_errmsg(db) + ">";
  } else {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text ? reinterpret_cast<const char*>(text) : "<null>";
    } else {
      out = rc == SQLITE_DONE ? "<none>" : std::string("<error: ") + sqlite3_errmsg(db) + ">";
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return out;
}

}  // namespace rollway::store
