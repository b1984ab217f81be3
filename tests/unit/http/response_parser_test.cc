#include "rollway/http/response_parser.h"

#include <gtest/gtest.h>

namespace rollway::http {
namespace {

TEST(ResponseParserTest, ContentLength) {
  ResponseParser parser;
  auto result = parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(result.status, ParseStatus::kComplete) << parser.error().reason;
  Response response = parser.take();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
  EXPECT_TRUE(response.keepAlive);
}

TEST(ResponseParserTest, ChunkedResponse) {
  ResponseParser parser;
  auto result = parser.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
  ASSERT_EQ(result.status, ParseStatus::kComplete) << parser.error().reason;
  EXPECT_EQ(parser.take().body, "ok");
}

TEST(ResponseParserTest, NoLengthIsReadToEof) {
  ResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ").status,
            ParseStatus::kNeedMore);
  EXPECT_EQ(parser.feed("world").status, ParseStatus::kNeedMore);
  ASSERT_EQ(parser.feedEof(), ParseStatus::kComplete) << parser.error().reason;
  Response response = parser.take();
  EXPECT_EQ(response.body, "hello world");
  EXPECT_FALSE(response.keepAlive);
}

TEST(ResponseParserTest, HeadResponseHasNoBody) {
  ResponseParser parser;
  parser.setRequestMethod("HEAD");
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
  auto result = parser.feed(wire);
  ASSERT_EQ(result.status, ParseStatus::kComplete) << parser.error().reason;
  EXPECT_EQ(result.consumed, wire.size());
  Response response = parser.take();
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(*response.header("Content-Length"), "1234");
}

TEST(ResponseParserTest, NoContentAndNotModifiedHaveNoBody) {
  for (int status : {204, 304}) {
    ResponseParser parser;
    std::string first = "HTTP/1.1 " + std::to_string(status) + " X\r\n\r\n";
    std::string wire = first + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz";
    auto r1 = parser.feed(wire);
    ASSERT_EQ(r1.status, ParseStatus::kComplete) << status << parser.error().reason;
    EXPECT_EQ(r1.consumed, first.size());
    EXPECT_EQ(parser.take().status, status);
    auto r2 = parser.feed(std::string_view(wire).substr(r1.consumed));
    ASSERT_EQ(r2.status, ParseStatus::kComplete);
    EXPECT_EQ(parser.take().body, "z");
  }
}

TEST(ResponseParserTest, TruncatedBodyIsAnError) {
  ResponseParser parser;
  ASSERT_EQ(parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").status, ParseStatus::kNeedMore);
  EXPECT_EQ(parser.feedEof(), ParseStatus::kError);
  ResponseParser clean;
  EXPECT_EQ(clean.feedEof(), ParseStatus::kNeedMore);
}

TEST(ResponseParserTest, ConflictingFramingIsRejected) {
  ResponseParser parser;
  EXPECT_EQ(parser.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab").status,
            ParseStatus::kError);
}

}  // namespace
}  // namespace rollway::http
