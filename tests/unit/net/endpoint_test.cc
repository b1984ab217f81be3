#include "rollway/net/endpoint.h"

#include <gtest/gtest.h>

namespace rollway::net {
namespace {

TEST(EndpointTest, UnixForms) {
  auto a = Endpoint::parse("unix:/run/rollway/rollway.sock");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->kind, Endpoint::Kind::kUnix);
  EXPECT_EQ(a->path, "/run/rollway/rollway.sock");
  EXPECT_EQ(a->str(), "unix:/run/rollway/rollway.sock");

  auto b = Endpoint::parse("/tmp/x.sock");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, Endpoint::Kind::kUnix);
  EXPECT_EQ(b->str(), "unix:/tmp/x.sock");
}

TEST(EndpointTest, TcpForms) {
  for (const char* text : {"tcp:127.0.0.1:7070", "127.0.0.1:7070", "http://127.0.0.1:7070", "http://127.0.0.1:7070/"}) {
    auto e = Endpoint::parse(text);
    ASSERT_TRUE(e) << text << ": " << e.error().message;
    EXPECT_EQ(e->kind, Endpoint::Kind::kTcp);
    EXPECT_EQ(e->host, "127.0.0.1");
    EXPECT_EQ(e->port, 7070);
    EXPECT_EQ(e->str(), "127.0.0.1:7070");
  }
  auto v6 = Endpoint::parse("[::1]:7070");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7070);
  EXPECT_EQ(v6->str(), "[::1]:7070");

  auto named = Endpoint::parse("tcp:localhost:0");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->host, "localhost");
  EXPECT_EQ(named->port, 0);

  auto http80 = Endpoint::parse("http://rollway.local");
  ASSERT_TRUE(http80);
  EXPECT_EQ(http80->port, 80);
}

TEST(EndpointTest, BadInputs) {
  struct Case {
    const char* text;
    const char* mentions;
  };
  for (const Case& c : {Case{"tcp:nohost", "host:port"}, Case{"unix:", "empty"},
                        Case{"127.0.0.1:70000", "out of range"}, Case{"tcp:127.0.0.1:99999999999", "out of range"},
                        Case{"unix:run/rollway.sock", "absolute path"}, Case{"rollway.sock", "absolute path"},
                        Case{"./rollway.sock", "absolute path"}, Case{"tcp::7070", "host"},
                        Case{"127.0.0.1:http", "not a number"}, Case{"127.0.0.1:", "empty"},
                        Case{"[::1", "]"}, Case{"::1:7070", "brackets"}, Case{"", "empty"},
                        Case{"https://x:1", "https"}}) {
    auto e = Endpoint::parse(c.text);
    ASSERT_FALSE(e) << c.text;
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument) << c.text;
    EXPECT_NE(e.error().message.find(c.mentions), std::string::npos) << c.text << " -> " << e.error().message;
  }
}

}  // namespace
}  // namespace rollway::net
