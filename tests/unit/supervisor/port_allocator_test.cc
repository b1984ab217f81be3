#include "rollway/supervisor/port_allocator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include <gtest/gtest.h>

#include "rollway/supervisor/unique_fd.h"

namespace rollway::supervisor {
namespace {

// Binds and listens on 127.0.0.1:0; returns the fd and the port the kernel chose.
std::pair<UniqueFd, int> holdEphemeralPort() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd.get(), 1) != 0) {
    return {UniqueFd(), 0};
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return {std::move(fd), ntohs(addr.sin_port)};
}

// The first of `n` consecutive ports that are all free now (0 when none is found).
int freeRegion(int n) {
  for (int base = 31000 + (::getpid() % 997) * 20; base < 60000; base += n + 1) {
    bool free = true;
    for (int p = base; p < base + n && free; ++p) free = PortAllocator::bindable(p);
    if (free) return base;
  }
  return 0;
}

TEST(PortAllocator, SkipsAPortHeldBound) {
  auto [held, port] = holdEphemeralPort();
  ASSERT_TRUE(held.valid());
  EXPECT_FALSE(PortAllocator::bindable(port));
  PortAllocator ports(port, port + 20);
  auto got = ports.allocate();
  ASSERT_TRUE(got) << got.error().str();
  EXPECT_NE(*got, port);
  EXPECT_GT(*got, port);
  EXPECT_LE(*got, port + 20);
}

TEST(PortAllocator, SkipsHandedOutUntilReleased) {
  int base = freeRegion(3);
  ASSERT_NE(base, 0) << "no 3 consecutive free ports";
  int first = base;
  int last = base + 2;
  PortAllocator ports(first, last);
  std::set<int> got;
  for (int i = 0; i < 3; ++i) {
    auto p = ports.allocate();
    ASSERT_TRUE(p) << "ports near " << base << ": " << p.error().str();
    EXPECT_TRUE(ports.handedOut(*p));
    got.insert(*p);
  }
  EXPECT_EQ(got.size(), 3u);
  auto none = ports.allocate();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kUnavailable);
  ports.release(first + 1);
  auto again = ports.allocate();
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ(*again, first + 1);
}

TEST(PortAllocator, ReserveMarksAdoptedPorts) {
  int base = freeRegion(2);
  ASSERT_NE(base, 0) << "no 2 consecutive free ports";
  PortAllocator ports(base, base + 1);
  ports.reserve(base);
  auto p = ports.allocate();
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(*p, base + 1);
}

TEST(PortAllocator, DefaultRange) {
  PortAllocator ports;
  auto p = ports.allocate();
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_GE(*p, 20000);
  EXPECT_LE(*p, 29999);
}

}  // namespace
}  // namespace rollway::supervisor
