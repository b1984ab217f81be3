#include "rollway/net/json_reply.h"

#include <gtest/gtest.h>

namespace rollway::net {
namespace {

TEST(JsonReplyTest, StatusForCodes) {
  EXPECT_EQ(httpStatusFor(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(httpStatusFor(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(httpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(httpStatusFor(ErrorCode::kConflict), 409);
  EXPECT_EQ(httpStatusFor(ErrorCode::kTooManyRequests), 429);
  EXPECT_EQ(httpStatusFor(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(httpStatusFor(ErrorCode::kTimeout), 504);
  EXPECT_EQ(httpStatusFor(ErrorCode::kIo), 500);
  EXPECT_EQ(httpStatusFor(ErrorCode::kStorageFull), 507);
  EXPECT_EQ(httpStatusFor(ErrorCode::kInternal), 500);
}

TEST(JsonReplyTest, JsonReplyHasContentType) {
  http::Response response = jsonReply(201, {{"name", "web"}});
  EXPECT_EQ(response.status, 201);
  ASSERT_NE(response.header("Content-Type"), nullptr);
  EXPECT_EQ(*response.header("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body)["name"], "web");
}

TEST(JsonReplyTest, ErrorRoundTrip) {
  Error error{ErrorCode::kInvalidArgument, "web.yaml is invalid",
              {{"web.yaml", "spec.replicas", "must be >= 0"}, {"", "spec.strategy.type", "unknown: Foo"}}};
  http::Response response = errorReply(error);
  EXPECT_EQ(response.status, 400);
  auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "InvalidArgument");
  EXPECT_EQ(body["error"]["fields"][0]["path"], "spec.replicas");

  Error back = errorFromReply(response);
  EXPECT_EQ(back.code, error.code);
  EXPECT_EQ(back.message, error.message);
  EXPECT_EQ(back.fields, error.fields);
}

TEST(JsonReplyTest, EveryCodeRoundTrips) {
  for (ErrorCode code : {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kConflict,
                         ErrorCode::kTooManyRequests, ErrorCode::kUnauthenticated, ErrorCode::kUnavailable, ErrorCode::kTimeout,
                         ErrorCode::kIo, ErrorCode::kStorageFull, ErrorCode::kInternal}) {
    Error back = errorFromReply(errorReply(Error{code, "m\xff", {}}));  // invalid UTF-8 must not throw
    EXPECT_EQ(back.code, code);
  }
}

// Kubernetes' eviction API answers 429 with Retry-After when a budget holds it back.
TEST(JsonReplyTest, TooManyRequestsCarriesRetryAfter) {
  http::Response response = errorReply(Error{ErrorCode::kTooManyRequests, "the budget holds it", {}});
  EXPECT_EQ(response.status, 429);
  ASSERT_NE(response.header("Retry-After"), nullptr);
  EXPECT_EQ(*response.header("Retry-After"), std::to_string(kRetryAfterSeconds));
  EXPECT_EQ(errorReply(Error{ErrorCode::kConflict, "x", {}}).header("Retry-After"), nullptr);
  http::Response bare;
  bare.status = 429;
  bare.body = "slow down";
  EXPECT_EQ(errorFromReply(bare).code, ErrorCode::kTooManyRequests);
}

TEST(JsonReplyTest, NonJsonFallsBackToStatusLine) {
  http::Response response;
  response.status = 502;
  response.body = "upstream exploded\n";
  Error error = errorFromReply(response);
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(error.message, "HTTP 502 Bad Gateway: upstream exploded");

  http::Response notFound;
  notFound.status = 404;
  notFound.body = "{\"other\": 1}";
  EXPECT_EQ(errorFromReply(notFound).code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace rollway::net
