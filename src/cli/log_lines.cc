#include "log_lines.h"

namespace rollway::cli {

std::string_view lastLines(std::string_view text, int n) {
  if (n < 0) return text;
  if (n == 0) return {};
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;  // the final newline ends the last line
  size_t start = end;
  for (int found = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++found == n) break;
  }
  return text.substr(start);
}

std::string LinePrefixer::feed(std::string_view chunk) {
  if (prefix_.empty()) return std::string(chunk);
  pending_.append(chunk);
  std::string out;
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    out += prefix_;
    out.append(pending_, start, nl + 1 - start);
  }
  pending_.erase(0, start);
  return out;
}

std::string LinePrefixer::flush() {
  if (pending_.empty()) return "";
  std::string out = prefix_ + pending_ + '\n';
  pending_.clear();
  return out;
}

}  // namespace rollway::cli
