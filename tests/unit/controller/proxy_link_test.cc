// ProxyLink against a fake proxy admin socket (net::Server on a unix socket): what the
// controller learns when the proxy refuses a snapshot or the in-flight query fails.
#include "rollway/controller/proxy_link.h"
#include "rollway/supervisor/supervisor.h"

#include <gtest/gtest.h>

#include <atomic>

#include <asio/io_context.hpp>

#include "rollway/net/server.h"
#include "unit/store/temp_dir.h"

namespace rollway::controller {
namespace {

class ProxyLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net::ServerOptions so;
    so.unixPath = tmp_.path() + "/proxy.sock";
    auto server = net::Server::start(so, [this](http::Request request, net::Responder respond) {
      http::Response r;
      r.headers.push_back({"Content-Type", "application/json"});
      if (request.target == "/healthz") {
        r.body = R"({"snapshotVersion": 3})";
      } else if (request.target == "/v1/snapshot") {
        r.status = 400;
        r.body = R"({"error": {"code": "InvalidArgument", "message": "listeners[0].listen: ':8080' is not host:port"}})";
      } else if (request.target == "/v1/endpoints") {
        r.status = endpointsStatus_;
        r.body = endpointsStatus_ == 200 ? R"({"items": [{"address": "127.0.0.1:20001", "inFlight": 2}]})"
                                         : R"({"error": {"code": "Internal", "message": "boom"}})";
      } else {
        r.status = 404;
      }
      respond(std::move(r));
    });
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    supervisor::SupervisorOptions sup;
    sup.logDir = tmp_.path();
    supervisor_ = std::make_unique<supervisor::Supervisor>(io_, sup);
    ProxyLinkOptions options;
    options.dir = tmp_.path();
    options.manage = false;
    link_ = std::make_unique<ProxyLink>(*supervisor_, options, nullLogger());
  }

  store::TempDir tmp_;
  asio::io_context io_;
  std::unique_ptr<net::Server> server_;
  std::unique_ptr<supervisor::Supervisor> supervisor_;
  std::unique_ptr<ProxyLink> link_;
  std::atomic<int> endpointsStatus_{200};
};

TEST_F(ProxyLinkTest, ARejectedSnapshotSaysSoWithTheProxysReason) {
  ASSERT_TRUE(link_->ensureRunning());
  auto pushed = link_->push(proxy::RoutingSnapshot{});
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().message,
            "proxy rejected routing snapshot 4: listeners[0].listen: ':8080' is not host:port");
}

TEST_F(ProxyLinkTest, InFlightIsAnErrorWhenTheProxyCannotTell) {
  auto counts = link_->inFlight();
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->at("127.0.0.1:20001"), 2u);
  endpointsStatus_ = 500;
  EXPECT_FALSE(link_->inFlight());  // never an empty map ("nothing in flight")
  server_->stop();
  EXPECT_FALSE(link_->inFlight());
}

}  // namespace
}  // namespace rollway::controller
