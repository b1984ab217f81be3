#pragma once

// One Debian etcd member (etcd-server's `etcd`) per host of a NetnsHosts, listening on the
// host's private address (client 2379, peer 2380: ports are free inside a namespace) and
// on 127.0.0.1:2379 inside the host, data under a mkdtemp directory. The test talks to
// the members with `etcdctl` (etcd-client) run inside the hub namespace (or inside a host
// for a member's own local view): the test process itself stays in the root namespace,
// which has no route to the hosts, and gRPC opens its sockets on threads of its own, so
// a thread that setns'ed into the hub would not carry rollway::etcd::Client's connections
// with it. rollway::etcd::Client has no member-status call either (leaderIndex()).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netns_hosts.h"

namespace rollway::cluster_test {

class EtcdOnHosts {
 public:
  static constexpr int kClientPort = 2379;
  static constexpr int kPeerPort = 2380;

  // Starts a member on every host of `hosts` (which must outlive this object); does not
  // wait: waitHealthy(). Throws std::runtime_error when etcd / etcdctl are missing.
  explicit EtcdOnHosts(NetnsHosts& hosts);
  ~EtcdOnHosts();  // SIGKILLs the members (reaped), removes their data
  EtcdOnHosts(const EtcdOnHosts&) = delete;
  EtcdOnHosts& operator=(const EtcdOnHosts&) = delete;

  int size() const { return hosts_.size(); }
  // "10.213.X.<host>:2379".
  std::string endpoint(int host) const;
  // Of every member, or of `members` (host numbers) when given.
  std::vector<std::string> endpoints(const std::vector<int>& members = {}) const;

  // True once every member answers `etcdctl endpoint health` and a put through the
  // cluster succeeds, polled every 100 ms for at most `timeout`.
  bool waitHealthy(std::chrono::milliseconds timeout);
  // The host whose member leads, as the reachable members with the highest term report
  // it; 0 when none of them knows a leader that answers.
  int leaderIndex();

  pid_t pid(int host) const;
  void kill(int host);     // SIGKILL, reaped
  void restart(int host);  // a killed member, again on its data directory
  std::string log(int host) const;
  const std::string& dataDir() const { return dir_; }

  // etcdctl in the hub against `members` (default: all), --dial-timeout 1 s and
  // --command-timeout `timeout`; the process is killed 2 s after that.
  NsCommandResult etcdctl(const std::vector<std::string>& args, const std::vector<int>& members = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(2)) const;
  bool put(const std::string& key, const std::string& value, const std::vector<int>& members = {},
           std::chrono::milliseconds timeout = std::chrono::seconds(2)) const;
  // A linearizable read through the cluster; nullopt when it fails or the key is absent
  // (values stored by the tests are never empty).
  std::optional<std::string> get(const std::string& key, const std::vector<int>& members = {}) const;
  // What `host`'s member itself has applied: a serializable read from inside that host
  // (127.0.0.1:2379), which works while the host is partitioned.
  std::optional<std::string> localGet(int host, const std::string& key) const;

 private:
  void start(int host);

  NetnsHosts& hosts_;
  std::string dir_;
  std::string initialCluster_;
  std::vector<pid_t> pids_;          // [host], 0 when not running
  std::vector<uint64_t> memberIds_;  // [host], learnt from endpoint status
};

}  // namespace rollway::cluster_test
