#include "rollway/common/random.h"
#include "rollway/common/clock.h"

#include <chrono>

#include <gtest/gtest.h>

namespace rollway {
namespace {

TEST(Random, SeededIsRepeatable) {
  SeededRandom a(42), b(42);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next(), b.next());
}

TEST(Random, SuffixUsesTheKubernetesAlphabet) {
  SeededRandom r(7);
  for (int i = 0; i < 100; ++i) {
    auto s = r.suffix(5);
    ASSERT_EQ(s.size(), 5u);
    for (char c : s) EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos) << s;
  }
}

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto t0 = clock.now();
  auto w0 = clock.wallNow();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(std::chrono::seconds(3));
  EXPECT_EQ(clock.now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(clock.wallNow() - w0, std::chrono::seconds(3));
}

}  // namespace
}  // namespace rollway
