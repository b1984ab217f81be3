#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace rollway::cli {

// The last `n` lines of `text` (a final line without '\n' counts); all of it when n < 0.
std::string_view lastLines(std::string_view text, int n);

// Prefixes every line of a stream of chunks with "[instance] ". Chunks may end in the
// middle of a line: that part waits for the rest. Without a prefix, bytes pass through.
class LinePrefixer {
 public:
  explicit LinePrefixer(std::string prefix) : prefix_(std::move(prefix)) {}
  // What can be printed now.
  std::string feed(std::string_view chunk);
  // The unfinished last line, completed with '\n' (when the stream ends).
  std::string flush();

 private:
  std::string prefix_;
  std::string pending_;
};

}  // namespace rollway::cli
