// Opening the state file: creation, migrations, and the refusal of a file that is
// empty, damaged or from a newer rollway (never replaced, never started empty).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "rollway/store/store.h"
#include "unit/store/faulty_vfs.h"
#include "unit/store/temp_dir.h"
#include "unit/store/test_inputs.h"

namespace rollway::store {
namespace {

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void writeBytes(const std::string& path, const std::string& bytes, std::streamoff at = 0) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(at);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void expectRefusedAsDamaged(const Error& error, const std::string& file) {
  EXPECT_EQ(error.code, ErrorCode::kIo);
  for (const std::string& part : {file + " is damaged", std::string("left as it is"),
                                  std::string("restore it from a backup"), "mv " + file + " " + file + ".damaged"}) {
    EXPECT_NE(error.message.find(part), std::string::npos) << "missing \"" << part << "\" in: " << error.message;
  }
}

std::vector<std::string> dirEntries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A closed state file of a few dozen pages: services, revisions and events.
std::string makeStateFile(const TempDir& dir, FakeClock& clock) {
  std::string file = dir.file("state.db");
  auto store = Store::open(file, clock);
  EXPECT_TRUE(store) << store.error().str();
  if (!store) return file;
  for (int i = 0; i < 40; ++i) {
    EXPECT_TRUE((*store)->apply({serviceInput("svc-" + std::to_string(i), 1, "v1")}));
    EXPECT_TRUE((*store)->apply({serviceInput("svc-" + std::to_string(i), 2, "v2")}));
  }
  return file;
}

TEST(StoreOpen, RefusesAnEmptyFileAndLeavesIt) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string file = dir.file("state.db");
  { std::ofstream(file).flush(); }
  FakeClock clock;
  auto store = Store::open(file, clock);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find(file + " is empty (0 bytes), so it was truncated"), std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find("restore it from a backup"), std::string::npos) << store.error().message;
  EXPECT_EQ(std::filesystem::file_size(file), 0u);
}

TEST(StoreOpen, RefusesATruncatedFileAndLeavesItByteForByte) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  FakeClock clock;
  std::string file = makeStateFile(dir, clock);
  const auto size = std::filesystem::file_size(file);
  ASSERT_GT(size, 16u * 4096u);
  std::filesystem::resize_file(file, size / 2);
  const std::string before = readBytes(file);
  auto store = Store::open(file, clock);
  ASSERT_FALSE(store) << "a truncated file was opened";
  expectRefusedAsDamaged(store.error(), file);
  EXPECT_EQ(readBytes(file), before);
  // Nothing renamed, nothing new but SQLite's (empty) side files.
  for (const auto& name : dirEntries(dir.path())) {
    EXPECT_TRUE(name == "state.db" || name == "state.db-shm" || name == "state.db-wal") << name;
  }
  if (std::filesystem::exists(file + "-wal")) {
    EXPECT_EQ(std::filesystem::file_size(file + "-wal"), 0u);
  }
}

TEST(StoreOpen, RefusesAFileWithGarbagePagesAndLeavesItByteForByte) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  FakeClock clock;
  std::string file = makeStateFile(dir, clock);
  ASSERT_GT(std::filesystem::file_size(file), 16u * 4096u);
  writeBytes(file, std::string(3 * 4096, '\xab'), 8 * 4096);  // pages 9-11
  const std::string before = readBytes(file);
  auto store = Store::open(file, clock);
  ASSERT_FALSE(store) << "a damaged file was opened";
  expectRefusedAsDamaged(store.error(), file);
  EXPECT_NE(store.error().message.find("quick_check"), std::string::npos) << store.error().message;
  EXPECT_EQ(readBytes(file), before);
}

TEST(StoreOpen, RefusesAFileWithADamagedHeader) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  FakeClock clock;
  std::string file = makeStateFile(dir, clock);
  writeBytes(file, "not SQLite, sorry");
  const std::string before = readBytes(file);
  auto store = Store::open(file, clock);
  ASSERT_FALSE(store);
  expectRefusedAsDamaged(store.error(), file);
  EXPECT_EQ(readBytes(file), before);
}

TEST(StoreOpen, OpensWhatACrashedDaemonCommittedFromItsWal) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string file = dir.file("state.db");
  FakeClock clock;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = Store::open(file, clock);
    if (!store || !(*store)->apply({serviceInput("web", 1, "v1")})) ::_exit(2);
    ::_exit(0);  // no close: the commit is only in the -wal, as after a SIGKILL
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_GT(std::filesystem::file_size(file + "-wal"), 0u);
  auto store = Store::open(file, clock);
  ASSERT_TRUE(store) << store.error().str();
  EXPECT_TRUE((*store)->getService("web"));
}

