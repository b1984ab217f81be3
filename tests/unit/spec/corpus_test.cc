// The spec corpus in tests/data: every valid file parses (and round-trips), every invalid
// file fails with an error naming what its first line says: "# expect: <text>".
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "rollway/spec/parser.h"
#include "rollway/spec/serialize.h"
#include "unit/spec/spec_test_util.h"

namespace rollway::spec {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> filesIn(const std::string& sub) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(testing::dataDir(sub))) {
    auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(Corpus, EveryValidFileParsesAndRoundTrips) {
  auto files = filesIn("valid");
  ASSERT_GE(files.size(), 5u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    auto parsed = parseServicesFile(path.string());
    ASSERT_TRUE(parsed) << parsed.error().str();
    ASSERT_FALSE(parsed->empty());
    for (const ServiceSpec& s : *parsed) {
      EXPECT_TRUE(validate(s, path.string()).empty());
      nlohmann::json j = toJson(s);
      auto again = parseServices(j.dump(), "roundtrip.json");
      ASSERT_TRUE(again) << again.error().str() << "\n" << j.dump(2);
      ASSERT_EQ(again->size(), 1u);
      EXPECT_EQ(again->front(), s) << j.dump(2);
      EXPECT_EQ(toJson(again->front()), j);
      auto fromYaml = parseServices(toYaml(j), "roundtrip.yaml");
      ASSERT_TRUE(fromYaml) << fromYaml.error().str() << "\n" << toYaml(j);
      EXPECT_EQ(fromYaml->front(), s) << toYaml(j);
    }
  }
}

TEST(Corpus, EveryInvalidFileFailsWithTheExpectedField) {
  auto files = filesIn("invalid");
  ASSERT_GE(files.size(), 30u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.string());
    std::string text = readFile(path);
    const std::string marker = "# expect: ";
    ASSERT_TRUE(text.starts_with(marker)) << "first line must be '# expect: <field path>'";
    std::string expect = text.substr(marker.size(), text.find('\n') - marker.size());
    ASSERT_FALSE(expect.empty());
    auto parsed = parseServicesFile(path.string());
    ASSERT_FALSE(parsed) << "accepted an invalid spec";
    const Error& e = parsed.error();
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
    EXPECT_NE(e.str().find(expect), std::string::npos) << "expected '" << expect << "' in:\n" << e.str();
    // One mistake per file: the corpus stays precise, and no error is reported twice.
    EXPECT_EQ(e.fields.size(), 1u) << e.str();
    for (const auto& field : e.fields) EXPECT_EQ(field.file, path.string());
    EXPECT_NE(e.message.find(path.string()), std::string::npos);
  }
}

TEST(Corpus, ExampleHelloIsValid) {
  auto path = testing::sourceDir() / "examples" / "hello" / "rollway.yaml";
  auto parsed = parseServicesFile(path.string());
  ASSERT_TRUE(parsed) << parsed.error().str();
  ASSERT_EQ(parsed->size(), 1u);
  const ServiceSpec& s = parsed->front();
  EXPECT_EQ(s.metadata.name, "hello");
  EXPECT_EQ(s.replicas, 3);
  EXPECT_EQ(s.listen, "127.0.0.1:8080");
  EXPECT_EQ(s.strategy.rollingUpdate.maxSurge, IntOrPercent::absolute(1));
  EXPECT_EQ(s.strategy.rollingUpdate.maxUnavailable, IntOrPercent::absolute(0));
  ASSERT_TRUE(s.tmpl.readinessProbe);
  EXPECT_EQ(s.tmpl.readinessProbe->httpGet.path, "/ready");
  EXPECT_EQ(s.tmpl.readinessProbe->periodSeconds, 1);
  ASSERT_TRUE(s.tmpl.livenessProbe);
  EXPECT_EQ(s.tmpl.livenessProbe->httpGet.path, "/healthz");
}

}  // namespace
}  // namespace rollway::spec
