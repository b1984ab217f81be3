#include "source_scan.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace rollway::api::scan {

namespace {

bool identifierChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The index just past the literal that starts at text[i] (a '"' or '\''); R"d(...)d" too.
size_t skipLiteral(const std::string& text, size_t i) {
  char quote = text[i];
  if (quote == '"' && i > 0 && text[i - 1] == 'R') {
    size_t open = text.find('(', i);
    if (open == std::string::npos) return text.size();
    std::string close = ")" + text.substr(i + 1, open - i - 1) + "\"";
    size_t end = text.find(close, open);
    return end == std::string::npos ? text.size() : end + close.size();
  }
  for (size_t j = i + 1; j < text.size(); ++j) {
    if (text[j] == '\\') {
      ++j;
    } else if (text[j] == quote || text[j] == '\n') {
      return j + 1;
    }
  }
  return text.size();
}

// A quote that opens a literal: not a digit separator (1'000).
bool opensLiteral(const std::string& text, size_t i) {
  if (text[i] == '"') return true;
  return text[i] == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(text[i - 1])));
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\n");
  size_t b = s.find_last_not_of(" \t\n");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

}  // namespace

std::string withoutComments(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (opensLiteral(text, i)) {
      size_t end = skipLiteral(text, i);
      out += text.substr(i, end - i);
      i = end;
    } else if (text.compare(i, 2, "//") == 0) {
      i = text.find('\n', i);
      if (i == std::string::npos) i = text.size();
    } else if (text.compare(i, 2, "/*") == 0) {
      size_t end = text.find("*/", i + 2);
      end = end == std::string::npos ? text.size() : end + 2;
      for (size_t j = i; j < end; ++j) out += text[j] == '\n' ? '\n' : ' ';  // keeps line numbers
      i = end;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::vector<Call> callsOf(const std::string& code, const std::string& name) {
  std::vector<Call> calls;
  const std::string opening = name + "(";
  for (size_t at = 0; at < code.size();) {
    if (opensLiteral(code, at)) {
      at = skipLiteral(code, at);
      continue;
    }
    if (code.compare(at, opening.size(), opening) != 0 || (at > 0 && identifierChar(code[at - 1]))) {
      ++at;
      continue;
    }
    Call call;
    call.line = 1 + static_cast<int>(std::count(code.begin(), code.begin() + static_cast<long>(at), '\n'));
    int depth = 1;
    std::string current;
    size_t i = at + opening.size();
    while (i < code.size() && depth > 0) {
      char c = code[i];
      if (opensLiteral(code, i)) {
        size_t end = skipLiteral(code, i);
        current += code.substr(i, end - i);
        i = end;
        continue;
      }
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') --depth;
      if (depth == 0 || (c == ',' && depth == 1)) {
        call.args.push_back(trim(current));
        current.clear();
      } else {
        current += c;
      }
      ++i;
    }
    calls.push_back(std::move(call));
    at += opening.size();
  }
  return calls;
}

std::vector<std::string> stringLiterals(const std::string& arg) {
  std::vector<std::string> out;
  for (size_t i = 0; i < arg.size();) {
    if (arg[i] == '"') {
      size_t end = skipLiteral(arg, i);
      out.push_back(arg.substr(i + 1, end - i - 2));
      i = end;
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<std::vector<std::vector<std::string>>> tableAfter(const std::string& markdown, const std::string& heading) {
  std::vector<std::vector<std::vector<std::string>>> rows;
  std::istringstream in(markdown);
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    if (line == heading) {
      found = true;
      break;
    }
  }
  if (!found) return rows;
  bool inTable = false;
  int seen = 0;
  while (std::getline(in, line)) {
    if (line.rfind('|', 0) != 0) {
      if (inTable) break;  // the end of the table
      if (line.rfind("#", 0) == 0) break;  // the next section: no table here
      continue;
    }
    inTable = true;
    if (++seen <= 2) continue;  // the header row and the --- row
    std::vector<std::vector<std::string>> cells;
    std::istringstream cellsIn(line.substr(1));
    std::string cell;
    while (std::getline(cellsIn, cell, '|')) {
      std::vector<std::string> words;
      for (size_t i = cell.find('`'); i != std::string::npos; i = cell.find('`', i)) {
        size_t end = cell.find('`', i + 1);
        if (end == std::string::npos) break;
        words.push_back(cell.substr(i + 1, end - i - 1));
        i = end + 1;
      }
      cells.push_back(std::move(words));
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

}  // namespace rollway::api::scan
