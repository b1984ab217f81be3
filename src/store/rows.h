#pragma once

#include <vector>

#include "rollway/common/result.h"
#include "rollway/store/store.h"
#include "store/statement.h"

namespace rollway::store {

// The SELECT heads whose columns the read* functions below expect, in order.
inline constexpr const char* kServiceColumns =
    "SELECT name, spec_json, generation, current_revision, created_at_ms, updated_at_ms, status_json FROM services";
inline constexpr const char* kRevisionColumns =
    "SELECT service, number, template_hash, template_json, created_at_ms, phase FROM revisions";
inline constexpr const char* kEventColumns = "SELECT id, time_ms, service, object, type, reason, message FROM events";
inline constexpr const char* kInstanceColumns =
    "SELECT name, service, revision, pid, start_time_ticks, port, state, created_at_ms FROM instances";

ServiceRecord readService(const Statement& stmt);
RevisionRecord readRevision(const Statement& stmt);
Event readEvent(const Statement& stmt);
InstanceRecord readInstance(const Statement& stmt);

// Collects every row of `stmt` through `read`.
template <class T, class Read>
Result<std::vector<T>> collect(Statement& stmt, Read read) {
  std::vector<T> rows;
  for (;;) {
    auto row = stmt.step();
    if (!row) return fail(row.error());
    if (!*row) return rows;
    rows.push_back(read(stmt));
  }
}

}  // namespace rollway::store
