#pragma once

#include <set>

#include "rollway/common/result.h"

namespace rollway::supervisor {

// Hands out ${PORT} values from [first, last] (default 20000-29999). A port is skipped
// when it is already handed out and not released, or when binding 127.0.0.1:port fails
// (someone else uses it). The search continues after the last port handed out, so a
// port just released is not reused at once (its old connections may linger).
class PortAllocator {
 public:
  static constexpr int kDefaultFirst = 20000;
  static constexpr int kDefaultLast = 29999;

  explicit PortAllocator(int first = kDefaultFirst, int last = kDefaultLast);

  // kUnavailable when every port in the range is taken.
  Result<int> allocate();
  // Marks a port as handed out without probing it (instances adopted after a restart).
  void reserve(int port);
  void release(int port);
  bool handedOut(int port) const { return handed_out_.contains(port); }

  // True when 127.0.0.1:port can be bound right now.
  static bool bindable(int port);

 private:
  int first_;
  int last_;
  int next_;
  std::set<int> handed_out_;
};

}  // namespace rollway::supervisor
