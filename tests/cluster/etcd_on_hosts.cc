#include "etcd_on_hosts.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace rollway::cluster_test {

namespace {

std::string joined(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string member(int host) { return "h" + std::to_string(host); }

}  // namespace

EtcdOnHosts::EtcdOnHosts(NetnsHosts& hosts) : hosts_(hosts) {
  if (findProgram("etcd").empty()) throw std::runtime_error("no `etcd` (Debian's etcd-server; scripts/install-deps.sh)");
  if (findProgram("etcdctl").empty()) {
    throw std::runtime_error("no `etcdctl` (Debian's etcd-client; scripts/install-deps.sh)");
  }
  char pattern[] = "/tmp/rollway-netns-etcd-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  std::vector<std::string> initial;
  for (int h = 1; h <= size(); ++h) {
    initial.push_back(member(h) + "=http://" + hosts_.address(h) + ":" + std::to_string(kPeerPort));
  }
  initialCluster_ = joined(initial, ",");
  pids_.assign(static_cast<size_t>(size()) + 1, 0);
  memberIds_.assign(static_cast<size_t>(size()) + 1, 0);
  try {
    for (int h = 1; h <= size(); ++h) start(h);
  } catch (...) {
    for (int h = 1; h <= size(); ++h) kill(h);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

EtcdOnHosts::~EtcdOnHosts() {
  for (int h = 1; h <= size(); ++h) kill(h);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void EtcdOnHosts::start(int host) {
  std::string a = hosts_.address(host);
  std::string client = "http://" + a + ":" + std::to_string(kClientPort);
  std::string peer = "http://" + a + ":" + std::to_string(kPeerPort);
  // The token is unique per fixture: members of two fixtures could never meet anyway
  // (separate namespaces), but a stray data directory is then refused, not joined.
  std::string token = "rollway-" + hosts_.namespaceName(NetnsHosts::kHub);
  pids_[static_cast<size_t>(host)] = hosts_.run(
      host,
      {"etcd", "--name", member(host), "--data-dir", dir_ + "/" + member(host), "--listen-client-urls",
       client + ",http://127.0.0.1:" + std::to_string(kClientPort), "--advertise-client-urls", client,
       "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", initialCluster_,
       "--initial-cluster-state", "new", "--initial-cluster-token", token, "--logger", "zap", "--log-outputs",
       dir_ + "/" + member(host) + ".log"},
      {}, dir_ + "/" + member(host) + ".out");
}

std::string EtcdOnHosts::endpoint(int host) const {
  return hosts_.address(host) + ":" + std::to_string(kClientPort);
}

std::vector<std::string> EtcdOnHosts::endpoints(const std::vector<int>& members) const {
  std::vector<std::string> out;
  if (members.empty()) {
    for (int h = 1; h <= size(); ++h) out.push_back(endpoint(h));
  } else {
    for (int h : members) out.push_back(endpoint(h));
  }
  return out;
}

pid_t EtcdOnHosts::pid(int host) const { return pids_.at(static_cast<size_t>(host)); }

void EtcdOnHosts::kill(int host) {
  pid_t& p = pids_.at(static_cast<size_t>(host));
  if (p > 0) hosts_.kill(p, SIGKILL);
  p = 0;
}

void EtcdOnHosts::restart(int host) {
  if (pid(host) == 0) start(host);
}

std::string EtcdOnHosts::log(int host) const {
  std::ifstream in(dir_ + "/" + member(host) + ".log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

NsCommandResult EtcdOnHosts::etcdctl(const std::vector<std::string>& args, const std::vector<int>& members,
                                     std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{"etcdctl", "--endpoints=" + joined(endpoints(members), ","), "--dial-timeout=1s",
                                "--command-timeout=" + std::to_string(timeout.count()) + "ms"};
  argv.insert(argv.end(), args.begin(), args.end());
  return hosts_.exec(NetnsHosts::kHub, argv, timeout + std::chrono::seconds(2), {{"ETCDCTL_API", "3"}});
}

bool EtcdOnHosts::put(const std::string& key, const std::string& value, const std::vector<int>& members,
                      std::chrono::milliseconds timeout) const {
  return etcdctl({"put", key, value}, members, timeout).ok();
}

namespace {

std::optional<std::string> valueOf(const NsCommandResult& r) {
  if (!r.ok() || r.out.empty()) return std::nullopt;
  std::string v = r.out;
  if (!v.empty() && v.back() == '\n') v.pop_back();
  return v;
}

}  // namespace

std::optional<std::string> EtcdOnHosts::get(const std::string& key, const std::vector<int>& members) const {
  return valueOf(etcdctl({"get", key, "--print-value-only"}, members));
}

std::optional<std::string> EtcdOnHosts::localGet(int host, const std::string& key) const {
  return valueOf(hosts_.exec(host,
                             {"etcdctl", "--endpoints=127.0.0.1:" + std::to_string(kClientPort), "--dial-timeout=1s",
                              "--command-timeout=1s", "get", key, "--consistency=s", "--print-value-only"},
                             std::chrono::seconds(3), {{"ETCDCTL_API", "3"}}));
}

bool EtcdOnHosts::waitHealthy(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  for (int attempt = 0; attempt < 10000; ++attempt) {
    if (etcdctl({"endpoint", "health"}, {}, std::chrono::seconds(1)).ok() && put("/rollway-netns/health", "ok")) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// `etcdctl endpoint status -w json`: one object per member that answered, each with its
// own member_id, the leader it knows and its raft term. (Members that did not answer are
// reported on stderr and the exit code is 1; the others are still printed.)
int EtcdOnHosts::leaderIndex() {
  auto r = etcdctl({"endpoint", "status", "-w", "json"}, {}, std::chrono::seconds(1));
  nlohmann::json status;
  try {
    status = nlohmann::json::parse(r.out);
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  if (!status.is_array()) return 0;
  uint64_t leader = 0;
  uint64_t term = 0;
  std::vector<bool> answered(static_cast<size_t>(size()) + 1, false);
  for (const auto& e : status) {
    try {
      std::string ep = e.at("Endpoint").get<std::string>();
      const auto& s = e.at("Status");
      for (int h = 1; h <= size(); ++h) {
        if (endpoint(h) != ep) continue;
        memberIds_[static_cast<size_t>(h)] = s.at("header").at("member_id").get<uint64_t>();
        answered[static_cast<size_t>(h)] = true;
      }
      uint64_t t = s.at("raftTerm").get<uint64_t>();
      uint64_t l = s.value("leader", uint64_t{0});
      if (t > term || (t == term && leader == 0)) {
        term = t;
        leader = l;
      }
    } catch (const nlohmann::json::exception&) {
      continue;
    }
  }
  if (leader == 0) return 0;
  for (int h = 1; h <= size(); ++h) {
    if (memberIds_[static_cast<size_t>(h)] == leader && answered[static_cast<size_t>(h)]) return h;
  }
  return 0;
}

}  // namespace rollway::cluster_test
