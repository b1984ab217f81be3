#include "rollway/common/listen_address.h"

#include <gtest/gtest.h>

#include "rollway/common/host_pattern.h"

namespace rollway {
namespace {

std::string canonical(std::string_view text) {
  auto parsed = parseListenAddress(text);
  return parsed ? parsed->str() : "error: " + parsed.error().message;
}

TEST(ListenAddress, CanonicalForms) {
  EXPECT_EQ(canonical(":8080"), "0.0.0.0:8080");
  EXPECT_EQ(canonical("localhost:8080"), "127.0.0.1:8080");
  EXPECT_EQ(canonical("LocalHost:8080"), "127.0.0.1:8080");
  EXPECT_EQ(canonical("127.0.0.1:8080"), "127.0.0.1:8080");
  EXPECT_EQ(canonical("[0:0:0:0:0:0:0:1]:8080"), "[::1]:8080");
  EXPECT_EQ(canonical("[::]:1"), "[::]:1");
  EXPECT_EQ(canonical("[FE80::1]:65535"), "[fe80::1]:65535");
  EXPECT_EQ(canonicalListen("nonsense"), "nonsense");
  EXPECT_EQ(canonicalListen("localhost:80"), "127.0.0.1:80");
}

TEST(ListenAddress, RefusesWhatItCannotBindWithoutDns) {
  for (const char* bad : {"", "8080", "example.com:8080", "web:8080", "127.0.0.1:0", "127.0.0.1:65536",
                          "127.0.0.1:80x", "127.0.0.1:", "127.1:80", "127.000.0.1:80", "::1:8080", "[::1:8080",
                          "[]:80", "[zz]:80", "[fe80::1%eth0]:80", "1.2.3.4.5:80", " 127.0.0.1:80"}) {
    EXPECT_FALSE(parseListenAddress(bad)) << "'" << bad << "' was accepted";
  }
  EXPECT_NE(parseListenAddress("example.com:8080").error().message.find("DNS"), std::string::npos);
}

TEST(ListenAddress, Overlaps) {
  auto a = [](const char* text) { return *parseListenAddress(text); };
  EXPECT_TRUE(listenOverlaps(a("127.0.0.1:80"), a("localhost:80")));
  EXPECT_TRUE(listenOverlaps(a("0.0.0.0:80"), a("127.0.0.1:80")));
  EXPECT_TRUE(listenOverlaps(a("127.0.0.1:80"), a(":80")));
  EXPECT_TRUE(listenOverlaps(a("[::]:80"), a("127.0.0.1:80")));  // dual-stack
  EXPECT_TRUE(listenOverlaps(a("[::1]:80"), a("[::]:80")));
  EXPECT_FALSE(listenOverlaps(a("127.0.0.1:80"), a("127.0.0.2:80")));
  EXPECT_FALSE(listenOverlaps(a("0.0.0.0:80"), a("0.0.0.0:81")));
  EXPECT_FALSE(listenOverlaps(a("0.0.0.0:80"), a("[::1]:80")));
  EXPECT_FALSE(listenOverlaps(a("[::1]:80"), a("127.0.0.1:80")));
}

TEST(HostPattern, Syntax) {
  for (const char* ok : {"example.com", "a.example.com", "*.example.com", "Web-1.Local", "localhost", "web.local.",
                         "*.a.b.c", "127.0.0.1"}) {
    EXPECT_TRUE(isHostPattern(ok)) << ok;
  }
  for (const char* bad : {"", "*", "*.", ".", "a*.example.com", "*example.com", "a.*.com", "*.*.com", "-a.com",
                          "a-.com", "a..com", "example.com:80", "a b", "http://a", "a_b.com", "web.local.."}) {
    EXPECT_FALSE(isHostPattern(bad)) << bad;
  }
}

TEST(HostPattern, HeaderNormalization) {
  EXPECT_EQ(normalizeHostHeader("API.Example.COM:8080"), "api.example.com");
  EXPECT_EQ(normalizeHostHeader("api.example.com."), "api.example.com");
  EXPECT_EQ(normalizeHostHeader("api.example.com.:80"), "api.example.com");
  EXPECT_EQ(normalizeHostHeader("[::1]:8080"), "[::1]");
  EXPECT_EQ(normalizeHostPattern("*.Example.com."), "*.example.com");
}

TEST(HostPattern, WildcardMatchesAnyDepthButNotTheSuffixItself) {
  EXPECT_TRUE(wildcardMatches("*.example.com", "a.example.com"));
  EXPECT_TRUE(wildcardMatches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(wildcardMatches("*.example.com", "example.com"));
  EXPECT_FALSE(wildcardMatches("*.example.com", ".example.com"));
  EXPECT_FALSE(wildcardMatches("*.example.com", "badexample.com"));
  EXPECT_FALSE(wildcardMatches("*.example.com", "a..example.com"));
  EXPECT_FALSE(wildcardMatches("example.com", "a.example.com"));
  EXPECT_TRUE(hostPatternsClash("Web.Local", "web.local."));
  EXPECT_TRUE(hostPatternsClash("*.a.com", "*.A.com"));
  EXPECT_FALSE(hostPatternsClash("*.a.com", "b.a.com"));  // the exact name wins: no clash
}

}  // namespace
}  // namespace rollway
