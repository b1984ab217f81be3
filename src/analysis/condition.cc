#include "rollway/analysis/condition.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

namespace rollway::analysis {

struct Condition::Node {
  enum class Kind { kNumber, kVariable, kNegate, kAdd, kSubtract, kMultiply, kDivide };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string variable;  // "canary.p99"
  std::shared_ptr<const Node> lhs, rhs;
};

namespace {

using Node = Condition::Node;
using NodePtr = std::shared_ptr<const Node>;

constexpr int kMaxDepth = 32;
// Binary operators in one condition. A chain `a - b - c - ...` is a tree as deep as it
// is long, and evaluating it recurses that deep: without a bound, a 30 kB condition
// overflowed the stack (found by the condition fuzzer).
constexpr int kMaxOperators = 64;

struct Token {
  enum class Kind { kNumber, kVariable, kArithmetic, kCompare, kOpen, kClose, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // the operator or the variable
  double number = 0;
  size_t pos = 0;
};

bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool isAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool isWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// "at 'p99 * 2'" / "at the end": where a complaint points.
std::string where(std::string_view text, size_t pos) {
  if (pos >= text.size()) return "at the end";
  return fmt::format("at '{}'", text.substr(pos, 20));
}

Result<double> unitFactor(std::string_view unit) {
  if (unit.empty() || unit == "s") return 1.0;
  if (unit == "ms") return 0.001;
  if (unit == "m") return 60.0;
  if (unit == "h") return 3600.0;
  if (unit == "%") return 0.01;
  return fail(ErrorCode::kInvalidArgument, "unknown unit '{}': use ms, s, m, h or %", unit);
}

Result<std::vector<Token>> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (isDigit(c) || c == '.') {
      size_t start = i;
      while (i < text.size() && isDigit(text[i])) ++i;
      if (i < text.size() && text[i] == '.') {
        size_t fraction = ++i;
        while (i < text.size() && isDigit(text[i])) ++i;
        if (i == fraction) return fail(ErrorCode::kInvalidArgument, "expected digits after '.' {}", where(text, i));
      }
      double number = std::strtod(std::string(text.substr(start, i - start)).c_str(), nullptr);
      size_t unitStart = i;
      while (i < text.size() && (isAlpha(text[i]) || text[i] == '%')) ++i;
      auto factor = unitFactor(text.substr(unitStart, i - unitStart));
      if (!factor) return fail(factor.error());
      t.kind = Token::Kind::kNumber;
      t.number = number * *factor;
    } else if (isAlpha(c) || c == '_') {
      size_t start = i;
      while (i < text.size() && isWordChar(text[i])) ++i;
      std::string_view scope = text.substr(start, i - start);
      if (scope != "canary" && scope != "stable") {
        return fail(ErrorCode::kInvalidArgument, "unknown name '{}': use canary.<metric> or stable.<metric>", scope);
      }
      if (i >= text.size() || text[i] != '.') {
        return fail(ErrorCode::kInvalidArgument, "'{}' must be followed by .<metric>", scope);
      }
      size_t metric = ++i;
      if (i < text.size() && (isAlpha(text[i]) || text[i] == '_')) {
        while (i < text.size() && isWordChar(text[i])) ++i;
      }
      if (i == metric) return fail(ErrorCode::kInvalidArgument, "expected a metric name {}", where(text, i));
      t.kind = Token::Kind::kVariable;
      t.text = std::string(text.substr(start, i - start));
    } else if (c == '<' || c == '>' || c == '=' || c == '!') {
      bool twoChars = i + 1 < text.size() && text[i + 1] == '=';
      if ((c == '=' || c == '!') && !twoChars) {
        return fail(ErrorCode::kInvalidArgument, "expected a comparison (<, <=, >, >=, ==, !=) {}", where(text, i));
      }
      t.kind = Token::Kind::kCompare;
      t.text = std::string(text.substr(i, twoChars ? 2 : 1));
      i += t.text.size();
    } else if (c == '+' || c == '-' || c == '*' || c == '/') {
      t.kind = Token::Kind::kArithmetic;
      t.text = std::string(1, c);
      ++i;
    } else if (c == '(' || c == ')') {
      t.kind = c == '(' ? Token::Kind::kOpen : Token::Kind::kClose;
      ++i;
    } else {
      return fail(ErrorCode::kInvalidArgument, "unexpected character '{}' {}", c, where(text, i));
    }
    tokens.push_back(std::move(t));
  }
  Token end;
  end.pos = text.size();
  tokens.push_back(end);
  return tokens;
}

// Recursive descent over the tokens:
//   condition := COMPARE expr | expr COMPARE expr
//   expr := term (('+'|'-') term)*     term := unary (('*'|'/') unary)*   (binaryLevel 0 and 1)
//   unary := '-'? primary              primary := NUMBER | VARIABLE | '(' expr ')'
class ConditionParser {
 public:
  ConditionParser(std::string_view text, std::vector<Token> tokens) : text_(text), tokens_(std::move(tokens)) {}

