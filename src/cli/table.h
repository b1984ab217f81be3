#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace rollway::cli {

// A kubectl-style plain table: upper-case headers, columns padded with three spaces.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void addRow(std::vector<std::string> row);
  void print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace rollway::cli
