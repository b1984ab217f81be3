// The state directory's file system fills up (issue 11): on a small tmpfs made by the
// test, applies fail cleanly (507, nothing written), the daemon keeps running, its
// instances keep serving, the controller's changes made meanwhile reach the store once
// space returns, and new applies work again. Needs root for the mount (CI is root).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "rollout_fixture.h"
#include "rollway/net/client.h"

namespace rollway::e2e {
namespace {

using namespace std::chrono_literals;

// A tmpfs of `size` on a fresh directory, detached on destruction whatever happened.
class TmpfsMount {
 public:
  TmpfsMount(std::string dir, const std::string& size) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    std::string options = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }

  // Fills it to the last block with a filler file; returns the bytes still free (again
  // when the daemon or the proxy freed a block meanwhile).
  uint64_t fill() {
    int fd = ::open((dir_ + "/filler").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return ~0ull;
    std::string chunk(1 << 20, 'f');
    for (int round = 0; round < 20 && freeBytes() > 0; ++round) {
      while (::write(fd, chunk.data(), chunk.size()) > 0) {
      }
    }
    ::close(fd);
    return freeBytes();
  }
  void freeSpace() { std::filesystem::remove(dir_ + "/filler"); }
  uint64_t freeBytes() const {
    struct statvfs st {};
    if (::statvfs(dir_.c_str(), &st) != 0) return ~0ull;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// How often `pattern` occurs in `text`.
size_t occurrences(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

// The rollout fixture, its data directory on a 16 MB tmpfs.
class StateDirFullTest : public RolloutTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test mounts a tmpfs for the data directory and needs root (CI runs as "
                                  "root); run it as root, it must not pass without having run";
    ASSERT_TRUE(mount_.mounted()) << "cannot mount a tmpfs on " << mount_.dir() << ": " << mount_.error();
    RolloutTest::SetUp();
  }

  void TearDown() override {
    if (mount_.mounted()) mount_.freeSpace();  // so that `down --all` can record what it does
    daemon_.reset();  // before the mount goes
  }

  // POST /v1/apply of the service as it is now, as the API answers it.
  Result<http::Response> applyRaw() {
    auto endpoint = net::Endpoint::parse("unix:" + daemon_->socket());
    if (!endpoint) return fail(endpoint.error());
    return net::Client(*endpoint).call("POST", "/v1/apply?filename=web.yaml", demoServiceYaml(service_),
                                       "application/yaml");
  }

  nlohmann::json getJson(std::vector<std::string> args) {
    args.insert(args.end(), {"-o", "json"});
    auto r = daemon_->run(args, 10s);
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // The version of each instance that is not terminating, "version:ready" per instance.
  std::string instancesSummary() {
    std::string out;
    for (const auto& i : daemon_->instances("web")) {
      out += i.value("name", "") + "=" + i.value("version", "") + (i.value("ready", false) ? ":ready " : " ") +
             i.value("phase", "") + "; ";
    }
    return out;
  }

  TmpfsMount mount_{tmp_ / "data", "16m"};
};

TEST_F(StateDirFullTest, AppliesFailCleanlyInstancesKeepServingAndEverythingIsWrittenWhenSpaceReturns) {
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  LoadClient load(service_.port, 8, 1, 10ms, 300s);
  const auto before = getJson({"get", "services", "web"});
  const auto revisionsBefore = getJson({"get", "revisions", "web"});
  ASSERT_FALSE(before.is_discarded());
  ASSERT_EQ(before.value("generation", 0), 1) << before.dump(2);

  // 1. Full while nothing moves: an apply is refused with 507, and writes nothing.
  ASSERT_EQ(mount_.fill(), 0u);
  service_.version = "v2";
  service_.appArgs = {"--ready-delay", "2s"};  // a rollout slow enough to fill the disk half-way through
  auto raw = applyRaw();
  ASSERT_TRUE(raw) << raw.error().str();
  EXPECT_EQ(raw->status, 507) << raw->body;
  auto body = nlohmann::json::parse(raw->body, nullptr, false);
  EXPECT_EQ(body["error"].value("code", ""), "StorageFull") << raw->body;
  const std::string message = body["error"].value("message", "");
  EXPECT_NE(message.find("the state directory's file system is full"), std::string::npos) << message;
  EXPECT_NE(message.find(mount_.dir() + "/state.db"), std::string::npos) << message;
  EXPECT_NE(message.find("free space there and retry"), std::string::npos) << message;
  auto cli = daemon_->apply(service_, tmp_.path());
  EXPECT_NE(cli.exitCode, 0);
  EXPECT_NE(cli.err.find("file system is full"), std::string::npos) << cli.out << cli.err;
  auto during = getJson({"get", "services", "web"});
  EXPECT_EQ(during.value("generation", 0), 1) << during.dump(2);
  EXPECT_EQ(during.value("revision", 0), 1) << during.dump(2);
  EXPECT_EQ(getJson({"get", "revisions", "web"}), revisionsBefore);

  // 2. Space returns: the same apply works; the rollout starts, and the disk fills up
  // again once its first new instance is running.
  mount_.freeSpace();
  ASSERT_EQ(apply(), 0) << daemon_->log();
  ASSERT_TRUE(waitFor([&] { return instancesSummary().find("=v2") != std::string::npos; }, 30s))
      << instancesSummary();
  ASSERT_EQ(mount_.fill(), 0u);
  const auto fullSince = std::chrono::steady_clock::now();
  service_.version = "v3";
  auto refused = applyRaw();
  ASSERT_TRUE(refused) << refused.error().str();
  EXPECT_EQ(refused->status, 507) << refused->body;
  // The daemon keeps running and answering while the disk is full.
  std::this_thread::sleep_for(6s);
  EXPECT_TRUE(daemon_->process().running()) << daemon_->log();
  auto mid = getJson({"get", "services", "web"});
  EXPECT_EQ(mid.value("revision", 0), 2) << mid.dump(2);
  const std::string instancesWhileFull = instancesSummary();
  std::cout << "while full: " << instancesWhileFull << std::endl;

  // 3. Space returns: the rollout finishes by itself; the store has caught up.
  mount_.freeSpace();
  EXPECT_EQ(rolloutStatus("90s"), 0) << daemon_->log();
  const double fullSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - fullSince).count();
  const std::string log = daemon_->log();
  EXPECT_GE(occurrences(log, "kept in memory \\("), 1u) << log;
  EXPECT_LE(occurrences(log, "kept in memory \\("), 3u) << "logged per write instead of once per streak:\n" << log;
  EXPECT_GE(occurrences(log, "is writable again"), 1u) << log;
  // The controller did write while the disk was full (instances, statuses, events), and
  // those writes reached the file when it recovered.
  std::smatch written;
  EXPECT_TRUE(std::regex_search(log, written, std::regex("; ([1-9][0-9]*) change\\(s\\) kept in memory were written")))
      << log;

  // What the file holds is current: a new daemon on it adopts exactly the v2 instances
  // that run (none restarted, none forgotten) and reports the rollout complete.
  nlohmann::json running;
  ASSERT_TRUE(waitFor(
      [&] {
        running = daemon_->instances("web");  // the last v1 instance may still be draining
        return running.size() == 3 && std::all_of(running.begin(), running.end(), [](const auto& i) {
                 return i.value("version", "") == "v2" && i.value("ready", false);
               });
      },
      60s))
      << running.dump(2);
  std::set<int> pids;
  for (const auto& i : running) {
    EXPECT_EQ(i.value("version", ""), "v2") << running.dump(2);
    pids.insert(i.value("pid", 0));
  }
  ASSERT_EQ(pids.size(), 3u) << running.dump(2);
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  daemon_->start();
  ASSERT_TRUE(daemon_->waitReady()) << daemon_->log();
  auto adopted = daemon_->instances("web");
  std::set<int> adoptedPids;
  for (const auto& i : adopted) adoptedPids.insert(i.value("pid", 0));
  EXPECT_EQ(adoptedPids, pids) << adopted.dump(2);
  auto after = getJson({"get", "services", "web"});
  EXPECT_EQ(after.value("revision", 0), 2) << after.dump(2);
  EXPECT_EQ(after.value("generation", 0), 2) << after.dump(2);
  EXPECT_EQ(daemon_->status("web").value("phase", ""), "Complete") << daemon_->status("web").dump(2);
  auto revisions = getJson({"get", "revisions", "web"});
  EXPECT_EQ(revisions.value("items", nlohmann::json::array()).size(), 2u) << revisions.dump(2);
  EXPECT_NE(daemon_->events("web").find("RolloutComplete"), std::string::npos) << daemon_->events("web");

  // 4. New applies work again.
  service_.version = "v3";
  service_.appArgs = {};
  ASSERT_EQ(apply(), 0);
  EXPECT_EQ(rolloutStatus(), 0) << daemon_->log();

  load.stop();
  auto totals = load.totals();
  std::cout << "full for " << fullSeconds << " s; load: " << describe(totals) << std::endl;
  EXPECT_GT(totals.requests, 500u);
  EXPECT_EQ(totals.failures(), 0u) << describe(totals);
  EXPECT_GT(totals.byVersion["v1"], 0u);
  EXPECT_GT(totals.byVersion["v3"], 0u) << describe(totals);
}

}  // namespace
}  // namespace rollway::e2e
