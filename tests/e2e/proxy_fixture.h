#pragma once

// The fixture of the data-plane end-to-end tests: demo-app upstreams, a `rollway proxy
// --data-dir` fed snapshots over its admin socket, snapshot building blocks.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "http_client.h"
#include "rollway/net/client.h"
#include "rollway/proxy/snapshot_json.h"

namespace rollway::e2e {

using proxy::EndpointState;
using proxy::RoutingSnapshot;

struct Upstream {
  uint16_t port;
  std::unique_ptr<Process> process;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

inline Upstream startUpstream(const TempDir& tmp, const std::string& version, std::vector<std::string> extra = {}) {
  Upstream u{freePort(), nullptr};
  std::vector<std::string> argv = {binary("demo-app"), "--port", std::to_string(u.port), "--version", version};
  argv.insert(argv.end(), extra.begin(), extra.end());
  u.process = std::make_unique<Process>(argv, tmp / ("demo-" + std::to_string(u.port) + ".log"));
  EXPECT_TRUE(waitForPort(u.port, 10s)) << "demo-app did not start";
  return u;
}

// A proxy with an admin socket and a state file under DIR.
class ProxyProcess {
 public:
  ProxyProcess(const TempDir& tmp, std::vector<std::string> extra = {}) : dir_(tmp / "proxy"), port_(freePort()) {
    std::vector<std::string> argv = {binary("rollway"), "proxy", "--data-dir", dir_, "--log-level", "warn"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(argv, tmp / "proxy.log");
    EXPECT_TRUE(waitFor([&] { return admin().call("GET", "/healthz").has_value(); }, 10s)) << log();
  }
  uint16_t port() const { return port_; }
  std::string listen() const { return "127.0.0.1:" + std::to_string(port_); }
  net::Client admin() const { return net::Client(net::Endpoint{net::Endpoint::Kind::kUnix, dir_ + "/proxy.sock", "", 0}); }
  // Sends a snapshot over the admin socket and waits until the workers serve it.
  void apply(RoutingSnapshot s) {
    s.version = ++version_;
    auto r = admin().call("PUT", "/v1/snapshot", proxy::toJson(s).dump());
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->status, 200) << r->body;
    if (version_ == 1) {
      ASSERT_TRUE(waitForPort(port_, 10s)) << log();
    }
    std::this_thread::sleep_for(50ms);  // publication to workers is a posted task
  }
  Process& process() { return *process_; }
  std::string log() const { return readFile(dir_ + "/../proxy.log"); }

 private:
  std::string dir_;
  uint16_t port_;
  uint64_t version_ = 0;
  std::unique_ptr<Process> process_;
};

inline proxy::RevisionRoute revision(int64_t number, int weight, bool canary, const std::vector<const Upstream*>& ups) {
  proxy::RevisionRoute r;
  r.revision = number;
  r.weight = weight;
  r.canary = canary;
  for (const auto* u : ups) r.endpoints.push_back({"i-" + std::to_string(u->port), u->address(), EndpointState::kReady});
  return r;
}

inline std::string version(const std::optional<http::Response>& r) {
  if (!r) return "<none>";
  const std::string* v = r->header("X-Version");
  return v ? *v : "<no header>";
}

// What wrk counted: it ran, did real work, and no client saw a failure.
inline void expectNoFailedRequest(const WrkResult& load) {
  ASSERT_TRUE(load.ran) << load.output;
  EXPECT_GT(load.requests, 1000u) << load.output;
  EXPECT_EQ(load.non2xx, 0u) << load.output;
  EXPECT_EQ(load.socketErrors, 0u) << load.output;
}

}  // namespace rollway::e2e
