#include "rollway/supervisor/port_allocator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "rollway/supervisor/unique_fd.h"

namespace rollway::supervisor {

PortAllocator::PortAllocator(int first, int last)
    : first_(std::clamp(first, 1, 65535)), last_(std::clamp(last, first_, 65535)), next_(first_) {}

bool PortAllocator::bindable(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return false;
  }
  // No SO_REUSEADDR: a port with lingering connections counts as taken (conservative).
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

Result<int> PortAllocator::allocate() {
  const int count = last_ - first_ + 1;
  for (int i = 0; i < count; ++i) {
    int port = next_;
    next_ = next_ == last_ ? first_ : next_ + 1;
    if (handed_out_.contains(port) || !bindable(port)) {
      continue;
    }
    handed_out_.insert(port);
    return port;
  }
  return fail(ErrorCode::kUnavailable, "no free port in {}-{} ({} handed out)", first_, last_,
              handed_out_.size());
}

void PortAllocator::reserve(int port) { handed_out_.insert(port); }

void PortAllocator::release(int port) { handed_out_.erase(port); }

}  // namespace rollway::supervisor
