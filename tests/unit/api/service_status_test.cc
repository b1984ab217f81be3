#include "rollway/api/service_status.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace rollway::api {
namespace {

TEST(ServiceStatus, JsonRoundTripAndToleratesGarbage) {
  ServiceStatus s;
  s.revision = 3;
  s.phase = RolloutPhase::kPaused;
  s.canaryWeight = 30;
  s.aborted = true;
  s.abortReason = "error-rate 0.3 fails < 0.01";
  s.analysis = {{"verdict", "Failed"}};
  s.stableHash = "abc";
  EXPECT_EQ(statusFromJson(toJson(s).dump()), s);
  EXPECT_EQ(statusFromJson(std::string("not json")), ServiceStatus{});
  auto wrongTypes = statusFromJson(nlohmann::json{{"revision", "three"}, {"aborted", 1}, {"phase", 7}});
  EXPECT_EQ(wrongTypes.revision, 0);
  EXPECT_FALSE(wrongTypes.aborted);
  EXPECT_EQ(wrongTypes.phase, RolloutPhase::kProgressing);
}

TEST(ServiceStatus, EveryPhaseRoundTripsAsItsName) {
  for (RolloutPhase phase : kRolloutPhases) {
    ServiceStatus s;
    s.phase = phase;
    auto j = toJson(s);
    EXPECT_EQ(j["phase"], std::string(toString(phase)));
    EXPECT_EQ(statusFromJson(j).phase, phase);
    auto reply = parseStatusReply(j);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(*reply, s);
  }
}

TEST(ServiceStatus, AStoredUnknownPhaseKeepsTheDefault) {
  // A status stored by another version: the daemon reads it and rebuilds it.
  for (const char* phase : {"RolledBack", "Healthy", "", "complete"}) {
    auto s = statusFromJson(nlohmann::json{{"phase", phase}, {"revision", 4}});
    EXPECT_EQ(s.phase, RolloutPhase::kProgressing) << phase;
    EXPECT_EQ(s.revision, 4);
  }
}

TEST(ServiceStatus, AReplyWithAnUnknownPhaseIsAnError) {
  auto unknown = parseStatusReply(nlohmann::json{{"phase", "Scaling"}, {"revision", 4}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("unknown rollout phase 'Scaling'"), std::string::npos) << unknown.error().message;
  auto notAString = parseStatusReply(nlohmann::json{{"phase", 3}});
  ASSERT_FALSE(notAString);
  EXPECT_NE(notAString.error().message.find("status.phase is not a string"), std::string::npos);
  // No phase at all (an empty status of a service the controller has not seen yet), or
  // no object: defaults, as before.
  EXPECT_EQ(parseStatusReply(nlohmann::json::object()).value(), ServiceStatus{});
  EXPECT_EQ(parseStatusReply(nlohmann::json(nullptr)).value(), ServiceStatus{});
}

// Statuses as rollway 0.1 (before the phase enum) stored and served them, captured from a
// real daemon: each must read back with its phase and write out as the very same JSON, so
// that state DBs and watchers of that version keep working.
TEST(ServiceStatus, StatusesOfVersion01StillParseAndWriteBackUnchanged) {
  const char* dir = std::getenv("ROLLWAY_SOURCE_DIR");
  std::filesystem::path file = std::filesystem::path(dir && *dir ? dir : ".") / "tests/data/status/statuses_0.1.json";
  std::ifstream in(file);
  ASSERT_TRUE(in) << file;
  auto all = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(all.is_object()) << file;
  const std::map<std::string, RolloutPhase> expected{{"progressing", RolloutPhase::kProgressing},
                                                     {"complete", RolloutPhase::kComplete},
                                                     {"storedComplete", RolloutPhase::kComplete},
                                                     {"paused", RolloutPhase::kPaused},
                                                     {"failed", RolloutPhase::kFailed},
                                                     {"degraded", RolloutPhase::kDegraded}};
  ASSERT_EQ(all.size(), expected.size());
  for (const auto& [name, phase] : expected) {
    SCOPED_TRACE(name);
    const auto& stored = all.at(name);
    auto reply = parseStatusReply(stored);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->phase, phase);
    EXPECT_EQ(statusFromJson(stored.dump()), *reply);
    EXPECT_EQ(toJson(*reply), stored);
  }
  EXPECT_EQ(statusFromJson(all.at("degraded")).abortReason, "aborted by hand");
  EXPECT_EQ(statusFromJson(all.at("paused")).canaryWeight, 20);
}

TEST(ServiceStatus, ProgressMessage) {
  ServiceStatus s;
  s.replicas = 4;
  s.updatedReplicas = 2;
  s.availableReplicas = 3;
  s.totalReplicas = 5;
  s.terminatingReplicas = 1;
  EXPECT_EQ(progressMessage(s), "2 of 4 updated, 3 available, 3 old, 1 terminating");
}

}  // namespace
}  // namespace rollway::api