  Result<NodePtr> expression(int depth) { return binaryLevel(0, depth); }

  const Token& peek() const { return tokens_[index_]; }
  const Token& next() { return tokens_[index_ < tokens_.size() - 1 ? index_++ : index_]; }
  Error expected(std::string_view what) const {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{} {}", what, where(text_, peek().pos)), {}};
  }

 private:
  static NodePtr binary(Node::Kind kind, NodePtr lhs, NodePtr rhs) {
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->lhs = std::move(lhs);
    n->rhs = std::move(rhs);
    return n;
  }

  // Level 0 is expr ('+' '-'), level 1 is term ('*' '/'); both associate to the left.
  Result<NodePtr> binaryLevel(int level, int depth) {
    auto operand = [&] { return level == 0 ? binaryLevel(1, depth) : unary(depth); };
    auto lhs = operand();
    if (!lhs) return lhs;
    NodePtr tree = *lhs;
    for (auto kind = operatorOf(level); kind; kind = operatorOf(level)) {
      if (++operators_ > kMaxOperators) {
        return fail(ErrorCode::kInvalidArgument, "too many operators (at most {}) {}", kMaxOperators,
                    where(text_, peek().pos));
      }
      next();
      auto rhs = operand();
      if (!rhs) return rhs;
      tree = binary(*kind, tree, *rhs);
    }
    return tree;
  }

  // The operator of this level under the cursor, if any.
  std::optional<Node::Kind> operatorOf(int level) const {
    if (peek().kind != Token::Kind::kArithmetic) return std::nullopt;
    const char op = peek().text[0];
    if (level == 0 && (op == '+' || op == '-')) return op == '+' ? Node::Kind::kAdd : Node::Kind::kSubtract;
    if (level == 1 && (op == '*' || op == '/')) return op == '*' ? Node::Kind::kMultiply : Node::Kind::kDivide;
    return std::nullopt;
  }

  Result<NodePtr> unary(int depth) {
    if (peek().kind != Token::Kind::kArithmetic || peek().text != "-") return primary(depth);
    next();
    auto operand = primary(depth);
    if (!operand) return operand;
    auto n = std::make_shared<Node>();
    n->kind = Node::Kind::kNegate;
    n->lhs = *operand;
    return NodePtr(n);
  }

