#pragma once

// A metric's successCondition, parsed once and evaluated every window.
//   absolute:  OP expr          "< 0.01", "<= 300ms", ">= 98%": compares the metric's own value
//   relative:  expr OP expr     "canary.errorRate <= stable.errorRate + 0.005",
//                               "canary.p99 <= stable.p99 * 1.2"
// OP: < <= > >= == != (== and != compare with a relative tolerance of 1e-9).
// expr: numbers with an optional unit (ms, s, m, h → seconds; % → /100), variables
// canary.X / stable.X, + - * /, unary minus and parentheses; * and / bind tighter than
// + and -. The grammar is the one spec::checkConditionSyntax accepts.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway::analysis {

// The X of canary.X / stable.X that the analyzer provides ("value" = the metric's own
// value from its provider).
const std::set<std::string>& conditionVariableNames();

class Condition {
 public:
  struct Node;  // the expression tree (condition.cc)

  // kInvalidArgument with the reason and where, e.g. "expected ')' at the end".
  static Result<Condition> parse(std::string_view text);

  // `vars` maps "canary.errorRate", "stable.p99", ... to values; `value` is the metric's
  // own value (used by an absolute condition). A variable that is unknown or has no
  // value, a missing `value`, division by zero or a result that is not finite is an
  // error (the metric is then inconclusive), never a crash.
  Result<bool> evaluate(const std::map<std::string, double>& vars, std::optional<double> value) const;

  const std::string& text() const { return text_; }
  // True for "expr OP expr", false for "OP expr".
  bool relative() const { return left_ != nullptr; }
  // Every "canary.X" / "stable.X" the condition reads, sorted.
  const std::set<std::string>& variables() const { return variables_; }

 private:
  std::string text_;
  std::shared_ptr<const Node> left_;  // null for an absolute condition
  std::shared_ptr<const Node> right_;
  std::string op_;
  std::set<std::string> variables_;
};

}  // namespace rollway::analysis
