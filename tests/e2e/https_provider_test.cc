// https:// for the analysis providers and notifications, for real: a self-signed
// certificate made by the openssl CLI at test time, an HTTPS server (python3's
// http.server wrapped in ssl) on 127.0.0.1, the providers pointed at it with the CA file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "daemon.h"
#include "harness.h"
#include "http_client.h"
#include "json_peer.h"
#include "rollway/analysis/notify.h"
#include "rollway/analysis/provider.h"

namespace rollway::e2e {
namespace {

using namespace std::chrono_literals;

// Answers POST with {"value": 0.5} and GET (a Prometheus query) with a scalar 0.25;
// appends every request line and body to LOG; writes its port to PORTFILE.
constexpr const char* kServer = R"(
import http.server, ssl, sys, json
cert, key, log, portfile = sys.argv[1:5]
class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(log, 'ab') as f: f.write(b'POST ' + self.path.encode() + b' ' + body + b'\n')
        self.answer({'value': 0.5})
    def do_GET(self):
        with open(log, 'ab') as f: f.write(b'GET ' + self.path.encode() + b'\n')
        self.answer({'status': 'success', 'data': {'resultType': 'scalar', 'result': [0, '0.25']}})
    def log_message(self, *args): pass
server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(portfile + '.tmp', 'w') as f: f.write(str(server.server_address[1]))
import os; os.rename(portfile + '.tmp', portfile)
server.serve_forever()
)";

class HttpsProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    ASSERT_TRUE(makeCert("good", "IP:127.0.0.1")) << "openssl req failed";
    ASSERT_TRUE(makeCert("other", "IP:127.0.0.1"));
    writeFile(dir_ + "/server.py", kServer);
    server_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/python3", dir_ + "/server.py", dir_ + "/good.crt", dir_ + "/good.key",
                                 dir_ + "/requests.log", dir_ + "/port"},
        dir_ + "/server.out");
    ASSERT_TRUE(waitFor([&] { return std::filesystem::exists(dir_ + "/port"); }, 10s)) << server_->log();
    port_ = std::stoi(readFile(dir_ + "/port"));
  }

  bool makeCert(const std::string& name, const std::string& san) {
    auto r = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                  "-nodes", "-keyout", dir_ + "/" + name + ".key", "-out", dir_ + "/" + name + ".crt", "-days", "1",
                  "-subj", "/CN=rollway-test-" + name, "-addext", "subjectAltName=" + san},
                 20s);
    return r.exitCode == 0;
  }

  std::string url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(port_) + path; }
  std::string requests() const { return readFile(dir_ + "/requests.log"); }

  static analysis::WindowInput window() {
    analysis::WindowInput in;
    in.service = "web";
    in.canaryRevision = 2;
    in.stableRevision = 1;
    in.canary.requests = 100;
    return in;
  }

  TempDir tmp_;
  std::string dir_;
  std::unique_ptr<Process> server_;
  int port_ = 0;
};

TEST_F(HttpsProviderTest, WebhookPrometheusAndNotificationOverHttps) {
  analysis::HttpOptions http{dir_ + "/good.crt"};
  spec::Metric hook;
  hook.name = "external";
  hook.provider = spec::MetricProvider::kWebhook;
  hook.url = url("/verify");
  auto value = analysis::makeWebhookProvider(5s, http)->fetch(hook, window());
  ASSERT_TRUE(value) << value.error().message;
  EXPECT_EQ(*value, std::optional<double>(0.5));
  EXPECT_NE(requests().find("POST /verify {"), std::string::npos) << requests();
  EXPECT_NE(requests().find("\"canaryRevision\":2"), std::string::npos) << requests();

  spec::Metric prom;
  prom.name = "prom";
  prom.provider = spec::MetricProvider::kPrometheus;
  prom.prometheusAddress = url("/prom");
  prom.query = "up";
  auto scalar = analysis::makePrometheusProvider(5s, http)->fetch(prom, window());
  ASSERT_TRUE(scalar) << scalar.error().message;
  EXPECT_EQ(*scalar, std::optional<double>(0.25));
  EXPECT_NE(requests().find("GET /prom/api/v1/query?query=up"), std::string::npos) << requests();

  auto sent = analysis::postNotification(url("/hook?x=1"), {{"reason", "aborted"}}, 5s, http);
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_NE(requests().find("POST /hook?x=1 {\"reason\":\"aborted\"}"), std::string::npos) << requests();
}

// A certificate the CA file does not vouch for (and the system store does not know) is
// refused with an error that says so; nothing reaches the server's handler.
TEST_F(HttpsProviderTest, UntrustedCertificateFailsClearly) {
  for (const auto& options : {analysis::HttpOptions{dir_ + "/other.crt"}, analysis::HttpOptions{}}) {
    auto sent = analysis::postNotification(url("/hook"), {{"reason", "x"}}, 5s, options);
    ASSERT_FALSE(sent);
    EXPECT_NE(sent.error().message.find("certificate"), std::string::npos) << sent.error().message;
    EXPECT_NE(sent.error().message.find(url("/hook")), std::string::npos) << sent.error().message;
  }
  EXPECT_EQ(requests().find("POST /hook"), std::string::npos) << requests();
  // A CA file that does not exist is an error too, never a silent fallback.
  auto missing = analysis::postNotification(url("/hook"), {{"reason", "x"}}, 5s, analysis::HttpOptions{dir_ + "/nope.crt"});
  EXPECT_FALSE(missing);
}

// The daemon end to end: `rollway serve --ca-file` makes a canary's https webhook metric
// and its https abort notification work (the webhook answers 0.5, "> 0.9" fails, the
// canary is aborted and the abort is POSTed). Without --ca-file the same run stays
// inconclusive with "SSL certificate problem: self-signed certificate".
TEST_F(HttpsProviderTest, DaemonUsesHttpsWebhooksWithItsCaFile) {
  Daemon daemon(dir_ + "/data", {"--ca-file", dir_ + "/good.crt"});
  ASSERT_TRUE(daemon.waitReady()) << daemon.log();
  DemoService service;
  service.replicas = 1;
  service.port = freePort();
  service.strategy =
      "  strategy:\n"
      "    type: Canary\n"
      "    canary:\n"
      "      steps: [{setWeight: 50}, {pause: {duration: 5m}}]\n";
  service.extraSpec = webhookAnalysisSpec(url("/verify"), url("/abort"));
  ASSERT_EQ(daemon.apply(service, dir_).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return daemon.status("web").value("phase", "") == "Complete"; }, 30s)) << daemon.log();
  service.version = "v2";
  ASSERT_EQ(daemon.apply(service, dir_).exitCode, 0);
  ASSERT_TRUE(waitFor([&] { return daemon.status("web").value("phase", "") == "Degraded"; }, 30s))
      << daemon.status("web").dump(2) << daemon.log();
  ASSERT_TRUE(waitFor([&] { return requests().find("POST /abort") != std::string::npos; }, 10s)) << requests();
  EXPECT_NE(requests().find("POST /verify"), std::string::npos) << requests();
  EXPECT_NE(daemon.status("web").value("abortReason", "").find("external"), std::string::npos)
      << daemon.status("web").dump(2);
}

}  // namespace
}  // namespace rollway::e2e
