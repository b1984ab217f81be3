#include "export/variables.h"

#include <gtest/gtest.h>

namespace rollway::exporter {
namespace {

Variables vars() {
  Variables v;
  v.fixed = {{"PORT", "8080"}, {"ROLLWAY_SERVICE", "web"}, {"ROLLWAY_VERSION", "v2"}};
  v.podOnly = {"ROLLWAY_INSTANCE", "ROLLWAY_REVISION"};
  v.templateEnv = {{"GREETING", "hi"}, {"NESTED", "x${PORT}"}};
  v.daemonEnv = {"PATH", "HOME", "LANG"};
  return v;
}

TEST(Variables, ArgsReferToTheContainersEnv) {
  EXPECT_EQ(translate("--port=${PORT}", vars(), Target::kArgs).text, "--port=$(PORT)");
  EXPECT_EQ(translate("${ROLLWAY_INSTANCE}", vars(), Target::kArgs).text, "$(ROLLWAY_INSTANCE)");
  EXPECT_EQ(translate("${GREETING}!", vars(), Target::kArgs).text, "$(GREETING)!");
  // rollway substitutes a template variable's raw value: kept raw when it holds a variable.
  EXPECT_EQ(translate("${NESTED}", vars(), Target::kArgs).text, "x$${PORT}");
}

TEST(Variables, LiteralDollarsAndUnknownVariablesStayLiteral) {
  EXPECT_EQ(translate("$(date)", vars(), Target::kArgs).text, "$$(date)");
  EXPECT_EQ(translate("$${PORT}", vars(), Target::kArgs).text, "$${PORT}");  // rollway's escape: literal ${PORT}
  EXPECT_EQ(translate("${NOPE}", vars(), Target::kArgs).text, "$${NOPE}");
  EXPECT_EQ(translate("a$b", vars(), Target::kArgs).text, "a$$b");
  EXPECT_EQ(translate("${unterminated", vars(), Target::kArgs).text, "$${unterminated");
  EXPECT_TRUE(translate("${NOPE}", vars(), Target::kArgs).unresolved.empty());
}

TEST(Variables, DaemonEnvironmentIsUnresolved) {
  auto out = translate("${HOME}/data", vars(), Target::kArgs);
  EXPECT_EQ(out.text, "$(HOME)/data");
  EXPECT_EQ(out.unresolved, std::set<std::string>{"HOME"});
}

TEST(Variables, EnvValuesInlineTheTemplatesRawValues) {
  EXPECT_EQ(translate("${GREETING} on ${PORT}", vars(), Target::kEnvValue).text, "hi on $(PORT)");
  EXPECT_EQ(translate("${NESTED}", vars(), Target::kEnvValue).text, "x$${PORT}");
}

TEST(Variables, ExecInlinesWhatIsKnownAndReportsThePodOnlyOnes) {
  auto out = translate("${PORT}:${ROLLWAY_SERVICE}:${GREETING}:${ROLLWAY_INSTANCE}:$x", vars(), Target::kExec);
  EXPECT_EQ(out.text, "8080:web:hi:${ROLLWAY_INSTANCE}:$x");
  EXPECT_EQ(out.unresolved, std::set<std::string>{"ROLLWAY_INSTANCE"});
  EXPECT_EQ(translate("$${PORT}", vars(), Target::kExec).text, "${PORT}");
}

}  // namespace
}  // namespace rollway::exporter
