#pragma once

// The base of the tests that make network namespaces: they need root and iproute2 and
// FAIL with the reason when either is missing, unless ROLLWAY_SKIP_NETNS=1 (then they skip).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cluster/netns_hosts.h"

namespace rollway::cluster_test {

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = netnsUnavailableReason();
    if (why.empty()) return;
    if (netnsSkipRequested()) GTEST_SKIP() << "ROLLWAY_SKIP_NETNS=1: " << why;
    FAIL() << why << ". The cluster tests (label cluster) make network namespaces: run them as root with "
           << "iproute2 installed (scripts/install-deps.sh), or set ROLLWAY_SKIP_NETNS=1 to skip them.";
  }

  // Prints a figure the test measured and records it in the test's XML output.
  void measured(const std::string& what, std::chrono::steady_clock::duration d) {
    double s = std::chrono::duration<double>(d).count();
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", s);
    std::printf("[ measured ] %s: %s s\n", what.c_str(), text);
    RecordProperty(what, text);
  }
};

// A fresh directory under /tmp, removed with its contents at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/rollway-cluster-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// True once `done()` is, polled every `every` for at most `limit`.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit,
                       std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(every);
  }
  return done();
}

}  // namespace rollway::cluster_test