TEST(StoreOpen, CreatingOnAFullDiskFailsCleanlyAndLeavesNoFile) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  FaultyVfs vfs;
  vfs.inject(FaultyVfs::Fault::kFull);
  FakeClock clock;
  StoreOptions options;
  options.vfs = vfs.name();
  auto store = Store::open(dir.file("state.db"), clock, options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kStorageFull) << store.error().str();
  EXPECT_NE(store.error().message.find("file system is full"), std::string::npos) << store.error().message;
  EXPECT_TRUE(dirEntries(dir.path()).empty());
  vfs.inject(FaultyVfs::Fault::kNone);
  auto retried = Store::open(dir.file("state.db"), clock, options);
  ASSERT_TRUE(retried) << retried.error().str();
}

TEST(StoreOpen, CreatesAMissingFileWithoutLeavingATemporaryOne) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  FakeClock clock;
  {
    auto store = Store::open(dir.file("state.db"), clock);
    ASSERT_TRUE(store) << store.error().str();
    EXPECT_EQ((*store)->schemaVersion(), 1);
    EXPECT_TRUE((*store)->listServices());
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"state.db"});  // closed cleanly: no -wal, -shm or .new-*
}

void setUserVersion(const std::string& file, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  std::string sql = "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close_v2(db);
}

TEST(StoreOpen, RefusesADatabaseFromANewerRollway) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string file = dir.file("state.db");
  FakeClock clock;
  {
    auto store = Store::open(file, clock);
    ASSERT_TRUE(store) << store.error().str();
    ASSERT_TRUE((*store)->apply({serviceInput("web", 1, "v1")}));
  }
  setUserVersion(file, 99);
  const std::string before = readBytes(file);
  auto refused = Store::open(file, clock);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("written by a newer rollway (schema 99, this binary knows 1)"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find(file), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("upgrade rollway"), std::string::npos) << refused.error().message;
  EXPECT_EQ(readBytes(file), before);  // byte for byte

  // Left untouched: back at the known version, the data is there.
  setUserVersion(file, 1);
  auto reopened = Store::open(file, clock);
  ASSERT_TRUE(reopened) << reopened.error().str();
  EXPECT_TRUE((*reopened)->getService("web"));
}

TEST(StoreOpen, RejectsAFileThatIsNotADatabase) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string file = dir.file("garbage.db");
  {
    std::ofstream out(file);
    out << std::string(4096, 'x');
  }
  FakeClock clock;
  auto store = Store::open(file, clock);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find(file), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("not a database"), std::string::npos) << store.error().message;
  expectRefusedAsDamaged(store.error(), file);
  EXPECT_EQ(readBytes(file), std::string(4096, 'x'));
}

TEST(StoreOpen, ReportsAnUncreatableDirectory) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string blocker = dir.file("file");
  { std::ofstream(blocker) << "x"; }
  FakeClock clock;
  auto store = Store::open(blocker + "/sub/state.db", clock);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kIo);
  EXPECT_NE(store.error().message.find("cannot create directory"), std::string::npos) << store.error().message;
}

TEST(StoreOpen, TwoConnectionsOnOneFileSeeEachOthersCommits) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string file = dir.file("shared.db");
  FakeClock clock;
  auto first = Store::open(file, clock);
  ASSERT_TRUE(first) << first.error().str();
  auto second = Store::open(file, clock);
  ASSERT_TRUE(second) << second.error().str();
  ASSERT_TRUE((*first)->apply({serviceInput("web", 1, "v1")}));
  auto seen = (*second)->getService("web");
  ASSERT_TRUE(seen) << seen.error().str();
  EXPECT_EQ(seen->generation, 1);
  auto out = (*second)->apply({serviceInput("web", 2, "v1")});
  ASSERT_TRUE(out) << out.error().str();
  EXPECT_EQ((*first)->getService("web")->generation, 2);
}

TEST(StoreOpen, TwoProcessesWritingAtOnceBothSucceed) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string file = dir.file("shared.db");
  FakeClock clock;
  { ASSERT_TRUE(Store::open(file, clock)); }  // schema in place before the race
  constexpr int kEach = 25;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child opens its own connection; it reports by exit code only.
    auto store = Store::open(file, clock);
    if (!store) ::_exit(2);
    for (int i = 0; i < kEach; ++i) {
      if (!(*store)->apply({serviceInput("child-" + std::to_string(i), 1, "v1")})) ::_exit(3);
    }
    ::_exit(0);
  }
  auto store = Store::open(file, clock);
  ASSERT_TRUE(store) << store.error().str();
  for (int i = 0; i < kEach; ++i) {
    auto out = (*store)->apply({serviceInput("parent-" + std::to_string(i), 1, "v1")});
    ASSERT_TRUE(out) << out.error().str();
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ((*store)->listServices()->size(), 2u * kEach);
  EXPECT_EQ((*store)->listEvents({})->size(), 4u * kEach);
}

}  // namespace
}  // namespace rollway::store
