// The SQLite store's own file: where it is, its permissions, WAL mode.
#include "rollway/store/store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "unit/store/temp_dir.h"

namespace rollway::store {
namespace {

class SqliteFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto opened = Store::open(path(), clock_);
    ASSERT_TRUE(opened) << opened.error().str();
    store_ = std::move(*opened);
  }
  std::string path() const { return dir_.file("state/rollway.db"); }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteFileTest, OpenCreatesDirectoryAndPrivateFileWithLatestSchema) {
  EXPECT_EQ(store_->schemaVersion(), 1);
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir_.file("state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}


TEST_F(SqliteFileTest, DatabaseIsInWalModeAndItsSideFilesArePrivate) {
  ASSERT_TRUE(store_->appendEvent(Event{0, 0, "", "", "Normal", "Ping", ""}));
  for (const char* suffix : {"-wal", "-shm"}) {
    struct stat side {};
    ASSERT_EQ(::stat((path() + suffix).c_str(), &side), 0) << suffix;
    EXPECT_EQ(side.st_mode & 0777, 0600u) << suffix;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
}


}  // namespace
}  // namespace rollway::store
