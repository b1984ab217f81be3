#include "rollway/api/status_types.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace rollway::api {
namespace {

TEST(RolloutPhase, EveryValueRoundTrips) {
  std::set<std::string_view> names;
  for (RolloutPhase phase : kRolloutPhases) {
    auto back = parseRolloutPhase(toString(phase));
    ASSERT_TRUE(back) << toString(phase) << ": " << back.error().message;
    EXPECT_EQ(*back, phase);
    EXPECT_TRUE(names.insert(toString(phase)).second) << toString(phase) << " names two phases";
  }
  // The names the stored statuses and the API have always used.
  EXPECT_EQ(toString(RolloutPhase::kProgressing), "Progressing");
  EXPECT_EQ(toString(RolloutPhase::kComplete), "Complete");
  EXPECT_EQ(toString(RolloutPhase::kPaused), "Paused");
  EXPECT_EQ(toString(RolloutPhase::kFailed), "Failed");
  EXPECT_EQ(toString(RolloutPhase::kDegraded), "Degraded");
}

TEST(EventType, EveryValueRoundTrips) {
  for (EventType type : kEventTypes) {
    auto back = parseEventType(toString(type));
    ASSERT_TRUE(back) << toString(type);
    EXPECT_EQ(*back, type);
  }
  EXPECT_EQ(toString(EventType::kNormal), "Normal");
  EXPECT_EQ(toString(EventType::kWarning), "Warning");
}

TEST(RolloutPhase, UnknownNamesAreErrorsThatNameTheKnownOnes) {
  using namespace std::string_view_literals;
  // "RolledBack" was once read by the CLI but never set; the others are near misses.
  for (std::string_view text : {""sv, "RolledBack"sv, "complete"sv, "COMPLETE"sv, " Complete"sv, "Complete "sv,
                                "Progressing\0"sv, "Healthy"sv, "Normal"sv, "\xff\xfe"sv}) {
    auto phase = parseRolloutPhase(text);
    ASSERT_FALSE(phase) << "'" << text << "' parsed";
    EXPECT_EQ(phase.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(phase.error().message.find("expected one of Progressing, Complete, Paused, Failed, Degraded"),
              std::string::npos)
        << phase.error().message;
  }
}

TEST(EventType, UnknownNamesAreErrors) {
  for (std::string_view text : {"", "normal", "Error", "Warn", "Progressing"}) {
    auto type = parseEventType(text);
    ASSERT_FALSE(type) << text;
    EXPECT_EQ(type.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(type.error().message.find("expected one of Normal, Warning"), std::string::npos);
  }
}

TEST(RolloutPhase, AHostileNameIsShownShortAndPrintable) {
  std::string hostile(10'000, 'A');
  hostile[3] = '\n';
  hostile[4] = '\x1b';
  auto phase = parseRolloutPhase(hostile);
  ASSERT_FALSE(phase);
  EXPECT_LT(phase.error().message.size(), 200u);
  EXPECT_EQ(phase.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(phase.error().message.find('\x1b'), std::string::npos);
}

TEST(RolloutPhase, AValueOutsideTheEnumPrintsUnknownAndDoesNotParse) {
  auto bad = static_cast<RolloutPhase>(99);
  EXPECT_EQ(toString(bad), "Unknown");
  EXPECT_FALSE(parseRolloutPhase(toString(bad)));
  EXPECT_EQ(toString(static_cast<EventType>(7)), "Unknown");
}

}  // namespace
}  // namespace rollway::api
