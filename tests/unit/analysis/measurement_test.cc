#include "rollway/analysis/measurement.h"

#include <gtest/gtest.h>

namespace rollway::analysis {
namespace {

TEST(Measurement, JsonRoundTrip) {
  Measurement m;
  m.verdict = Verdict::kFailed;
  m.canaryRequests = 812;
  m.summary = "error-rate 0.31 (stable 0) fails < 0.01";
  m.metrics.push_back({"error-rate", Verdict::kFailed, 0.31, 0.0, "error-rate 0.31 (stable 0) fails < 0.01"});
  m.metrics.push_back({"prom", Verdict::kInconclusive, std::nullopt, std::nullopt, "prom: no data"});
  nlohmann::json j = toJson(m);
  EXPECT_EQ(j["verdict"], "Failed");
  EXPECT_EQ(j["canaryRequests"], 812);
  EXPECT_EQ(j["metrics"][0]["value"], 0.31);
  EXPECT_EQ(j["metrics"][0]["stableValue"], 0.0);
  EXPECT_TRUE(j["metrics"][1]["value"].is_null());
  EXPECT_EQ(j["metrics"][1]["verdict"], "Inconclusive");

  auto back = measurementFromJson(j);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->verdict, m.verdict);
  EXPECT_EQ(back->canaryRequests, 812u);
  EXPECT_EQ(back->summary, m.summary);
  ASSERT_EQ(back->metrics.size(), 2u);
  EXPECT_EQ(back->metrics[0].value, 0.31);
  EXPECT_EQ(back->metrics[0].stableValue, 0.0);
  EXPECT_FALSE(back->metrics[1].value);
  EXPECT_EQ(back->metrics[1].message, "prom: no data");
  EXPECT_EQ(toJson(*back), j);
}

TEST(Measurement, MalformedJsonIsAnError) {
  EXPECT_FALSE(measurementFromJson(nlohmann::json::array()));
  EXPECT_FALSE(measurementFromJson({{"verdict", "Maybe"}}));
  EXPECT_FALSE(measurementFromJson({{"verdict", 3}}));
  EXPECT_FALSE(measurementFromJson({{"verdict", "Failed"}, {"canaryRequests", -1}}));
  EXPECT_FALSE(measurementFromJson({{"verdict", "Failed"}, {"metrics", {{{"verdict", "Failed"}, {"value", "x"}}}}}));
  EXPECT_FALSE(measurementFromJson({{"verdict", "Failed"}, {"metrics", {1}}}));
  auto unknown = verdictFromName("Maybe");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "unknown verdict 'Maybe': expected Successful, Failed or Inconclusive");
  EXPECT_EQ(verdictFromName("Inconclusive"), Verdict::kInconclusive);
}

}  // namespace
}  // namespace rollway::analysis
