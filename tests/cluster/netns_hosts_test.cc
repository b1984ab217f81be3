// The network-namespace hosts themselves (tests/cluster/README.md): routing between the
// hub and the hosts, a partition, a freeze, and nothing left behind.

#include "cluster/netns_hosts.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <fcntl.h>
#include <optional>

#include "cluster/hub_load.h"
#include "cluster/netns_test.h"

namespace rollway::cluster_test {
namespace {

using namespace std::chrono_literals;

constexpr int kPort = 8000;

std::string python() { return findProgram("/usr/bin/python3").empty() ? "python3" : "/usr/bin/python3"; }

// A plain HTTP server (Python's http.server, HTTP/1.1 keep-alive) on `host`'s address
// serving `dir`, ready when the hub fetches `file` from it.
pid_t startHttpServer(NetnsHosts& hosts, int host, const ScratchDir& dir, const std::string& file);

// GET http://<host's address>:kPort/<file> with curl from `from`: the body, or nullopt.
std::optional<std::string> fetch(const NetnsHosts& hosts, int from, int host, const std::string& file,
                                 std::chrono::seconds maxTime = 1s) {
  auto r = hosts.exec(from,
                      {"curl", "-sS", "--max-time", std::to_string(maxTime.count()),
                       "http://" + hosts.address(host) + ":" + std::to_string(kPort) + "/" + file},
                      maxTime + 5s);
  if (!r.ok()) return std::nullopt;
  return r.out;
}

pid_t startHttpServer(NetnsHosts& hosts, int host, const ScratchDir& dir, const std::string& file) {
  std::string served = dir / ("www" + std::to_string(host));
  std::filesystem::create_directories(served);
  std::ofstream(served + "/" + file) << "hello from host " << host << "\n";
  pid_t pid = hosts.run(host,
                        {python(), "-m", "http.server", "--bind", hosts.address(host), std::to_string(kPort),
                         "--directory", served, "--protocol", "HTTP/1.1"},
                        {}, dir / ("http" + std::to_string(host) + ".log"));
  bool up = eventually([&] { return fetch(hosts, NetnsHosts::kHub, host, file).has_value(); }, 10s, 50ms);
  if (!up) throw std::runtime_error("the HTTP server on host " + std::to_string(host) + " did not answer: " +
                                    readText(dir / ("http" + std::to_string(host) + ".log")));
  return pid;
}

// The one-letter state in /proc/PID/stat ('T' when stopped), or '?' when it is gone.
char processState(pid_t pid) {
  std::string stat = readText("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

struct NsId {
  dev_t dev = 0;
  ino_t ino = 0;
};

std::optional<NsId> netnsOf(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return NsId{st.st_dev, st.st_ino};
}

class NetnsHostsTest : public NetnsTest {};

// (6) A server in host 2 answers the hub, host 1 and host 3: one bridge joins them all;
// the private /24 is nowhere in the root namespace. wrk from the hub loads two hosts.
TEST_F(NetnsHostsTest, TheHubAndTheHostsReachEachOtherOverTheBridge) {
  ScratchDir dir;
  NetnsHosts hosts(3);
  startHttpServer(hosts, 2, dir, "hello.txt");
  startHttpServer(hosts, 3, dir, "hello.txt");
  EXPECT_EQ(fetch(hosts, NetnsHosts::kHub, 2, "hello.txt"), "hello from host 2\n");
  EXPECT_EQ(fetch(hosts, 1, 2, "hello.txt"), "hello from host 2\n");
  EXPECT_EQ(fetch(hosts, 3, 2, "hello.txt"), "hello from host 2\n");
  EXPECT_EQ(fetch(hosts, 2, 3, "hello.txt"), "hello from host 3\n");

  std::string subnetPrefix = hosts.subnet().substr(0, hosts.subnet().rfind('.') + 1);
  auto rootAddresses = runInNetns(-1, {"ip", "-o", "addr", "show"}, 10s);
  ASSERT_TRUE(rootAddresses.ok()) << rootAddresses.err;
  EXPECT_EQ(rootAddresses.out.find(subnetPrefix), std::string::npos) << rootAddresses.out;
  auto hubLinks = hosts.exec(NetnsHosts::kHub, {"ip", "-o", "link", "show"});
  EXPECT_NE(hubLinks.out.find(std::string(NetnsHosts::kBridge) + ":"), std::string::npos) << hubLinks.out;
  for (int h = 1; h <= 3; ++h) {
    EXPECT_NE(hubLinks.out.find(NetnsHosts::hubInterface(h) + "@"), std::string::npos) << hubLinks.out;
  }

  HubLoadOptions load;
  load.targets = {hosts.address(2) + ":" + std::to_string(kPort), hosts.address(3) + ":" + std::to_string(kPort)};
  load.path = "/hello.txt";
  load.duration = 1s;
  auto result = runLoadFromHub(hosts, load, dir.path());
  ASSERT_TRUE(result.ran) << result.output;
  EXPECT_EQ(result.failures(), 0u) << result.output;
  EXPECT_GT(result.okByTarget[load.targets[0]], 10u) << result.output;
  EXPECT_GT(result.okByTarget[load.targets[1]], 10u) << result.output;
  EXPECT_EQ(result.ok, result.responses) << result.output;
}

// linkDown cuts host 2 off from the hub and from the other hosts while it still reaches
// itself; linkUp joins it again.
TEST_F(NetnsHostsTest, LinkDownCutsAHostOffAndLinkUpJoinsItAgain) {
  ScratchDir dir;
  NetnsHosts hosts(2);
  startHttpServer(hosts, 2, dir, "a.txt");
  hosts.linkDown(2);
  EXPECT_FALSE(fetch(hosts, NetnsHosts::kHub, 2, "a.txt"));
  EXPECT_FALSE(fetch(hosts, 1, 2, "a.txt"));
  EXPECT_EQ(fetch(hosts, 2, 2, "a.txt"), "hello from host 2\n");
  hosts.linkUp(2);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return fetch(hosts, NetnsHosts::kHub, 2, "a.txt").has_value(); }, 10s));
  measured("reachable again after linkUp", std::chrono::steady_clock::now() - start);
  EXPECT_TRUE(fetch(hosts, 1, 2, "a.txt"));
}

// (4) freeze stops every process of host 2 (and only those): its server accepts nothing
// it can answer; thaw resumes them, and the server answers again.
TEST_F(NetnsHostsTest, FreezeStopsEveryProcessOfAHostAndThawResumesIt) {
  ScratchDir dir;
  NetnsHosts hosts(2);
  pid_t server = startHttpServer(hosts, 2, dir, "f.txt");
  pid_t sleeper2 = hosts.run(2, {"sleep", "600"});
  pid_t sleeper1 = hosts.run(1, {"sleep", "600"});
  hosts.freeze(2);
  EXPECT_TRUE(eventually([&] { return processState(server) == 'T' && processState(sleeper2) == 'T'; }, 5s));
  EXPECT_NE(processState(sleeper1), 'T');
  EXPECT_FALSE(fetch(hosts, NetnsHosts::kHub, 2, "f.txt", 1s));
  hosts.thaw(2);
  EXPECT_TRUE(eventually([&] { return processState(server) != 'T' && processState(sleeper2) != 'T'; }, 5s));
  EXPECT_TRUE(eventually([&] { return fetch(hosts, NetnsHosts::kHub, 2, "f.txt").has_value(); }, 5s));
  // kill() by PID, and a SIGKILL reaps.
  EXPECT_TRUE(hosts.kill(sleeper1, SIGKILL));
  EXPECT_FALSE(hosts.running(sleeper1));
  EXPECT_FALSE(hosts.kill(sleeper1, SIGTERM));
  EXPECT_EQ(hosts.pids(1).size(), 0u);
  EXPECT_EQ(hosts.pids(2).size(), 2u);
}

// (5) Once the fixture is gone: no namespace of it, no veth or bridge, no process — not
// even one that left its process group (setsid) or was frozen.
TEST_F(NetnsHostsTest, NothingOfItRemainsAfterItIsDestroyed) {
  std::vector<std::string> names;
  std::vector<NsId> ids;
  std::vector<pid_t> pids;
  std::string prefix;
  {
    NetnsHosts hosts(2);
    names = hosts.namespaceNames();
    prefix = names[0].substr(0, names[0].rfind('-') + 1);
    for (const auto& n : names) {
      auto id = netnsOf("/run/netns/" + n);
      ASSERT_TRUE(id) << n;
      ids.push_back(*id);
    }
    hosts.run(1, {"sleep", "600"});
    hosts.run(2, {"sh", "-c", "sleep 600 & sleep 600 & wait"});
    hosts.run(2, {"setsid", "-f", "sleep", "600"});
    hosts.run(NetnsHosts::kHub, {"sleep", "600"});
    hosts.freeze(1);
    ASSERT_TRUE(eventually([&] { return hosts.processesInNamespaces().size() >= 6; }, 5s))
        << hosts.processesInNamespaces().size();
    pids = hosts.processesInNamespaces();
    auto rootLinks = runInNetns(-1, {"ip", "-o", "link", "show"}, 10s);
    EXPECT_EQ(rootLinks.out.find(prefix), std::string::npos) << "the root namespace was touched: " << rootLinks.out;
  }
  auto list = runInNetns(-1, {"ip", "netns", "list"}, 10s);
  ASSERT_TRUE(list.ok()) << list.err;
  EXPECT_EQ(list.out.find(prefix), std::string::npos) << list.out;
  for (const auto& n : names) EXPECT_FALSE(std::filesystem::exists("/run/netns/" + n)) << n;
  auto rootLinks = runInNetns(-1, {"ip", "-o", "link", "show"}, 10s);
  EXPECT_EQ(rootLinks.out.find(prefix), std::string::npos) << rootLinks.out;
  for (pid_t pid : pids) {
    auto ns = netnsOf("/proc/" + std::to_string(pid) + "/ns/net");
    bool ours = ns && std::any_of(ids.begin(), ids.end(),
                                  [&](const NsId& id) { return id.dev == ns->dev && id.ino == ns->ino; });
    EXPECT_FALSE(ours) << "process " << pid << " is still in one of the namespaces";
    // Reaped, not a zombie (a PID reused at once by another process would not be 'Z').
    EXPECT_NE(processState(pid), 'Z') << "process " << pid << " was not reaped";
  }
  // No process of this machine is in any of them (their nsfs inodes are free).
  int inOurs = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    auto ns = netnsOf(entry.path().string() + "/ns/net");
    if (!ns) continue;
    for (const auto& id : ids) inOurs += (id.dev == ns->dev && id.ino == ns->ino) ? 1 : 0;
  }
  EXPECT_EQ(inOurs, 0);
}

