#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "rollway/store/store.h"
#include "store/sqlite_store.h"
#include "store/database.h"
#include "store/event_log.h"
#include "store/failure_streak.h"
#include "store/transaction.h"
#include "store/write_behind.h"

namespace rollway::store {

// The state behind SqliteStore, shared by sqlite_store.cc (writes) and
// sqlite_store_reads.cc (reads).
struct SqliteStore::Impl {
  Impl(std::unique_ptr<Database> database, const Clock& c, int version, StoreOptions opts)
      : db(std::move(database)),
        clock(c),
        schemaVersion(version),
        options(std::move(opts)),
        events(*db, options),
        pending(static_cast<size_t>(options.eventHistory)),
        streak(options.logger, clock, db->path()) {}

  std::unique_ptr<Database> db;
  const Clock& clock;
  int schemaVersion;
  StoreOptions options;
  EventLog events;
  WriteBehind pending;
  FailureStreak streak;
  int batchDepth = 0;

  int64_t nowMs() const { return toUnixMillis(clock.wallNow()); }

  // Whether `sql` ("SELECT 1 FROM … WHERE … = ?1 [AND … = ?2]") finds a row.
  Result<bool> hasRow(const char* sql, const std::string& key, int64_t number = 0) {
    auto stmt = db->prepare(sql);
    if (!stmt) return fail(stmt.error());
    stmt->bind(1, key);
    if (number != 0) stmt->bind(2, number);
    return stmt->step();
  }

  // Runs `work` in one transaction that writes the pending writes first. They are
  // dropped once it commits, and stay when anything fails (the transaction rolls back).
  template <class Work>
  auto write(Work&& work) -> decltype(work()) {
    auto result = [&]() -> decltype(work()) {
      auto tx = Transaction::begin(*db);
      if (!tx) return fail(tx.error());
      if (auto ok = pending.writeTo(*db, events); !ok) return fail(ok.error());
      auto value = work();
      if (!value) return value;
      if (auto ok = tx->commit(); !ok) return fail(ok.error());
      return value;
    }();
    if (result) {
      size_t written = pending.counts().total();
      pending.clear();
      streak.succeeded(written);
    } else if (isStorageFailure(result.error())) {
      streak.failed(result.error(), pending.counts());
    }
    return result;
  }

  // Commits the pending writes, if any, in a transaction of their own.
  Result<void> flush() {
    if (pending.empty()) return {};
    return write([] { return Result<void>{}; });
  }

  // After a pending write: commits at once unless a batch is open. A failure is kept
  // (the writes stay pending) and logged by the streak, not returned.
  void flushUnlessBatched() {
    if (batchDepth == 0) (void)flush();
  }
};

}  // namespace rollway::store
