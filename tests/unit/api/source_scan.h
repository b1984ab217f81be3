#pragma once

// Reading C++ sources and markdown tables just well enough to check docs/api.md against
// the code (status_docs_test.cc): the calls of one function with their arguments, and the
// backticked names in the cells of a table.

#include <string>
#include <vector>

namespace rollway::api::scan {

// `text` without its comments; string and character literals are kept as they are
// (raw strings too), so that "//" inside a literal is no comment.
std::string withoutComments(const std::string& text);

struct Call {
  int line = 0;                    // 1-based, of the name
  std::vector<std::string> args;   // top-level arguments, as written (trimmed)
};

// Every call (or declaration) `name(...)` in comment-free `code`, `name` not preceded by
// an identifier character. Arguments split at the commas outside (), [], {} and literals
// (not outside <>: an argument like `std::map<int, int>{}` would be split).
std::vector<Call> callsOf(const std::string& code, const std::string& name);

// The string literals in one argument: `a ? "X" : "Y"` gives {"X", "Y"}.
std::vector<std::string> stringLiterals(const std::string& arg);

// The markdown table that follows the line `heading`: one entry per body row, one entry
// per cell, the `backticked` words of that cell.
std::vector<std::vector<std::vector<std::string>>> tableAfter(const std::string& markdown,
                                                              const std::string& heading);

}  // namespace rollway::api::scan
