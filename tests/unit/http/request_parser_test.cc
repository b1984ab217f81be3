#include "rollway/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace rollway::http {
namespace {

using namespace std::string_literals;

// Feeds everything; returns the final status (the caller inspects the parser).
ParseStatus feedAll(RequestParser& parser, std::string_view bytes) {
  return parser.feed(bytes).status;
}

TEST(RequestParserTest, SimpleGet) {
  RequestParser parser;
  std::string wire = "GET /v1/services?name=web HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";
  auto result = parser.feed(wire);
  ASSERT_EQ(result.status, ParseStatus::kComplete) << parser.error().reason;
  EXPECT_EQ(result.consumed, wire.size());
  Request request = parser.take();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/v1/services?name=web");
  EXPECT_EQ(request.path(), "/v1/services");
  EXPECT_EQ(request.queryParam("name"), "web");
  EXPECT_EQ(request.versionMinor, 1);
  EXPECT_TRUE(request.keepAlive);
  EXPECT_EQ(request.body, "");
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(*request.header("accept"), "*/*");
  EXPECT_FALSE(parser.inProgress());
}

TEST(RequestParserTest, PostWithContentLength) {
  RequestParser parser;
  auto result = parser.feed("POST /v1/apply HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_EQ(result.status, ParseStatus::kComplete) << parser.error().reason;
  Request request = parser.take();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.body, "hello world");
}

TEST(RequestParserTest, ChunkedBodyIsDecoded) {
  RequestParser parser;
  std::string wire =
      "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  auto result = parser.feed(wire);
  ASSERT_EQ(result.status, ParseStatus::kComplete) << parser.error().reason;
  EXPECT_EQ(result.consumed, wire.size());
  Request request = parser.take();
  EXPECT_EQ(request.body, "hello world");
  EXPECT_EQ(request.header("X-Trailer"), nullptr);  // trailers are dropped
}

TEST(RequestParserTest, PipelinedPairInOneBuffer) {
  RequestParser parser;
  std::string first = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  std::string second = "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string buffer = first + second;

  auto r1 = parser.feed(buffer);
  ASSERT_EQ(r1.status, ParseStatus::kComplete);
  EXPECT_EQ(r1.consumed, first.size());
  Request a = parser.take();
  EXPECT_EQ(a.target, "/a");
  EXPECT_EQ(a.body, "abc");
  EXPECT_TRUE(a.keepAlive);

  buffer.erase(0, r1.consumed);
  auto r2 = parser.feed(buffer);
  ASSERT_EQ(r2.status, ParseStatus::kComplete) << parser.error().reason;
  EXPECT_EQ(r2.consumed, second.size());
  Request b = parser.take();
  EXPECT_EQ(b.target, "/b");
  EXPECT_FALSE(b.keepAlive);
}

TEST(RequestParserTest, BytesArrivingOneAtATime) {
  RequestParser parser;
  std::string wire =
      "POST /slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<Request> requests;
  for (char c : wire) {
    std::string_view byte(&c, 1);
    auto result = parser.feed(byte);
    ASSERT_NE(result.status, ParseStatus::kError) << parser.error().reason;
    EXPECT_EQ(result.consumed, 1u);
    if (result.status == ParseStatus::kComplete) requests.push_back(parser.take());
  }
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/slow");
  EXPECT_EQ(requests[0].body, "abc");
  EXPECT_EQ(requests[1].target, "/next");
}

// The wrapper keeps its own copy of a partial head and of body bytes; `consumed` must
// still count only the bytes of the current feed() that belong to the message, at every
// split point (a head cut anywhere, a body cut anywhere, the next request behind it).
TEST(RequestParserTest, ConsumedIsExactAtEverySplitPoint) {
  std::string first = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  std::string second = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string wire = first + second;
  for (size_t cut = 1; cut < first.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    RequestParser parser;
    auto r1 = parser.feed(std::string_view(wire).substr(0, cut));
    ASSERT_EQ(r1.status, ParseStatus::kNeedMore) << parser.error().reason;
    EXPECT_EQ(r1.consumed, cut);
    std::string rest = wire.substr(cut);
    auto r2 = parser.feed(rest);
    ASSERT_EQ(r2.status, ParseStatus::kComplete) << parser.error().reason;
    EXPECT_EQ(r2.consumed, first.size() - cut);
    Request a = parser.take();
    EXPECT_EQ(a.target, "/a");
    EXPECT_EQ(a.body, "hello");
    auto r3 = parser.feed(std::string_view(rest).substr(r2.consumed));
    ASSERT_EQ(r3.status, ParseStatus::kComplete) << parser.error().reason;
    EXPECT_EQ(r3.consumed, second.size());
    EXPECT_EQ(parser.take().target, "/b");
  }
}

TEST(RequestParserTest, KeepAliveFollowsVersionAndConnection) {
  RequestParser parser;
  ASSERT_EQ(feedAll(parser, "GET / HTTP/1.0\r\n\r\n"), ParseStatus::kComplete);
  EXPECT_FALSE(parser.take().keepAlive);

  RequestParser parser2;
  ASSERT_EQ(feedAll(parser2, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), ParseStatus::kComplete);
  EXPECT_TRUE(parser2.take().keepAlive);
}

TEST(RequestParserTest, HeadersTooLargeIs431) {
  RequestParser parser(ParseLimits{.maxHeaderBytes = 1024, .maxBodyBytes = 1024});
  std::string wire = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  auto result = parser.feed(wire);
  ASSERT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(parser.error().status, 431);
}

TEST(RequestParserTest, HeadersTooLargeAcrossManyFeedsIs431) {
  RequestParser parser(ParseLimits{.maxHeaderBytes = 64 * 1024, .maxBodyBytes = 1024});
  ASSERT_EQ(feedAll(parser, "GET / HTTP/1.1\r\nHost: x\r\n"), ParseStatus::kNeedMore);
  ParseStatus status = ParseStatus::kNeedMore;
  for (int i = 0; i < 1000 && status == ParseStatus::kNeedMore; ++i) {
    status = feedAll(parser, "X-Header-" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n");
  }
  ASSERT_EQ(status, ParseStatus::kError);
  EXPECT_EQ(parser.error().status, 431);
}

TEST(RequestParserTest, HeadersJustUnderTheLimitAreAccepted) {
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestParser parser(ParseLimits{.maxHeaderBytes = head.size(), .maxBodyBytes = 0});
  EXPECT_EQ(feedAll(parser, head), ParseStatus::kComplete) << parser.error().reason;
}

TEST(RequestParserTest, BodyTooLargeIs413) {
  RequestParser byLength(ParseLimits{.maxHeaderBytes = 1024, .maxBodyBytes = 10});
  ASSERT_EQ(feedAll(byLength, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"),
            ParseStatus::kError);
  EXPECT_EQ(byLength.error().status, 413);

  RequestParser chunked(ParseLimits{.maxHeaderBytes = 1024, .maxBodyBytes = 10});
  ASSERT_EQ(feedAll(chunked,
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"),
            ParseStatus::kError);
  EXPECT_EQ(chunked.error().status, 413);
}

struct BadCase {
  const char* name;
  std::string wire;
};

class RequestParserRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(RequestParserRejects, With400) {
  // Whole buffer and byte by byte must agree.
  RequestParser whole;
  EXPECT_EQ(feedAll(whole, GetParam().wire), ParseStatus::kError) << GetParam().name;
  EXPECT_EQ(whole.error().status, 400) << whole.error().reason;
  EXPECT_FALSE(whole.error().reason.empty());

  RequestParser bytewise;
  ParseStatus status = ParseStatus::kNeedMore;
  for (size_t i = 0; i < GetParam().wire.size() && status == ParseStatus::kNeedMore; ++i) {
    status = bytewise.feed(std::string_view(GetParam().wire).substr(i, 1)).status;
  }
  EXPECT_EQ(status, ParseStatus::kError) << GetParam().name;
  EXPECT_EQ(bytewise.error().status, 400);
}

INSTANTIATE_TEST_SUITE_P(
    Smuggling, RequestParserRejects,
    ::testing::Values(
        BadCase{"ContentLengthThenChunked",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        BadCase{"ChunkedThenContentLength",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n"},
        BadCase{"DuplicateDifferingContentLength",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"},
        BadCase{"BadChunkSize",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
        BadCase{"ChunkedNotLast",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
        BadCase{"BareCrInHeaderValue", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n"},
        BadCase{"BareCrAsLineEnd", "GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n"},
        BadCase{"BareLf", "GET / HTTP/1.1\nHost: x\n\n"},
        BadCase{"ObsFold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n"},
        BadCase{"ObsFoldTab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\tc\r\n\r\n"},
        BadCase{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc"},
        BadCase{"NulInHeaderValue", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\0c\r\n\r\n"s},
        BadCase{"NulInHeaderName", "GET / HTTP/1.1\r\nHost: x\r\nX\0A: bc\r\n\r\n"s},
        BadCase{"BadContentLength", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\na"},
        BadCase{"MissingHost", "GET / HTTP/1.1\r\n\r\n"},
        BadCase{"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
        BadCase{"BadVersion", "GET / HTTP/2.7\r\nHost: x\r\n\r\n"},
        BadCase{"GarbageMethod", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n"}),
    [](const ::testing::TestParamInfo<BadCase>& param) { return std::string(param.param.name); });

TEST(RequestParserTest, ErrorIsSticky) {
  RequestParser parser;
  ASSERT_EQ(feedAll(parser, "GET / HTTP/1.1\nHost: x\n\n"), ParseStatus::kError);
  EXPECT_EQ(feedAll(parser, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ParseStatus::kError);
}

TEST(RequestParserTest, ConnectIs501) {
  RequestParser parser;
  ASSERT_EQ(feedAll(parser, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
            ParseStatus::kError);
  EXPECT_EQ(parser.error().status, 501);
}

TEST(RequestParserTest, UpgradeOfferIsAnsweredAsPlainHttp) {
  RequestParser parser;
  std::string wire =
      "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
      "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
  auto r1 = parser.feed(wire);
  ASSERT_EQ(r1.status, ParseStatus::kComplete) << parser.error().reason;
  EXPECT_EQ(parser.take().target, "/ws");
  auto r2 = parser.feed(std::string_view(wire).substr(r1.consumed));
  ASSERT_EQ(r2.status, ParseStatus::kComplete) << parser.error().reason;
  EXPECT_EQ(parser.take().target, "/next");
}

TEST(RequestParserTest, EofBetweenMessagesIsClean) {
  RequestParser parser;
  EXPECT_EQ(parser.feedEof(), ParseStatus::kNeedMore);
  RequestParser truncated;
  ASSERT_EQ(feedAll(truncated, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab"),
            ParseStatus::kNeedMore);
  EXPECT_TRUE(truncated.inProgress());
  EXPECT_EQ(truncated.feedEof(), ParseStatus::kError);
}

}  // namespace
}  // namespace rollway::http
