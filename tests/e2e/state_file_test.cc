// A damaged, truncated, emptied or newer state file (issue 11): `rollway serve` refuses
// to start on it with a message that names the file and what to do, and leaves it byte
// for byte as it was; the intact file still starts the daemon with everything in it.
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "daemon.h"
#include "harness.h"
#include "http_client.h"

namespace rollway::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

void overwrite(const std::string& path, const std::string& bytes, std::streamoff at) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(at);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void setUserVersion(const std::string& path, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  std::string sql = "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close_v2(db);
}

struct Damage {
  std::string name;
  std::function<void(const std::string&)> apply;
  std::vector<std::string> expected;  // parts of the refusal, besides the file's path
};

TEST(StateFileTest, ServeRefusesADamagedOrNewerStateFileAndLeavesItAsItIs) {
  TempDir tmp;
  const std::string data = tmp / "data";
  const std::string file = data + "/state.db";
  auto daemon = std::make_unique<Daemon>(data);
  ASSERT_TRUE(daemon->waitReady()) << daemon->log();
  DemoService service;
  service.replicas = 1;
  service.port = freePort();
  ASSERT_EQ(daemon->apply(service, tmp.path()).exitCode, 0);
  ASSERT_EQ(daemon->waitReadyInstances("web", 1, 30s).size(), 1u) << daemon->log();
  ASSERT_EQ(daemon->downAll(), 0) << daemon->log();
  ASSERT_FALSE(fs::exists(file + "-wal")) << "a cleanly stopped daemon leaves everything in the file";
  const std::string pristine = readFile(file);
  ASSERT_GT(pristine.size(), 8u * 4096u);

  const std::vector<std::string> damaged = {"is damaged", "restore it from a backup", "mv " + file,
                                            "left as it is"};
  const std::vector<Damage> cases = {
      {"garbage header", [](const std::string& f) { overwrite(f, "this is not an SQLite file", 0); }, damaged},
      {"garbage pages", [](const std::string& f) { overwrite(f, std::string(2 * 4096, '\xab'), 4 * 4096); },
       damaged},
      {"truncated", [&](const std::string& f) { fs::resize_file(f, pristine.size() / 2); }, damaged},
      {"emptied", [](const std::string& f) { fs::resize_file(f, 0); },
       {"is empty (0 bytes)", "restore it from a backup", "left as it is"}},
      {"newer schema", [](const std::string& f) { setUserVersion(f, 99); },
       {"written by a newer rollway (schema 99", "upgrade rollway", "left as it is"}},
  };
  int attempt = 0;
  for (const Damage& damage : cases) {
    SCOPED_TRACE(damage.name);
    {
      std::ofstream(file, std::ios::binary | std::ios::trunc) << pristine;
    }
    damage.apply(file);
    const std::string before = readFile(file);
    ASSERT_NE(before, pristine);
    const std::string logPath = tmp / ("serve.log." + std::to_string(attempt++));
    Process serve({binary("rollway"), "serve", "--data-dir", data, "--port-range", "29900-29999"}, logPath);
    const int exitCode = serve.wait(20s);
    if (exitCode == -1) {  // it started on the refused file: take down what it started
      ADD_FAILURE() << "serve started on a refused state file:\n" << serve.log();
      run({binary("rollway"), "--server", "unix:" + daemon->socket(), "down", "--all"}, 60s);
    }
    const std::string err = serve.log();
    EXPECT_NE(exitCode, 0) << err;
    EXPECT_NE(err.find(file), std::string::npos) << err;
    for (const auto& part : damage.expected) {
      EXPECT_NE(err.find(part), std::string::npos) << "missing \"" << part << "\" in:\n" << err;
    }
    EXPECT_EQ(readFile(file), before) << "the state file was changed";
    for (const auto& entry : fs::directory_iterator(data)) {
      const std::string name = entry.path().filename().string();
      EXPECT_TRUE(name.rfind("state.db", 0) != 0 || name == "state.db" || name == "state.db-wal" ||
                  name == "state.db-shm")
          << "unexpected " << name;
    }
  }

  // The intact file starts the daemon with the service, which it runs again.
  fs::remove(file + "-wal");
  fs::remove(file + "-shm");
  {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << pristine;
  }
  daemon->start();
  ASSERT_TRUE(daemon->waitReady()) << daemon->log();
  auto got = daemon->run({"get", "services", "web"});
  EXPECT_EQ(got.exitCode, 0) << got.out << got.err;
  EXPECT_NE(got.out.find("web"), std::string::npos) << got.out;
  EXPECT_EQ(daemon->waitReadyInstances("web", 1, 30s).size(), 1u) << daemon->log();
}

}  // namespace
}  // namespace rollway::e2e
