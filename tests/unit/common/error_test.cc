#include "rollway/common/result.h"

#include <gtest/gtest.h>

namespace rollway {
namespace {

TEST(Error, StrListsFieldsUnderTheMessage) {
  Error e{ErrorCode::kInvalidArgument, "web.yaml is not a valid spec", {}};
  e.fields.push_back({"web.yaml", "spec.replicas", "must not be negative"});
  e.fields.push_back({"", "", "bare reason"});
  EXPECT_EQ(e.str(), "web.yaml is not a valid spec\n  web.yaml: spec.replicas: must not be negative\n  bare reason");
}

TEST(Result, FailFormats) {
  Result<int> r = fail(ErrorCode::kNotFound, "service {} not found", "web");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.error().message, "service web not found");
  EXPECT_STREQ(errorCodeName(r.error().code), "NotFound");
}

}  // namespace
}  // namespace rollway
