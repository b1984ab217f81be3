// The analysis engine's Prometheus provider against a real Prometheus (Debian package
// `prometheus`) scraping a real `rollway proxy` in front of a demo-app that answers 30 %
// of its requests with 500.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "harness.h"
#include "http_client.h"
#include "rollway/analysis/analyzer.h"
#include "rollway/analysis/metrics_sample.h"
#include "rollway/analysis/provider.h"
#include "rollway/net/client.h"

namespace rollway::e2e {
namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr double kErrorRate = 0.3;

std::string hostPort(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// GET / in a loop until stopped; counts what the clients saw.
class TrafficLoop {
 public:
  explicit TrafficLoop(uint16_t port) : thread_([this, port] {
    while (!stop_) {
      auto r = httpGet(port, "/");
      ++total_;
      if (!r || r->status >= 500) ++failed_;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }) {}
  ~TrafficLoop() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t total() const { return total_; }
  uint64_t failed() const { return failed_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> total_{0}, failed_{0};
  std::thread thread_;
};

spec::Metric prometheusMetric(uint16_t port, const std::string& query) {
  spec::Metric m;
  m.name = "prom-errors";
  m.provider = spec::MetricProvider::kPrometheus;
  m.successCondition = "< 0.01";
  m.prometheusAddress = "http://" + hostPort(port);
  m.query = query;
  return m;
}

TEST(PrometheusProviderE2E, ReadsTheProxyErrorRateFromARealPrometheus) {
  ASSERT_EQ(::access(kPrometheus, X_OK), 0)
      << kPrometheus << " is not installed: install the Debian package `prometheus` (scripts/install-deps.sh does)";
  TempDir tmp;

  uint16_t appPort = freePort();
  Process app({binary("demo-app"), "--port", std::to_string(appPort), "--error-rate", std::to_string(kErrorRate),
               "--seed", "11"},
              tmp / "demo-app.log");
  ASSERT_TRUE(waitForPort(appPort, 10s)) << app.log();

  uint16_t proxyPort = freePort(), metricsPort = freePort();
  Process proxy({binary("rollway"), "proxy", "--listen", hostPort(proxyPort), "--upstream", hostPort(appPort),
                 "--metrics", hostPort(metricsPort), "--data-dir", tmp / "proxy", "--log-level", "warn"},
                tmp / "proxy.log");
  ASSERT_TRUE(waitForPort(proxyPort, 10s)) << proxy.log();
  ASSERT_TRUE(waitForPort(metricsPort, 10s)) << proxy.log();

  uint16_t promPort = freePort();
  writeFile(tmp / "prometheus.yml",
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: rollway\n    static_configs:\n      - targets: ['" +
                hostPort(metricsPort) + "']\n");
  Process prometheus({kPrometheus, "--config.file=" + (tmp / "prometheus.yml"),
                      "--storage.tsdb.path=" + (tmp / "tsdb"), "--web.listen-address=" + hostPort(promPort),
                      "--log.level=warn"},
                     tmp / "prometheus.log");
  ASSERT_TRUE(waitForPort(promPort, 30s)) << prometheus.log();

  TrafficLoop traffic(proxyPort);
  auto provider = analysis::makePrometheusProvider(3s);
  analysis::WindowInput window;
  window.service = "default";  // the service name of a standalone proxy
  window.canaryRevision = 1;
  const auto ratio = prometheusMetric(
      promPort,
      "sum(rate(rollway_requests_total{service=\"{{service}}\",revision=\"{{canaryRevision}}\",code=\"5xx\"}[5s]))"
      " / sum(rate(rollway_requests_total{service=\"{{service}}\",revision=\"{{canaryRevision}}\"}[5s]))");

  // Prometheus needs a few scrapes before rate() over 5 s has two points.
  std::optional<double> value;
  std::string lastError;
  bool gotData = waitFor(
      [&] {
        auto v = provider->fetch(ratio, window);
        if (!v) {
          lastError = v.error().message;
          return false;
        }
        value = *v;
        return value.has_value() && traffic.total() > 200;
      },
      40s);
  ASSERT_TRUE(gotData) << "no data from Prometheus within 40 s; last error: " << lastError << "\n"
                       << prometheus.log();
  std::this_thread::sleep_for(2s);  // a window made only of steady traffic
  auto steady = provider->fetch(ratio, window);
  ASSERT_TRUE(steady) << steady.error().message;
  ASSERT_TRUE(*steady);
  const double seen = static_cast<double>(traffic.failed()) / static_cast<double>(traffic.total());
  std::cout << "[prometheus] 5xx ratio from Prometheus " << **steady << ", seen by clients " << seen << " over "
            << traffic.total() << " requests\n";
  EXPECT_NEAR(**steady, kErrorRate, 0.08);
  EXPECT_NEAR(**steady, seen, 0.08);

  // The analyzer turns it into a failed metric.
  auto webhook = analysis::makeWebhookProvider();
  spec::Analysis config;
  config.metrics = {ratio};
  analysis::Analyzer analyzer(config, *provider, *webhook);
  analysis::Measurement m = analyzer.measure(window);
  EXPECT_EQ(m.verdict, analysis::Verdict::kFailed) << m.summary;

  // No series match: no data, so inconclusive — never a failure.
  auto nothing = provider->fetch(
      prometheusMetric(promPort, "sum(rate(rollway_requests_total{service=\"no-such-service\"}[5s]))"), window);
  ASSERT_TRUE(nothing) << nothing.error().message;
  EXPECT_FALSE(*nothing);
  config.metrics = {prometheusMetric(promPort, "rollway_requests_total{service=\"no-such-service\"}")};
  analysis::Analyzer quiet(config, *provider, *webhook);
  EXPECT_EQ(quiet.measure(window).verdict, analysis::Verdict::kInconclusive);

  // A query Prometheus rejects is an error with its reason.
  auto bad = provider->fetch(prometheusMetric(promPort, "sum(rate("), window);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("Prometheus rejected"), std::string::npos) << bad.error().message;

  // The builtin path reads the same proxy's admin JSON: the same rate.
  traffic.stop();
  net::Client admin(net::Endpoint{net::Endpoint::Kind::kUnix, tmp / "proxy/proxy.sock", "", 0});
  auto metrics = admin.call("GET", "/v1/metrics", "", "", 5s);
  ASSERT_TRUE(metrics) << metrics.error().message;
  auto sample = analysis::MetricsSample::fromProxyJson(nlohmann::json::parse(metrics->body));
  ASSERT_TRUE(sample) << sample.error().message;
  analysis::WindowStats stats = analysis::windowStats(analysis::MetricsSample{}, *sample, "default", 1);
  // The proxy counts a request when its response is written: allow a straggler.
  EXPECT_NEAR(static_cast<double>(stats.requests), static_cast<double>(traffic.total()), 2.0);
  EXPECT_NEAR(stats.errorRate, seen, 0.001);
  EXPECT_GT(stats.p99, 0.0);

  prometheus.signal(SIGTERM);
  EXPECT_NE(prometheus.wait(15s), -1) << "prometheus did not stop on SIGTERM";
  proxy.signal(SIGTERM);
  EXPECT_NE(proxy.wait(15s), -1);
}

}  // namespace
}  // namespace rollway::e2e
