// cli::run as main.cc calls it, linked with rollway::cli alone (so every verb links
// without the control plane), against a fake daemon where one is needed.
#include "rollway/cli/cli.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rollway/net/json_reply.h"
#include "rollway/net/server.h"
#include "unit/store/temp_dir.h"

namespace rollway::cli {
namespace {

int runArgs(std::vector<std::string> args, const ExtraVerbs& extra = {}) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return run(static_cast<int>(args.size()), argv.data(), extra);
}

// runArgs with stdout and stderr captured.
struct Ran {
  int code = 0;
  std::string out;
  std::string err;
};
Ran runCaptured(std::vector<std::string> args, const ExtraVerbs& extra = {}) {
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  Ran ran;
  ran.code = runArgs(std::move(args), extra);
  ran.out = testing::internal::GetCapturedStdout();
  ran.err = testing::internal::GetCapturedStderr();
  return ran;
}

VerbRegistrar verb(const std::string& name) {
  return [name](CLI::App& app, int& exitCode) {
    app.add_subcommand(name, "the " + name + " verb")->callback([&exitCode] { exitCode = 7; });
  };
}

TEST(CliRun, ExtraVerbsAreListedFirstAndLastAndRun) {
  ExtraVerbs extra{{verb("daemon-verb")}, {verb("plane-verb")}};
  auto ran = runCaptured({"rollway", "--help"}, extra);
  EXPECT_EQ(ran.code, 0);
  const std::string& help = ran.out;
  auto first = help.find("daemon-verb");
  auto apply = help.find("  apply ");
  auto version = help.find("  version ");
  auto last = help.find("plane-verb");
  ASSERT_NE(first, std::string::npos) << help;
  ASSERT_NE(last, std::string::npos) << help;
  EXPECT_LT(first, apply);
  EXPECT_LT(version, last);
  EXPECT_EQ(runArgs({"rollway", "plane-verb"}, extra), 7);
  EXPECT_EQ(runArgs({"rollway", "daemon-verb"}, extra), 7);
}

TEST(CliRun, ServeIsNotAClientVerb) {
  EXPECT_EQ(runCaptured({"rollway", "serve"}).code, 2);
  auto version = runCaptured({"rollway", "version", "--client"});
  EXPECT_EQ(version.code, 0);
  EXPECT_NE(version.out.find("client: rollway"), std::string::npos);
}

// A daemon on a unix socket in a temp dir that answers every request with 200 and
// reply(path).
class FakeDaemon {
 public:
  explicit FakeDaemon(std::function<nlohmann::json(const std::string& path)> reply) {
    net::ServerOptions options;
    options.unixPath = dir_.file("rollway.sock");
    auto started = net::Server::start(options, [reply](http::Request request, net::Responder respond) {
      respond(net::jsonReply(200, reply(std::string(request.path()))));
    });
    if (started) server_ = std::move(*started);
  }
  // A service at generation 1 with this rollout status.
  explicit FakeDaemon(nlohmann::json status)
      : FakeDaemon([status](const std::string&) {
          return nlohmann::json{{"name", "web"}, {"generation", 1}, {"seq", 1}, {"status", status}};
        }) {}
  bool ok() const { return server_ != nullptr; }
  std::string server() const { return "unix:" + dir_.file("rollway.sock"); }

 private:
  store::TempDir dir_;
  std::unique_ptr<net::Server> server_;
};

TEST(CliRun, RolloutStatusReportsAPhaseItDoesNotKnowInsteadOfWaiting) {
  FakeDaemon daemon({{"observedGeneration", 1}, {"revision", 2}, {"replicas", 2}, {"phase", "Scaling"}});
  ASSERT_TRUE(daemon.ok());
  auto ran = runCaptured({"rollway", "--server", daemon.server(), "rollout", "status", "web", "--timeout", "5s"});
  EXPECT_EQ(ran.code, 1) << ran.err;
  EXPECT_NE(ran.err.find("unknown rollout phase 'Scaling'"), std::string::npos) << ran.err;
}

TEST(CliRun, RolloutStatusOfEachKnownPhase) {
  const std::vector<std::pair<std::string, int>> cases{{"Complete", 0}, {"Paused", 3}, {"Failed", 1}, {"Degraded", 1}};
  for (const auto& [phase, expected] : cases) {
    FakeDaemon daemon({{"observedGeneration", 1}, {"revision", 2}, {"replicas", 2}, {"phase", phase}});
    ASSERT_TRUE(daemon.ok());
    auto ran = runCaptured({"rollway", "--server", daemon.server(), "rollout", "status", "web", "--timeout", "5s"});
    EXPECT_EQ(ran.code, expected) << phase << ": " << ran.err;
  }
}

// What an older or broken daemon might send: objects without the fields describe reads.
TEST(CliRun, DescribeSurvivesAReplyWithoutTheFieldsItReads) {
  for (nlohmann::json service :
       {nlohmann::json{{"name", "web"}}, nlohmann::json{{"name", "web"}, {"spec", nlohmann::json::object()}},
        nlohmann::json{{"name", "web"}, {"spec", {{"spec", {{"template", nullptr}}}}}},
        nlohmann::json{{"name", "web"}, {"spec", {{"spec", {{"strategy", {{"type", "RollingUpdate"}}}}}}}},
        nlohmann::json{{"name", "web"}, {"status", {{"phase", "Scaling"}}}}}) {
    FakeDaemon daemon([service](const std::string& path) {
      return path.ends_with("/revisions") || path.ends_with("/events") ? nlohmann::json{{"items", {nlohmann::json::object()}}}
                                                                      : service;
    });
    ASSERT_TRUE(daemon.ok());
    auto ran = runCaptured({"rollway", "--server", daemon.server(), "describe", "service", "web"});
    EXPECT_EQ(ran.code, 0) << service.dump() << "\n" << ran.err;
    EXPECT_NE(ran.out.find("Name:                web"), std::string::npos) << ran.out;
    if (service.contains("status")) {
      EXPECT_NE(ran.out.find("unknown rollout phase 'Scaling'"), std::string::npos) << ran.out;
    }
  }
}

// A daemon on a unix socket that answers with whatever `answer` makes of the request.
class ScriptedDaemon {
 public:
  explicit ScriptedDaemon(std::function<http::Response(const http::Request&)> answer) {
    net::ServerOptions options;
    options.unixPath = dir_.file("rollway.sock");
    auto started = net::Server::start(options, [answer](http::Request request, net::Responder respond) {
      respond(answer(request));
    });
    if (started) server_ = std::move(*started);
  }
  bool ok() const { return server_ != nullptr; }
  std::string server() const { return "unix:" + dir_.file("rollway.sock"); }

