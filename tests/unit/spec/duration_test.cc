#include "rollway/spec/duration.h"

#include <gtest/gtest.h>

namespace rollway::spec {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(*parseDuration("30s"), seconds(30));
  EXPECT_EQ(*parseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*parseDuration("2m"), minutes(2));
  EXPECT_EQ(*parseDuration("1h"), hours(1));
  EXPECT_EQ(*parseDuration("1m30s"), seconds(90));
  EXPECT_EQ(*parseDuration("1h2m3s4ms"), hours(1) + minutes(2) + seconds(3) + milliseconds(4));
  EXPECT_EQ(*parseDuration("0"), milliseconds(0));
  EXPECT_EQ(*parseDuration("0s"), milliseconds(0));
  EXPECT_EQ(*parseDuration("90s"), seconds(90));  // no carrying rule: 90s is fine
}

TEST(ParseDuration, Rejects) {
  for (const char* bad : {"", "5", "-1s", "1.5s", "abc", "s", "10 s", " 1s", "1s ", "1d", "1us", "1S",
                          "1s1m", "1s1s", "1m1h", "+1s", "0x10s", "ms"}) {
    auto d = parseDuration(bad);
    EXPECT_FALSE(d) << "'" << bad << "' was accepted";
    if (!d) {
      EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
      EXPECT_FALSE(d.error().message.empty());
    }
  }
}

TEST(ParseDuration, ExplainsCommonMistakes) {
  EXPECT_NE(parseDuration("5").error().message.find("unit"), std::string::npos);
  EXPECT_NE(parseDuration("1.5s").error().message.find("1500ms"), std::string::npos);
  EXPECT_NE(parseDuration("-1s").error().message.find("negative"), std::string::npos);
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_FALSE(parseDuration("99999999999999999999ms"));
  EXPECT_FALSE(parseDuration("9223372036854775807h"));
  EXPECT_FALSE(parseDuration("2562047788016h"));  // just over int64 milliseconds
  EXPECT_FALSE(parseDuration("2562047h"));        // fits in milliseconds, overflows nanoseconds
  EXPECT_NE(parseDuration("87601h").error().message.find("87600h"), std::string::npos);
  EXPECT_TRUE(parseDuration("87600h"));  // the parser's own limit (ten years); fields have smaller ones
}

TEST(FormatDuration, ShortestExactForm) {
  EXPECT_EQ(formatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(formatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(formatDuration(seconds(30)), "30s");
  EXPECT_EQ(formatDuration(seconds(90)), "1m30s");
  EXPECT_EQ(formatDuration(hours(1)), "1h");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(formatDuration(hours(25) + milliseconds(1)), "25h1ms");
  EXPECT_EQ(formatDuration(milliseconds(-1500)), "-1s500ms");
  EXPECT_FALSE(formatDuration(milliseconds(std::numeric_limits<long long>::min())).empty());
}

TEST(FormatDuration, RoundTrips) {
  for (long long ms : {0LL, 1LL, 999LL, 1000LL, 59999LL, 60000LL, 3600000LL, 3723004LL, 86400000LL}) {
    auto parsed = parseDuration(formatDuration(milliseconds(ms)));
    ASSERT_TRUE(parsed) << ms;
    EXPECT_EQ(parsed->count(), ms);
  }
}

}  // namespace
}  // namespace rollway::spec