// A namespace that a crashed run left (its processes still in it) is deleted once older
// than the limit; a younger one, or one whose name does not follow the pattern, is not.
TEST_F(NetnsHostsTest, RemovesTheLeftoversOfACrashedRun) {
  std::string stale = "rwleft-" + std::to_string(::getpid()) + "1-0-h1";
  std::string other = "rwleft-keep-" + std::to_string(::getpid());
  ASSERT_TRUE(runInNetns(-1, {"ip", "netns", "add", stale}, 10s).ok());
  ASSERT_TRUE(runInNetns(-1, {"ip", "netns", "add", other}, 10s).ok());
  int fd = ::open(("/run/netns/" + stale).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  pid_t orphan = spawnInNetns(fd, {"sleep", "600"}, {}, "");
  ::close(fd);

  EXPECT_EQ(NetnsHosts::removeLeftovers("rwleft-", std::chrono::minutes(10)), 0);
  EXPECT_TRUE(std::filesystem::exists("/run/netns/" + stale));
  EXPECT_EQ(NetnsHosts::removeLeftovers("rwleft-", 0s), 1);
  EXPECT_FALSE(std::filesystem::exists("/run/netns/" + stale));
  EXPECT_TRUE(std::filesystem::exists("/run/netns/" + other));
  // Killed, and reaped (by removeLeftovers(): it was a child of ours).
  int status = 0;
  bool gone = eventually([&] {
    pid_t r = ::waitpid(orphan, &status, WNOHANG);
    return r == orphan || (r < 0 && errno == ECHILD);
  }, 5s, 10ms);
  if (!gone) {
    ::kill(orphan, SIGKILL);
    ::waitpid(orphan, &status, 0);
  }
  EXPECT_TRUE(gone);
  runInNetns(-1, {"ip", "netns", "del", other}, 10s);
}

}  // namespace
}  // namespace rollway::cluster_test
