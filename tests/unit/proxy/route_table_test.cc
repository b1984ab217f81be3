#include "proxy/route_table.h"

#include <gtest/gtest.h>

namespace rollway::proxy {
namespace {

ServiceRoute service(std::string name, std::vector<std::string> hosts) {
  ServiceRoute s;
  s.name = std::move(name);
  s.hosts = std::move(hosts);
  return s;
}

std::shared_ptr<const RouteTable> table(std::vector<Listener> listeners) {
  auto snapshot = std::make_shared<RoutingSnapshot>();
  snapshot->listeners = std::move(listeners);
  auto built = RouteTable::build(snapshot);
  EXPECT_TRUE(built) << (built ? "" : built.error().str());
  return built ? *built : nullptr;
}

// The name of the service a Host header reaches on listener 0, or "-".
std::string pick(const RouteTable& t, std::string_view host) {
  int s = t.findService(0, host);
  return s < 0 ? "-" : t.services()[static_cast<size_t>(s)].route->name;
}

TEST(RouteTable, ExactHostFirstThenLongestWildcardThenAnyHost) {
  auto t = table({{"127.0.0.1:8080",
                   {service("exact", {"api.example.com"}), service("wide", {"*.example.com"}),
                    service("narrow", {"*.eu.example.com"}), service("rest", {})}}});
  ASSERT_TRUE(t);
  EXPECT_EQ(pick(*t, "api.example.com"), "exact");
  EXPECT_EQ(pick(*t, "a.example.com"), "wide");
  EXPECT_EQ(pick(*t, "a.b.example.com"), "wide");       // any depth, as nginx server_name
  EXPECT_EQ(pick(*t, "x.eu.example.com"), "narrow");    // the longest suffix wins
  EXPECT_EQ(pick(*t, "y.x.eu.example.com"), "narrow");
  EXPECT_EQ(pick(*t, "eu.example.com"), "wide");        // *.eu... does not match eu... itself
  EXPECT_EQ(pick(*t, "example.com"), "rest");           // nor does *.example.com
  EXPECT_EQ(pick(*t, "badexample.com"), "rest");        // a suffix only at a label boundary
  EXPECT_EQ(pick(*t, ".example.com"), "rest");          // an empty first label is not a subdomain
  EXPECT_EQ(pick(*t, ""), "rest");
}

TEST(RouteTable, HostMatchingIgnoresCasePortAndTrailingDot) {
  auto t = table({{"127.0.0.1:8080", {service("exact", {"API.example.com"}), service("wide", {"*.Example.COM"})}}});
  ASSERT_TRUE(t);
  EXPECT_EQ(pick(*t, "api.EXAMPLE.com"), "exact");
  EXPECT_EQ(pick(*t, "api.example.com:8080"), "exact");
  EXPECT_EQ(pick(*t, "api.example.com."), "exact");
  EXPECT_EQ(pick(*t, "api.example.com.:8080"), "exact");
  EXPECT_EQ(pick(*t, "WWW.example.com.:80"), "wide");
  EXPECT_EQ(pick(*t, "example.com"), "-");  // no service without hosts: nothing matches
}

TEST(RouteTable, ListenOnEveryInterfaceBindsTheWildcardAddress) {
  auto t = table({{":8080", {service("web", {})}}});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->listeners().size(), 1u);
  EXPECT_EQ(t->listeners()[0].host, "0.0.0.0");
  EXPECT_EQ(t->listeners()[0].port, 8080);
}

TEST(RouteTable, ListenAddressesAreCanonical) {
  auto t = table({{"localhost:8080", {service("web", {})}}, {"[0:0::1]:8081", {service("api", {})}}});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->listeners()[0].address, "127.0.0.1:8080");
  EXPECT_EQ(t->listeners()[0].host, "127.0.0.1");
  EXPECT_EQ(t->listeners()[1].address, "[::1]:8081");
  EXPECT_EQ(t->listeners()[1].host, "::1");
  EXPECT_EQ(t->findListener("127.0.0.1:8080"), 0);
  EXPECT_EQ(t->findListener("localhost:8080"), 0);
}

}  // namespace
}  // namespace rollway::proxy