 private:
  store::TempDir dir_;
  std::unique_ptr<net::Server> server_;
};

http::Response budgetSays429(int retryAfter) {
  http::Response r = net::errorReply(Error{ErrorCode::kTooManyRequests,
                                           "cannot evict web-1-a now: service web has 2 available instance(s) and its "
                                           "disruption budget requires 2 to stay available; retry later",
                                           {}});
  for (auto& h : r.headers) {
    if (h.name == "Retry-After") h.value = std::to_string(retryAfter);
  }
  return r;
}

TEST(CliEvict, WithoutWaitABudgetRefusalIsAnErrorNamingWait) {
  std::atomic<int> posts{0};
  ScriptedDaemon daemon([&](const http::Request& r) {
    if (r.method == "POST" && r.path() == "/v1/instances/web-1-a/eviction") ++posts;
    return budgetSays429(1);
  });
  ASSERT_TRUE(daemon.ok());
  auto ran = runCaptured({"rollway", "--server", daemon.server(), "evict", "web-1-a"});
  EXPECT_EQ(ran.code, 1);
  EXPECT_NE(ran.err.find("requires 2 to stay available"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("--wait"), std::string::npos) << ran.err;
  EXPECT_EQ(posts.load(), 1);
}

TEST(CliEvict, WaitRetriesAfterRetryAfterThenWaitsUntilTheInstanceIsGone) {
  std::atomic<int> posts{0};
  std::atomic<int> lists{0};
  ScriptedDaemon daemon([&](const http::Request& r) {
    if (r.method == "POST") {
      if (++posts == 1) return budgetSays429(1);
      return net::jsonReply(201, {{"instance", "web-1-a"}, {"service", "web"}, {"created", true},
                                  {"state", "Evicting"}, {"message", "evicting web-1-a: a replacement starts first"}});
    }
    nlohmann::json items = nlohmann::json::array();
    if (++lists < 3) items.push_back({{"name", "web-1-a"}, {"phase", "Ready"}, {"message", "evicting"}});
    items.push_back({{"name", "web-1-b"}, {"phase", "Ready"}});
    return net::jsonReply(200, {{"items", items}});
  });
  ASSERT_TRUE(daemon.ok());
  auto start = std::chrono::steady_clock::now();
  auto ran = runCaptured({"rollway", "--server", daemon.server(), "evict", "web-1-a", "--wait", "--timeout", "30s"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ran.code, 0) << ran.err;
  EXPECT_EQ(posts.load(), 2);
  EXPECT_EQ(lists.load(), 3);
  EXPECT_GE(took, std::chrono::milliseconds(900)) << "Retry-After: 1 is honoured";
  EXPECT_NE(ran.err.find("waiting: cannot evict"), std::string::npos) << ran.err;
  EXPECT_NE(ran.out.find("instance/web-1-a eviction started"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("instance/web-1-a evicted"), std::string::npos) << ran.out;
}

TEST(CliEvict, WaitGivesUpAtTheTimeoutWithExit2) {
  ScriptedDaemon daemon([](const http::Request&) { return budgetSays429(30); });
  ASSERT_TRUE(daemon.ok());
  auto start = std::chrono::steady_clock::now();
  auto ran = runCaptured({"rollway", "--server", daemon.server(), "evict", "web-1-a", "--wait", "--timeout", "1s"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ran.code, 2) << ran.err;
  EXPECT_LT(took, std::chrono::seconds(10)) << "a Retry-After longer than the timeout does not outlast it";
  EXPECT_NE(ran.err.find("timed out"), std::string::npos) << ran.err;
}

TEST(CliEvict, UnknownInstanceAndHelp) {
  ScriptedDaemon daemon([](const http::Request&) {
    return net::errorReply(Error{ErrorCode::kNotFound, "no instance named web-9-z (see: rollway get instances)", {}});
  });
  ASSERT_TRUE(daemon.ok());
  auto ran = runCaptured({"rollway", "--server", daemon.server(), "evict", "web-9-z", "--wait"});
  EXPECT_EQ(ran.code, 1);
  EXPECT_NE(ran.err.find("no instance named web-9-z"), std::string::npos) << ran.err;
  auto help = runCaptured({"rollway", "evict", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--wait"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("disruption budget"), std::string::npos) << help.out;
  EXPECT_EQ(runCaptured({"rollway", "evict"}).code, 2) << "the instance is required";
  EXPECT_EQ(runCaptured({"rollway", "evict", "x", "--wait", "--timeout", "soon"}).code, 2);
}

// rollway drain NODE: cordon, then one eviction at a time (the next only once the
// previous instance is gone), through 429s, until the node has no instance left.
TEST(CliDrain, CordonsThenEvictsTheNodesInstancesOneByOne) {
  std::mutex mutex;
  std::vector<std::string> calls;
  std::set<std::string> onNode{"web-1-a", "web-1-b"};
  std::map<std::string, int> listsSinceEviction;
  bool refusedOnce = false;
  ScriptedDaemon daemon([&](const http::Request& r) {
    std::lock_guard lock(mutex);
    calls.push_back(r.method + " " + std::string(r.path()));
    if (r.method == "POST" && r.path() == "/v1/nodes/h2/cordon") return net::jsonReply(200, {{"name", "h2"}, {"cordoned", true}});
    if (r.method == "POST") {
      std::string name = std::string(r.path()).substr(14);  // /v1/instances/NAME/eviction
      name = name.substr(0, name.find('/'));
      if (name == "web-1-b" && !refusedOnce) {
        refusedOnce = true;
        return budgetSays429(1);
      }
      listsSinceEviction[name] = 0;
      return net::jsonReply(201, {{"instance", name}, {"service", "web"}, {"created", true}});
    }
    // GET /v1/instances: an evicted instance goes after two more lists.
    nlohmann::json items = nlohmann::json::array();
    for (auto it = onNode.begin(); it != onNode.end();) {
      auto evicted = listsSinceEviction.find(*it);
      if (evicted != listsSinceEviction.end() && ++evicted->second > 2) {
        it = onNode.erase(it);
        continue;
      }
      items.push_back({{"name", *it}, {"node", "h2"}, {"phase", "Ready"}});
      ++it;
    }
    items.push_back({{"name", "web-1-c"}, {"node", "h1"}, {"phase", "Ready"}});
    return net::jsonReply(200, {{"items", items}});
  });
  ASSERT_TRUE(daemon.ok());
  auto ran = runCaptured({"rollway", "--server", daemon.server(), "drain", "h2", "--timeout", "60s"});
  EXPECT_EQ(ran.code, 0) << ran.err;
  EXPECT_NE(ran.out.find("node/h2 cordoned"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("node/h2 drained"), std::string::npos) << ran.out;
  std::lock_guard lock(mutex);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.front(), "POST /v1/nodes/h2/cordon");
  // web-1-b's eviction is asked for only once web-1-a is gone; web-1-c (another node) never.
  auto firstB = std::find(calls.begin(), calls.end(), "POST /v1/instances/web-1-b/eviction");
  ASSERT_NE(firstB, calls.end());
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "POST /v1/instances/web-1-a/eviction"), 1);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "POST /v1/instances/web-1-b/eviction"), 2) << "one 429, then accepted";
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "POST /v1/instances/web-1-c/eviction"), 0);
  EXPECT_GT(std::count(calls.begin(), firstB, "GET /v1/instances"), 2) << "web-1-a was waited for first";
}

TEST(CliDrain, ASingleHostDaemonSaysThereAreNoNodes) {
  ScriptedDaemon daemon([](const http::Request&) {
    return net::errorReply(Error{ErrorCode::kNotFound, "this daemon runs on one host: nodes exist in cluster mode", {}});
  });
  ASSERT_TRUE(daemon.ok());
  auto ran = runCaptured({"rollway", "--server", daemon.server(), "drain", "h2"});
  EXPECT_EQ(ran.code, 1);
  EXPECT_NE(ran.err.find("cluster mode"), std::string::npos) << ran.err;
  EXPECT_EQ(runCaptured({"rollway", "cordon"}).code, 2) << "the node is required";
  auto help = runCaptured({"rollway", "drain", "--help"});
  EXPECT_NE(help.out.find("disruption budget"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace rollway::cli
