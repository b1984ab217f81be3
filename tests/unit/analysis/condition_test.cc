#include "rollway/analysis/condition.h"

#include <gtest/gtest.h>

#include "spec/condition_syntax.h"

namespace rollway::analysis {
namespace {

// Evaluates an absolute condition against `value`, or a relative one against `vars`.
bool holds(std::string_view text, std::optional<double> value, const std::map<std::string, double>& vars = {}) {
  auto c = Condition::parse(text);
  EXPECT_TRUE(c) << text << ": " << c.error().message;
  if (!c) return false;
  auto r = c->evaluate(vars, value);
  EXPECT_TRUE(r) << text << ": " << r.error().message;
  return r && *r;
}

std::string parseError(std::string_view text) {
  auto c = Condition::parse(text);
  EXPECT_FALSE(c) << text;
  return c ? "" : c.error().message;
}

std::string evaluateError(std::string_view text, const std::map<std::string, double>& vars,
                          std::optional<double> value = std::nullopt) {
  auto c = Condition::parse(text);
  EXPECT_TRUE(c) << text;
  if (!c) return "";
  auto r = c->evaluate(vars, value);
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().message;
}

TEST(Condition, EveryOperatorAbsolute) {
  EXPECT_TRUE(holds("< 0.01", 0.009));
  EXPECT_FALSE(holds("< 0.01", 0.01));
  EXPECT_TRUE(holds("<= 0.01", 0.01));
  EXPECT_FALSE(holds("<= 0.01", 0.0101));
  EXPECT_TRUE(holds("> 5", 5.5));
  EXPECT_FALSE(holds("> 5", 5));
  EXPECT_TRUE(holds(">= 5", 5));
  EXPECT_FALSE(holds(">= 5", 4.99));
  EXPECT_TRUE(holds("== 0", 0));
  EXPECT_FALSE(holds("== 0", 0.5));
  EXPECT_TRUE(holds("!= 1", 0));
  EXPECT_FALSE(holds("!= 1", 1));
  EXPECT_TRUE(holds("<0.01", 0));  // no space needed
  EXPECT_TRUE(holds("  >=  -1  ", -1));
}

TEST(Condition, EqualityToleratesRoundingOnly) {
  EXPECT_TRUE(holds("== 0.3", 0.1 + 0.2));
  EXPECT_TRUE(holds("<= 0.3", 0.1 + 0.2));
  EXPECT_FALSE(holds("< 0.3", 0.1 + 0.2));
  EXPECT_FALSE(holds("== 0.3", 0.3001));
}

TEST(Condition, Units) {
  EXPECT_TRUE(holds("<= 300ms", 0.3));
  EXPECT_FALSE(holds("<= 300ms", 0.301));
  EXPECT_TRUE(holds("== 2s", 2));
  EXPECT_TRUE(holds("== 1m", 60));
  EXPECT_TRUE(holds("== 1.5h", 5400));
  EXPECT_TRUE(holds(">= 98%", 0.98));
  EXPECT_FALSE(holds(">= 98%", 0.979));
  EXPECT_TRUE(holds("== .5", 0.5));
  EXPECT_TRUE(holds("== 1s + 500ms", 1.5));
  EXPECT_TRUE(holds("== 1 - 1%", 0.99));
}

TEST(Condition, PrecedenceAndAssociativity) {
  EXPECT_TRUE(holds("== 2 + 3 * 4", 14));
  EXPECT_TRUE(holds("== (2 + 3) * 4", 20));
  EXPECT_TRUE(holds("== 10 - 4 - 3", 3));
  EXPECT_TRUE(holds("== 24 / 4 / 2", 3));
  EXPECT_TRUE(holds("== 2 * 3 + 4 * 5", 26));
  EXPECT_TRUE(holds("== 10 - 2 * 3", 4));
  EXPECT_TRUE(holds("== -2 * 3", -6));
  EXPECT_TRUE(holds("== 1 - -2", 3));
  EXPECT_TRUE(holds("== -(1 + 2)", -3));
  EXPECT_TRUE(holds("== ((((1))))", 1));
  EXPECT_TRUE(holds("== 8 / (2 * 2)", 2));
}

TEST(Condition, Relative) {
  std::map<std::string, double> vars = {{"canary.errorRate", 0.004}, {"stable.errorRate", 0.0},
                                        {"canary.p99", 0.240},       {"stable.p99", 0.200}};
  EXPECT_TRUE(holds("canary.errorRate <= stable.errorRate + 0.005", std::nullopt, vars));
  EXPECT_TRUE(holds("canary.p99 <= stable.p99 * 1.2", std::nullopt, vars));
  vars["canary.p99"] = 0.241;
  EXPECT_FALSE(holds("canary.p99 <= stable.p99 * 1.2", std::nullopt, vars));
  EXPECT_TRUE(holds("canary.p99 < (stable.p99 + 50ms) * 2", std::nullopt, vars));
  EXPECT_TRUE(holds("stable.p99 * 1.2 >= 240ms", std::nullopt, vars));
  // A relative condition ignores the metric's own value; canary.value carries it.
  EXPECT_TRUE(holds("canary.value > 3", 1.0, {{"canary.value", 4}}));
}

TEST(Condition, Introspection) {
  auto abs = Condition::parse("< 1%");
  ASSERT_TRUE(abs);
  EXPECT_FALSE(abs->relative());
  EXPECT_TRUE(abs->variables().empty());
  EXPECT_EQ(abs->text(), "< 1%");
  auto rel = Condition::parse("canary.p99 <= stable.p99 * 1.2 + stable.p50 - canary.p99");
  ASSERT_TRUE(rel);
  EXPECT_TRUE(rel->relative());
  EXPECT_EQ(rel->variables(), (std::set<std::string>{"canary.p99", "stable.p50", "stable.p99"}));
}

TEST(Condition, ParseErrorsSayWhatAndWhere) {
  EXPECT_EQ(parseError(""), "the condition is empty");
  EXPECT_EQ(parseError("   "), "the condition is empty");
  EXPECT_NE(parseError("0.01").find("expected a comparison"), std::string::npos);
  EXPECT_NE(parseError("<").find("expected a value after '<'"), std::string::npos);
  EXPECT_NE(parseError("< 1x").find("unknown unit 'x'"), std::string::npos);
  EXPECT_NE(parseError("< 5parsecs").find("unknown unit 'parsecs'"), std::string::npos);
  EXPECT_NE(parseError("foo.bar < 1").find("unknown name 'foo'"), std::string::npos);
  EXPECT_NE(parseError("canary < 1").find("'canary' must be followed by .<metric>"), std::string::npos);
  EXPECT_NE(parseError("canary. < 1").find("expected a metric name"), std::string::npos);
  EXPECT_NE(parseError("< (1").find("expected ')' at the end"), std::string::npos);
  EXPECT_NE(parseError("< 1)").find("unexpected text at ')'"), std::string::npos);
  EXPECT_NE(parseError("< 1 2").find("unexpected text at '2'"), std::string::npos);
  EXPECT_NE(parseError("1 < 2 < 3").find("unexpected text"), std::string::npos);
  EXPECT_NE(parseError("< 1.").find("expected digits after '.'"), std::string::npos);
  EXPECT_NE(parseError("= 1").find("expected a comparison"), std::string::npos);
  EXPECT_NE(parseError("< 1 # x").find("unexpected character '#'"), std::string::npos);
  EXPECT_NE(parseError("<< 1").find("expected a number"), std::string::npos);
  EXPECT_NE(parseError("< --1").find("expected a number"), std::string::npos);
  EXPECT_NE(parseError("canary.p99 <= stable.p99 *").find("at the end"), std::string::npos);
}

TEST(Condition, NestingIsBounded) {
  std::string ok = "< " + std::string(32, '(') + "1" + std::string(32, ')');
  EXPECT_TRUE(Condition::parse(ok));
  std::string deep = "< " + std::string(33, '(') + "1" + std::string(33, ')');
  EXPECT_EQ(parseError(deep), "too many nested parentheses");
  EXPECT_FALSE(Condition::parse("< " + std::string(100000, '(') + "1"));
}

// A long operator chain is a tree as deep as it is long: evaluating 15 000 terms
// overflowed the stack (the condition fuzzer's crash). Bounded at 64 operators.
TEST(Condition, OperatorChainsAreBounded) {
  std::string chain = "<";
  for (int i = 0; i < 64; ++i) chain += " 1 -";
  chain += " 1";
  ASSERT_TRUE(Condition::parse(chain));
  std::string longer = "< 1 * " + chain.substr(2);
  EXPECT_NE(parseError(longer).find("too many operators (at most 64)"), std::string::npos) << parseError(longer);
  std::string huge = "< 1";
  for (int i = 0; i < 15000; ++i) huge += "-1";
  EXPECT_FALSE(Condition::parse(huge));
  std::string terms = "canary.p99";
  for (int i = 0; i < 15000; ++i) terms += " + stable.p99";
  EXPECT_FALSE(Condition::parse(terms + " < 1"));
}

TEST(Condition, EvaluationErrorsAreValues) {
  EXPECT_EQ(evaluateError("< 1 / 0", {}, 0.5), "division by zero");
  EXPECT_EQ(evaluateError("canary.errorRate / stable.errorRate < 2",
                          {{"canary.errorRate", 0.1}, {"stable.errorRate", 0}}),
            "division by zero");
  std::string unknown = evaluateError("canary.latency < 1", {{"canary.latency", 1}});
  EXPECT_NE(unknown.find("unknown variable 'canary.latency'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("errorRate"), std::string::npos) << unknown;
  EXPECT_EQ(evaluateError("canary.p99 < stable.p99", {{"canary.p99", 1}}), "no value for stable.p99 in this window");
  EXPECT_NE(evaluateError("< 1", {}).find("no value to compare"), std::string::npos);
  EXPECT_NE(evaluateError("< 1", {}, std::numeric_limits<double>::infinity()).find("not a finite number"),
            std::string::npos);
  // The error kinds: a missing value is kNotFound (the analyzer explains why).
  auto c = Condition::parse("canary.p99 < stable.p99");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->evaluate({{"canary.p99", 1}}, std::nullopt).error().code, ErrorCode::kNotFound);
}

TEST(Condition, AcceptsExactlyWhatTheSpecAccepts) {
  for (const char* text :
       {"< 0.01", "<= 300ms", ">= 0.98", "> 5", "== 0", "!= 1", "<0.01", "< 1%", "< 2s", "< .5",
        "canary.errorRate <= stable.errorRate + 0.005", "canary.p99 <= stable.p99 * 1.2",
        "canary.p99 < (stable.p99 + 10ms) * 2", "  >=  -1  ", "canary.error_rate < 0.05", "", "   ", "0.01", "<",
        "< ", "< abc", "less than 1%", "< 1 2", "< 1x", "canary.p99", "canary.p99 <", "foo.bar < 1", "canary < 1",
        "canary. < 1", "<< 1", "< (1", "< 1)", "< 1..2", "< 1.", "canary.p99 <= stable.p99 *", "< - - 1",
        "== 1h - 2m * 3", "> -(canary.p50)", "< 1 / 0"}) {
    EXPECT_EQ(spec::checkConditionSyntax(text).empty(), Condition::parse(text).has_value()) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace rollway::analysis