  Result<NodePtr> primary(int depth) {
    const Token& t = peek();
    if (t.kind == Token::Kind::kOpen) {
      if (depth >= kMaxDepth) return fail(ErrorCode::kInvalidArgument, "too many nested parentheses");
      next();
      auto inner = expression(depth + 1);
      if (!inner) return inner;
      if (peek().kind != Token::Kind::kClose) return tl::unexpected(expected("expected ')'"));
      next();
      return inner;
    }
    if (t.kind != Token::Kind::kNumber && t.kind != Token::Kind::kVariable) {
      return tl::unexpected(expected("expected a number or canary.<metric> / stable.<metric>"));
    }
    auto n = std::make_shared<Node>();
    n->kind = t.kind == Token::Kind::kNumber ? Node::Kind::kNumber : Node::Kind::kVariable;
    n->number = t.number;
    n->variable = t.text;
    next();
    return NodePtr(n);
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  int operators_ = 0;
  size_t index_ = 0;
};

void collectVariables(const NodePtr& node, std::set<std::string>& out) {
  if (!node) return;
  if (node->kind == Node::Kind::kVariable) out.insert(node->variable);
  collectVariables(node->lhs, out);
  collectVariables(node->rhs, out);
}

std::string knownVariables() {
  std::string names;
  for (const auto& name : conditionVariableNames()) names += (names.empty() ? "" : ", ") + name;
  return names;
}

Result<double> evaluateNode(const Node& node, const std::map<std::string, double>& vars) {
  switch (node.kind) {
    case Node::Kind::kNumber: return node.number;
    case Node::Kind::kVariable: {
      auto dot = node.variable.find('.');
      if (conditionVariableNames().count(node.variable.substr(dot + 1)) == 0) {
        return fail(ErrorCode::kInvalidArgument, "unknown variable '{}': after canary. or stable. use one of {}",
                    node.variable, knownVariables());
      }
      auto it = vars.find(node.variable);
      if (it == vars.end()) return fail(ErrorCode::kNotFound, "no value for {} in this window", node.variable);
      return it->second;
    }
    case Node::Kind::kNegate: {
      auto v = evaluateNode(*node.lhs, vars);
      if (!v) return v;
      return -*v;
    }
    default: break;
  }
  auto a = evaluateNode(*node.lhs, vars);
  if (!a) return a;
  auto b = evaluateNode(*node.rhs, vars);
  if (!b) return b;
  switch (node.kind) {
    case Node::Kind::kAdd: return *a + *b;
    case Node::Kind::kSubtract: return *a - *b;
    case Node::Kind::kMultiply: return *a * *b;
    default: break;
  }
  if (*b == 0) return fail(ErrorCode::kInvalidArgument, "division by zero");
  return *a / *b;
}

bool approxEqual(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

bool compare(double a, const std::string& op, double b) {
  bool equal = approxEqual(a, b);
  if (op == "==") return equal;
  if (op == "!=") return !equal;
  if (op == "<") return a < b && !equal;
  if (op == "<=") return a < b || equal;
  if (op == ">") return a > b && !equal;
  return a > b || equal;  // ">="
}

}  // namespace

const std::set<std::string>& conditionVariableNames() {
  static const std::set<std::string> kNames = {"errorRate", "successRate", "p50",   "p90",
                                               "p99",       "requests",    "probeSuccessRate", "value"};
  return kNames;
}

Result<Condition> Condition::parse(std::string_view text) {
  auto tokens = tokenize(text);
  if (!tokens) return fail(tokens.error());
  if (tokens->size() == 1) return fail(ErrorCode::kInvalidArgument, "the condition is empty");
  ConditionParser parser(text, std::move(*tokens));
  Condition c;
  c.text_ = std::string(text);
  if (parser.peek().kind != Token::Kind::kCompare) {
    auto left = parser.expression(0);
    if (!left) return fail(left.error());
    if (parser.peek().kind != Token::Kind::kCompare) {
      return fail(parser.expected("expected a comparison (<, <=, >, >=, ==, !=)"));
    }
    c.left_ = *left;
  }
  c.op_ = parser.next().text;
  if (parser.peek().kind == Token::Kind::kEnd) return fail(ErrorCode::kInvalidArgument, "expected a value after '{}'", c.op_);
  auto right = parser.expression(0);
  if (!right) return fail(right.error());
  if (parser.peek().kind != Token::Kind::kEnd) return fail(parser.expected("unexpected text"));
  c.right_ = *right;
  collectVariables(c.left_, c.variables_);
  collectVariables(c.right_, c.variables_);
  return c;
}

Result<bool> Condition::evaluate(const std::map<std::string, double>& vars, std::optional<double> value) const {
  double lhs = 0;
  if (left_) {
    auto v = evaluateNode(*left_, vars);
    if (!v) return fail(v.error());
    lhs = *v;
  } else if (value) {
    lhs = *value;
  } else {
    return fail(ErrorCode::kNotFound, "no value to compare with '{}'", text_);
  }
  auto rhs = evaluateNode(*right_, vars);
  if (!rhs) return fail(rhs.error());
  if (!std::isfinite(lhs) || !std::isfinite(*rhs)) {
    return fail(ErrorCode::kInvalidArgument, "'{}' compares a value that is not a finite number", text_);
  }
  return compare(lhs, op_, *rhs);
}

}  // namespace rollway::analysis
