// Evictions end to end (issue 15): `rollway evict` through the disruption budget against a
// real daemon, demo-app instances and the load client. The budget's arithmetic and the
// replacement-first order are unit-tested against fakes (tests/unit/controller/eviction_test.cc);
// here: zero failed requests, the availability sampled every 100 ms, and hostile cases.
#include <atomic>
#include <thread>

#include "rollout_fixture.h"

namespace rollway::e2e {
namespace {

// Samples `rollway get instances -o json` every 100 ms on a thread of its own: the most
// instances that were missing from rotation at once (replicas - ready, not counting
// terminating ones, which are out of rotation anyway).
class AvailabilitySampler {
 public:
  AvailabilitySampler(const Daemon& daemon, std::string service, int replicas)
      : daemon_(daemon), service_(std::move(service)), replicas_(replicas), thread_([this] { loop(); }) {}
  ~AvailabilitySampler() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int maxUnavailable() const { return maxUnavailable_; }
  int samples() const { return samples_; }

 private:
  void loop() {
    while (!stop_) {
      auto r = daemon_.run({"get", "instances", service_, "-o", "json"}, 10s);
      auto j = nlohmann::json::parse(r.out, nullptr, false);
      if (r.exitCode == 0 && j.is_object() && j.contains("items")) {
        int ready = 0;
        for (const auto& i : j["items"]) {
          if (i.value("phase", "") != "Terminating" && i.value("ready", false)) ++ready;
        }
        maxUnavailable_ = std::max(maxUnavailable_.load(), replicas_ - ready);
        ++samples_;
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  const Daemon& daemon_;
  std::string service_;
  int replicas_;
  std::atomic<bool> stop_{false};
  std::atomic<int> maxUnavailable_{0};
  std::atomic<int> samples_{0};
  std::thread thread_;
};

class EvictionTest : public RolloutTest {
 protected:
  void SetUp() override {
    RolloutTest::SetUp();
    service_.replicas = 3;
    service_.extraSpec = "  disruptionBudget: {maxUnavailable: 1}\n";
    service_.appArgs = {"--ready-delay", "1s", "--shutdown-delay", "100ms"};
  }
  std::vector<std::string> names() {
    std::vector<std::string> out;
    for (const auto& i : daemon_->instances(service_.name)) {
      if (i.value("phase", "") != "Terminating") out.push_back(i.value("name", ""));
    }
    return out;
  }
  bool has(const std::string& name) {
    for (const auto& n : names()) {
      if (n == name) return true;
    }
    return false;
  }
};

TEST_F(EvictionTest, EvictingEveryInstanceUnderLoadLosesNoRequest) {
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  auto originals = names();
  ASSERT_EQ(originals.size(), 3u);

  LoadClient load(service_.port, 32, 2, 10ms, 300s);
  AvailabilitySampler sampler(*daemon_, service_.name, service_.replicas);
  for (const auto& name : originals) {
    auto started = std::chrono::steady_clock::now();
    auto r = daemon_->run({"evict", name, "--wait", "--timeout", "60s"}, 90s);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "evict " << name << " --wait: exit " << r.exitCode << " in " << took << " s\n" << r.out << r.err;
    ASSERT_EQ(r.exitCode, 0) << r.out << r.err << daemon_->events(service_.name);
    EXPECT_NE(r.out.find("instance/" + name + " evicted"), std::string::npos) << r.out;
    EXPECT_FALSE(has(name));
  }
  auto before = load.requests();
  waitFor([&] { return load.requests() > before + 200; }, 10s);
  sampler.stop();
  load.stop();
  auto totals = load.totals();
  std::cout << "load: " << describe(totals) << "\navailability: " << sampler.samples()
            << " samples, at most " << sampler.maxUnavailable() << " instance(s) out of rotation at once" << std::endl;
  RecordProperty("requests", std::to_string(totals.requests));
  RecordProperty("maxUnavailable", std::to_string(sampler.maxUnavailable()));
  EXPECT_EQ(totals.failures(), 0u) << describe(totals);
  EXPECT_GT(totals.requests, 500u) << describe(totals);
  EXPECT_GT(sampler.samples(), 20);
  EXPECT_LE(sampler.maxUnavailable(), 1) << "disruptionBudget maxUnavailable 1";
  auto now = names();
  EXPECT_EQ(now.size(), 3u);
  for (const auto& name : originals) EXPECT_EQ(std::count(now.begin(), now.end(), name), 0) << name;
  EXPECT_TRUE(allOn("v1"));
  auto events = daemon_->events(service_.name);
  for (const char* reason : {"EvictionRequested", "EvictionReplacementReady", "Evicted"}) {
    EXPECT_NE(events.find(reason), std::string::npos) << reason << "\n" << events;
  }
}

TEST_F(EvictionTest, TwoConcurrentEvictionsUnderMaxUnavailableOneOneIsRefused) {
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  auto originals = names();
  ASSERT_EQ(originals.size(), 3u);
  CommandResult a, b;
  std::thread ta([&] { a = daemon_->run({"evict", originals[0]}); });
  std::thread tb([&] { b = daemon_->run({"evict", originals[1]}); });
  ta.join();
  tb.join();
  EXPECT_EQ((a.exitCode == 0 ? 1 : 0) + (b.exitCode == 0 ? 1 : 0), 1) << a.out << a.err << b.out << b.err;
  const CommandResult& refused = a.exitCode == 0 ? b : a;
  const std::string& refusedName = a.exitCode == 0 ? originals[1] : originals[0];
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.err.find("disruption budget requires 2"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("retry later"), std::string::npos) << refused.err;
  // The refused one goes through once the first is done.
  auto r = daemon_->run({"evict", refusedName, "--wait", "--timeout", "60s"}, 90s);
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("waiting: cannot evict"), std::string::npos) << "it was retried after a 429: " << r.err;
  EXPECT_TRUE(waitFor([&] { return !has(originals[0]) && !has(originals[1]) && allOn("v1"); }, 30s))
      << daemon_->instances(service_.name).dump(2);
  EXPECT_NE(daemon_->events(service_.name).find("EvictionBlocked"), std::string::npos);
}

TEST_F(EvictionTest, HostileNamesAreRefusedAndTheDaemonGoesOn) {
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus(), 0) << daemon_->log();
  for (const std::string& bad : std::vector<std::string>{"../../etc/passwd", "web 1", "web%00x", std::string(4000, 'x'),
                                                         "web-1-nothere", "", "-"}) {
    auto r = daemon_->run({"evict", bad});
    EXPECT_NE(r.exitCode, 0) << bad;
    EXPECT_TRUE(r.err.find("error") != std::string::npos || r.exitCode == 2) << bad << ": " << r.err;
  }
  auto r = daemon_->run({"evict", "web-1-nothere", "--wait", "--timeout", "5s"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("no instance named web-1-nothere"), std::string::npos) << r.err;
  EXPECT_EQ(daemon_->run({"version"}).exitCode, 0) << daemon_->log();
  EXPECT_TRUE(allOn("v1"));
}

// The eviction is recorded with the instance: a daemon SIGKILLed while the replacement comes
// up finds it again, and the eviction completes (no second replacement, no extra instance).
TEST_F(EvictionTest, AnEvictionSurvivesADaemonKill) {
  service_.appArgs = {"--ready-delay", "4s", "--shutdown-delay", "100ms"};
  ASSERT_EQ(apply(), 0);
  ASSERT_EQ(rolloutStatus("90s"), 0) << daemon_->log();
  auto originals = names();
  ASSERT_EQ(originals.size(), 3u);
  LoadClient load(service_.port, 16, 1, 10ms, 300s);
  auto r = daemon_->run({"evict", originals[0]});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  std::string replacement;
  ASSERT_TRUE(waitFor(
      [&] {
        for (const auto& i : daemon_->instances(service_.name)) {
          if (i.value("name", "") == originals[0]) replacement = i.value("replacement", "");
        }
        return !replacement.empty();
      },
      10s));
  daemon_->kill();
  daemon_->start();
  ASSERT_TRUE(daemon_->waitReady()) << daemon_->log();
  auto again = daemon_->run({"evict", originals[0], "--wait", "--timeout", "60s"}, 90s);
  EXPECT_EQ(again.exitCode, 0) << again.out << again.err << daemon_->events(service_.name);
  EXPECT_NE(again.out.find("already being evicted"), std::string::npos) << again.out;
  EXPECT_TRUE(waitFor([&] { return allOn("v1"); }, 30s)) << daemon_->instances(service_.name).dump(2);
  auto now = names();
  EXPECT_EQ(now.size(), 3u);
  EXPECT_EQ(std::count(now.begin(), now.end(), originals[0]), 0);
  EXPECT_EQ(std::count(now.begin(), now.end(), replacement), 1) << "the replacement was adopted, not started again";
  load.stop();
  auto totals = load.totals();
  std::cout << "load across the daemon kill: " << describe(totals) << std::endl;
  EXPECT_EQ(totals.failures(), 0u) << describe(totals);
}

}  // namespace
}  // namespace rollway::e2e
