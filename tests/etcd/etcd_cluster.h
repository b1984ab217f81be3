#pragma once

// Real etcd members (Debian's etcd-server) on 127.0.0.1 for the tests: each a child
// process of the test with its own data directory, free ports chosen by binding port 0,
// stopped by PID (SIGKILL, then reaped) when the cluster object goes.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

#include "rollway/etcd/client.h"

extern char** environ;

namespace rollway::etcd::testing {

inline int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class EtcdCluster {
 public:
  struct Member {
    std::string name;
    int clientPort = 0;
    int peerPort = 0;
    pid_t pid = 0;
    std::string endpoint() const { return "127.0.0.1:" + std::to_string(clientPort); }
  };

  explicit EtcdCluster(int size) {
    char pattern[] = "/tmp/rollway-etcd-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp");
    dir_ = pattern;
    std::string initial;
    for (int i = 0; i < size; ++i) {
      Member m;
      m.name = "m" + std::to_string(i);
      m.clientPort = freePort();
      m.peerPort = freePort();
      initial += (initial.empty() ? "" : ",") + m.name + "=http://127.0.0.1:" + std::to_string(m.peerPort);
      members_.push_back(m);
    }
    initial_ = initial;
    try {
      for (auto& m : members_) start(m, initial);
      waitHealthy(std::chrono::seconds(20));
    } catch (...) {
      stopAll();
      throw;
    }
  }

  ~EtcdCluster() { stopAll(); }

  std::vector<std::string> endpoints() const {
    std::vector<std::string> out;
    for (const auto& m : members_) out.push_back(m.endpoint());
    return out;
  }
  Member& member(size_t i) { return members_.at(i); }
  size_t indexOf(const std::string& endpoint) const {
    for (size_t i = 0; i < members_.size(); ++i) {
      if (members_[i].endpoint() == endpoint) return i;
    }
    throw std::runtime_error("no member " + endpoint);
  }
  void kill(Member& m) {
    if (m.pid <= 0) return;
    ::kill(m.pid, SIGKILL);
    int status = 0;
    ::waitpid(m.pid, &status, 0);
    m.pid = 0;
  }
  // Starts a killed member again on its data directory (it rejoins and catches up).
  void restart(Member& m) {
    if (m.pid <= 0) start(m, initial_);
  }
  std::string log(const Member& m) const {
    std::ifstream in(dir_ + "/" + m.name + ".log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  void stopAll() {
    for (auto& m : members_) kill(m);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void start(Member& m, const std::string& initial) {
    std::string data = dir_ + "/" + m.name;
    std::string client = "http://127.0.0.1:" + std::to_string(m.clientPort);
    std::string peer = "http://127.0.0.1:" + std::to_string(m.peerPort);
    std::vector<std::string> args{"etcd", "--name", m.name, "--data-dir", data,
                                  "--listen-client-urls", client, "--advertise-client-urls", client,
                                  "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                                  "--initial-cluster", initial, "--initial-cluster-state", "new",
                                  "--initial-cluster-token", "rollway-test", "--logger", "zap",
                                  "--log-outputs", dir_ + "/" + m.name + ".log"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&m.pid, "etcd", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start etcd (scripts/install-deps.sh installs etcd-server)");
  }

  void waitHealthy(std::chrono::seconds limit) {
    Client client(ClientOptions{endpoints(), std::chrono::milliseconds(500)});
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (client.put("/health-check", "ok")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("etcd did not become healthy; " + log(members_[0]));
  }

  std::string dir_;
  std::string initial_;
  std::vector<Member> members_;
};

// True once `done()` is, polled every 20 ms for at most `limit`.
template <typename F>
bool eventually(F done, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// Runs `io` (the control thread of the test) until `done()`, at most `limit`.
template <typename F>
bool runIoUntil(asio::io_context& io, F done, std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A test suite whose tests share one member; each test works under its own key prefix.
class OneMemberTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new EtcdCluster(1); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  // "/<test name>/" + `rest`.
  static std::string key(const std::string& rest) {
    return "/" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "/" + rest;
  }
  Client client_{ClientOptions{cluster_->endpoints(), std::chrono::milliseconds(1000)}};
  inline static EtcdCluster* cluster_ = nullptr;
};

}  // namespace rollway::etcd::testing
