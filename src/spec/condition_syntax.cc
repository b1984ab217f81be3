#include "spec/condition_syntax.h"

#include <cctype>

#include <fmt/format.h>

namespace rollway::spec {

namespace {

constexpr int kMaxNesting = 32;
constexpr int kMaxOperators = 64;  // as analysis::Condition (a longer chain is refused there)

class ConditionChecker {
 public:
  explicit ConditionChecker(std::string_view text) : text_(text) {}

  std::string run() {
    skipSpace();
    if (atEnd()) return "must not be empty";
    if (peekOperator().empty()) {
      if (!expr(0)) return error_;
      if (peekOperator().empty()) return at("expected a comparison (<, <=, >, >=, ==, !=)");
    }
    pos_ += peekOperator().size();
    skipSpace();
    if (atEnd()) return "expected a value after the comparison";
    if (!expr(0)) return error_;
    if (!atEnd()) return at("unexpected text");
    return "";
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }
  void skipSpace() {
    while (!atEnd() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) ++pos_;
  }
  std::string at(std::string_view what) const {
    if (atEnd()) return fmt::format("{} at the end", what);
    return fmt::format("{} at '{}'", what, text_.substr(pos_, 20));
  }
  bool failWith(std::string reason) {
    if (error_.empty()) error_ = std::move(reason);
    return false;
  }
  std::string_view peekOperator() const {
    for (std::string_view op : {"<=", ">=", "==", "!=", "<", ">"}) {
      if (text_.substr(pos_).starts_with(op)) return op;
    }
    return {};
  }

  bool countOperator() {
    if (++operators_ <= kMaxOperators) return true;
    return failWith(at(fmt::format("too many operators (at most {})", kMaxOperators)));
  }

  // expr := term (('+'|'-') term)*
  bool expr(int depth) {
    if (!term(depth)) return false;
    skipSpace();
    while (peek() == '+' || peek() == '-') {
      if (!countOperator()) return false;
      ++pos_;
      skipSpace();
      if (!term(depth)) return false;
      skipSpace();
    }
    return true;
  }

  // term := unary (('*'|'/') unary)*
  bool term(int depth) {
    if (!unary(depth)) return false;
    skipSpace();
    while (peek() == '*' || peek() == '/') {
      if (!countOperator()) return false;
      ++pos_;
      skipSpace();
      if (!unary(depth)) return false;
      skipSpace();
    }
    return true;
  }

  bool unary(int depth) {
    if (peek() == '-') {
      ++pos_;
      skipSpace();
    }
    return primary(depth);
  }

  bool primary(int depth) {
    char c = peek();
    if (c == '(') {
      if (depth >= kMaxNesting) return failWith("too many nested parentheses");
      ++pos_;
      skipSpace();
      if (!expr(depth + 1)) return false;
      if (peek() != ')') return failWith(at("expected ')'"));
      ++pos_;
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') return number();
    if (std::isalpha(static_cast<unsigned char>(c)) != 0) return name();
    return failWith(at("expected a number or canary.<metric> / stable.<metric>"));
  }

  bool number() {
    while (std::isdigit(static_cast<unsigned char>(peek())) != 0) ++pos_;
    if (peek() == '.') {
      ++pos_;
      std::size_t fraction = 0;
      while (std::isdigit(static_cast<unsigned char>(peek())) != 0) ++pos_, ++fraction;
      if (fraction == 0) return failWith(at("expected digits after '.'"));
    }
    std::size_t unitStart = pos_;
    while (std::isalpha(static_cast<unsigned char>(peek())) != 0 || peek() == '%') ++pos_;
    std::string_view unit = text_.substr(unitStart, pos_ - unitStart);
    if (!unit.empty() && unit != "ms" && unit != "s" && unit != "m" && unit != "h" && unit != "%") {
      return failWith(fmt::format("unknown unit '{}': use ms, s, m, h or %", unit));
    }
    return true;
  }

  bool name() {
    std::size_t start = pos_;
    auto identifier = [&] {
      std::size_t begin = pos_;
      if (std::isalpha(static_cast<unsigned char>(peek())) == 0 && peek() != '_') return false;
      while (std::isalnum(static_cast<unsigned char>(peek())) != 0 || peek() == '_') ++pos_;
      return pos_ > begin;
    };
    identifier();
    std::string_view scope = text_.substr(start, pos_ - start);
    if (scope != "canary" && scope != "stable") {
      return failWith(fmt::format("unknown name '{}': use canary.<metric> or stable.<metric>", scope));
    }
    if (peek() != '.') return failWith(fmt::format("'{}' must be followed by .<metric>", scope));
    ++pos_;
    if (!identifier()) return failWith(at("expected a metric name"));
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
  int operators_ = 0;
};

}  // namespace

std::string checkConditionSyntax(std::string_view text) { return ConditionChecker(text).run(); }

}  // namespace rollway::spec
