#include "rollway/http/message.h"

#include <gtest/gtest.h>

#include "rollway/http/request_parser.h"
#include "rollway/http/response_parser.h"

namespace rollway::http {
namespace {

TEST(MessageTest, FindHeaderIsCaseInsensitive) {
  Headers headers{{"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}};
  ASSERT_NE(findHeader(headers, "content-type"), nullptr);
  EXPECT_EQ(*findHeader(headers, "CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(*findHeader(headers, "x-A"), "1");
  EXPECT_EQ(findHeader(headers, "X-B"), nullptr);
  EXPECT_TRUE(equalsIgnoreCase("Host", "hOST"));
  EXPECT_FALSE(equalsIgnoreCase("Host", "Hosts"));
}

TEST(MessageTest, PathAndQuery) {
  Request request;
  request.target = "/v1/services?name=web%20app&x=a+b&empty=&flag&enc%3Dkey=v%26w";
  EXPECT_EQ(request.path(), "/v1/services");
  EXPECT_EQ(request.query(), "name=web%20app&x=a+b&empty=&flag&enc%3Dkey=v%26w");
  EXPECT_EQ(request.queryParam("name"), "web app");
  EXPECT_EQ(request.queryParam("x"), "a b");
  EXPECT_EQ(request.queryParam("empty"), "");
  EXPECT_EQ(request.queryParam("flag"), "");
  EXPECT_EQ(request.queryParam("enc=key"), "v&w");
  EXPECT_EQ(request.queryParam("missing"), "");

  Request plain;
  plain.target = "/healthz";
  EXPECT_EQ(plain.path(), "/healthz");
  EXPECT_EQ(plain.query(), "");

  Request bad;
  bad.target = "/x?a=%zz%4&b=%41%62";
  EXPECT_EQ(bad.queryParam("a"), "%zz%4");
  EXPECT_EQ(bad.queryParam("b"), "Ab");
}

TEST(MessageTest, SerializeRequestAddsLengthAndClose) {
  Request request;
  request.method = "POST";
  request.target = "/v1/apply";
  request.headers = {{"Host", "localhost"}};
  request.body = "{}";
  request.keepAlive = false;
  EXPECT_EQ(serialize(request),
            "POST /v1/apply HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
            "Connection: close\r\n\r\n{}");
}

TEST(MessageTest, SerializeResponseKeepsExplicitFraming) {
  Response response;
  response.status = 404;
  response.headers = {{"Content-Length", "0"}};
  EXPECT_EQ(serialize(response), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  Response noContent;
  noContent.status = 204;
  noContent.body = "ignored";
  EXPECT_EQ(serialize(noContent), "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(MessageTest, RequestRoundTrip) {
  Request request;
  request.method = "PUT";
  request.target = "/v1/services/web?dryRun=true";
  request.headers = {{"Host", "rollway"}, {"Content-Type", "application/json"}, {"X-Empty", ""}};
  request.body = "{\"replicas\": 3}\r\n\r\nstill body";
  std::string wire = serialize(request);

  RequestParser parser;
  auto result = parser.feed(wire);
  ASSERT_EQ(result.status, ParseStatus::kComplete) << parser.error().reason;
  EXPECT_EQ(result.consumed, wire.size());
  Request parsed = parser.take();
  EXPECT_EQ(parsed.method, request.method);
  EXPECT_EQ(parsed.target, request.target);
  EXPECT_EQ(parsed.body, request.body);
  EXPECT_EQ(parsed.versionMinor, 1);
  EXPECT_TRUE(parsed.keepAlive);
  ASSERT_EQ(parsed.headers.size(), 4u);  // + Content-Length
  EXPECT_EQ(parsed.headers[2].name, "X-Empty");
  EXPECT_EQ(parsed.headers[2].value, "");
  EXPECT_EQ(*parsed.header("content-length"), std::to_string(request.body.size()));
  EXPECT_EQ(parsed.queryParam("dryRun"), "true");
}

TEST(MessageTest, ResponseRoundTrip) {
  Response response;
  response.status = 409;
  response.headers = {{"Content-Type", "application/json"}};
  response.body = "{\"error\":{}}";
  response.keepAlive = false;
  std::string wire = serialize(response);

  ResponseParser parser;
  auto result = parser.feed(wire);
  ASSERT_EQ(result.status, ParseStatus::kComplete) << parser.error().reason;
  Response parsed = parser.take();
  EXPECT_EQ(parsed.status, 409);
  EXPECT_EQ(parsed.body, response.body);
  EXPECT_FALSE(parsed.keepAlive);
  EXPECT_EQ(*parsed.header("Content-Type"), "application/json");
}

}  // namespace
}  // namespace rollway::http
