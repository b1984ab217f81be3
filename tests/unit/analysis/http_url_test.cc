#include "analysis/http_url.h"

#include <gtest/gtest.h>

namespace rollway::analysis {
namespace {

TEST(HttpUrl, Parses) {
  auto u = HttpUrl::parse("http://127.0.0.1:9090");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->endpoint.host, "127.0.0.1");
  EXPECT_EQ(u->endpoint.port, 9090);
  EXPECT_EQ(u->path, "/");
  EXPECT_EQ(u->target(), "/");

  auto full = HttpUrl::parse("http://checks.example.com/verify/x?token=a%20b#frag");
  ASSERT_TRUE(full) << full.error().message;
  EXPECT_EQ(full->endpoint.host, "checks.example.com");
  EXPECT_EQ(full->endpoint.port, 80);
  EXPECT_EQ(full->path, "/verify/x");
  EXPECT_EQ(full->query, "token=a%20b");
  EXPECT_EQ(full->target(), "/verify/x?token=a%20b");

  auto v6 = HttpUrl::parse("http://[::1]:8080?x=1");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->endpoint.host, "::1");
  EXPECT_EQ(v6->target(), "/?x=1");
}

TEST(HttpUrl, ParsesHttps) {
  auto https = HttpUrl::parse("https://checks.example.com/verify?x=1");
  ASSERT_TRUE(https) << https.error().message;
  EXPECT_TRUE(https->tls);
  EXPECT_EQ(https->endpoint.port, 443);
  EXPECT_EQ(https->origin() + https->target(), "https://checks.example.com/verify?x=1");
  auto port = HttpUrl::parse("https://[::1]:8443/");
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_EQ(port->endpoint.port, 8443);
  EXPECT_EQ(port->origin(), "https://[::1]:8443");
  auto plain = HttpUrl::parse("http://[::1]/");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->endpoint.port, 80);
}

TEST(HttpUrl, Refuses) {
  for (const char* bad : {"", "127.0.0.1:9090", "ftp://x", "http://", "http:///path", "http://u:p@host:1/",
                          "http://host:99999/", "http://host:x/", "https://", "https://u:p@host/"}) {
    auto r = HttpUrl::parse(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(HttpUrl, EncodesQueryValues) {
  EXPECT_EQ(urlEncode("sum(rate(x{code=\"5xx\"}[5s])) / 2"),
            "sum%28rate%28x%7Bcode%3D%225xx%22%7D%5B5s%5D%29%29%20%2F%202");
  EXPECT_EQ(urlEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(urlEncode("é+&"), "%C3%A9%2B%26");
}

}  // namespace
}  // namespace rollway::analysis
