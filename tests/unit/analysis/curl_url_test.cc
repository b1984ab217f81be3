#include "analysis/curl_url.h"

#include <gtest/gtest.h>

namespace rollway::analysis {
namespace {

TEST(CurlUrl, Parses) {
  auto u = CurlUrl::parse("http://127.0.0.1:9090");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->authority(), "127.0.0.1:9090");
  EXPECT_EQ(u->path(), "/");
  EXPECT_EQ(u->query(), "");
  EXPECT_EQ(u->url(), "http://127.0.0.1:9090/");
  EXPECT_EQ(u->text(), "http://127.0.0.1:9090");
  EXPECT_FALSE(u->tls());

  auto full = CurlUrl::parse("http://checks.example.com/verify/x?token=a%20b#frag");
  ASSERT_TRUE(full) << full.error().message;
  EXPECT_EQ(full->authority(), "checks.example.com");
  EXPECT_EQ(full->path(), "/verify/x");
  EXPECT_EQ(full->query(), "token=a%20b");
  EXPECT_EQ(full->url(), "http://checks.example.com/verify/x?token=a%20b");  // no fragment

  auto v6 = CurlUrl::parse("http://[::1]:8080?x=1");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->authority(), "[::1]:8080");
  EXPECT_EQ(v6->url(), "http://[::1]:8080/?x=1");
}

TEST(CurlUrl, ParsesHttps) {
  auto https = CurlUrl::parse("https://checks.example.com/verify?x=1");
  ASSERT_TRUE(https) << https.error().message;
  EXPECT_TRUE(https->tls());
  EXPECT_EQ(https->url(), "https://checks.example.com/verify?x=1");
  auto port = CurlUrl::parse("HTTPS://[::1]:8443/");
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_TRUE(port->tls());
  EXPECT_EQ(port->authority(), "[::1]:8443");
  auto plain = CurlUrl::parse("http://[::1]/");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->tls());
  EXPECT_EQ(plain->authority(), "[::1]");
}

TEST(CurlUrl, RefusesWithAReasonAUserCanActOn) {
  struct Case {
    const char* url;
    const char* message;
  };
  const Case cases[] = {
      {"", "'' is not an http:// or https:// URL (e.g. http://127.0.0.1:9090)"},
      {"127.0.0.1:9090", "'127.0.0.1:9090' is not an http:// or https:// URL (e.g. http://127.0.0.1:9090)"},
      {"ftp://x", "'ftp://x' is not an http:// or https:// URL (e.g. http://127.0.0.1:9090)"},
      {"http://", "'http://': the host is empty"},
      {"https://", "'https://': the host is empty"},
      {"http:///path", "'http:///path': the host is empty"},
      {"http://?x=1", "'http://?x=1': the host is empty"},
      {"http://:80/", "'http://:80/' is not a valid URL: No host part in the URL"},
      {"http://u:p@host:1/", "'http://u:p@host:1/': credentials in the URL are not supported"},
      {"https://u:p@host/", "'https://u:p@host/': credentials in the URL are not supported"},
      {"http://@host/", "'http://@host/': credentials in the URL are not supported"},
      {"http://host:99999/",
       "'http://host:99999/' is not a valid URL: Port number was not a decimal number between 0 and 65535"},
      {"http://host:x/", "'http://host:x/' is not a valid URL: Port number was not a decimal number between 0 and 65535"},
      {"http://host:0/", "'http://host:0/': port 0 cannot be connected to"},
      {"http://a b/", "'http://a b/' is not a valid URL: Bad hostname"},
      {"http://host/a b", "'http://host/a b' is not a valid URL: Bad path"},
      {"http://[::1/", "'http://[::1/' is not a valid URL: Bad IPv6 address"},
  };
  for (const auto& c : cases) {
    auto r = CurlUrl::parse(c.url);
    ASSERT_FALSE(r) << c.url;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.url;
    EXPECT_EQ(r.error().message, c.message);
  }
}

TEST(CurlUrl, WithTargetReplacesPathAndQuery) {
  auto base = CurlUrl::parse("https://prom.example.com:9443/prometheus#x");
  ASSERT_TRUE(base) << base.error().message;
  auto q = base->withTarget("/prometheus/api/v1/query", "query=" + urlEncode("up == 1"));
  ASSERT_TRUE(q) << q.error().message;
  // libcurl rewrites percent-encodings with lowercase hex digits (the same bytes, RFC 3986).
  EXPECT_EQ(q->url(), "https://prom.example.com:9443/prometheus/api/v1/query?query=up%20%3d%3d%201");
  EXPECT_EQ(q->path(), "/prometheus/api/v1/query");
  EXPECT_EQ(q->query(), "query=up%20%3d%3d%201");
  EXPECT_EQ(q->text(), "https://prom.example.com:9443/prometheus#x");  // errors quote what was written
  auto noQuery = base->withTarget("", "");
  ASSERT_TRUE(noQuery) << noQuery.error().message;
  EXPECT_EQ(noQuery->url(), "https://prom.example.com:9443/");
  auto bad = base->withTarget("/a b", "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "'https://prom.example.com:9443/prometheus#x' with path '/a b' and query '' is not a valid URL "
            "('https://prom.example.com:9443/a b' is not a valid URL: Bad path)");
}

TEST(CurlUrl, EncodesQueryValues) {
  EXPECT_EQ(urlEncode("sum(rate(x{code=\"5xx\"}[5s])) / 2"),
            "sum%28rate%28x%7Bcode%3D%225xx%22%7D%5B5s%5D%29%29%20%2F%202");
  EXPECT_EQ(urlEncode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(urlEncode("é+&"), "%C3%A9%2B%26");
  EXPECT_EQ(urlEncode(""), "");
}

}  // namespace
}  // namespace rollway::analysis
