#include "rollway/common/timer.h"

#include <algorithm>
#include <optional>

#include <asio/steady_timer.hpp>

namespace rollway {

namespace {

// A generation number per arming: a completion of an earlier arming (cancelled, or
// already queued when it was re-armed) finds a newer generation and does nothing.
class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(asio::io_context& io) : timer_(io), generation_(std::make_shared<uint64_t>(0)) {}
  ~AsioTimer() override { ++*generation_; }

  void expireAfter(std::chrono::milliseconds delay, std::function<void()> fn) override {
    uint64_t mine = ++*generation_;
    timer_.expires_after(delay);
    timer_.async_wait([generation = std::weak_ptr<uint64_t>(generation_), mine, fn = std::move(fn)](
                          const asio::error_code& ec) {
      auto g = generation.lock();
      if (ec || !g || *g != mine) return;
      fn();
    });
  }

  void cancel() override {
    ++*generation_;
    timer_.cancel();
  }

 private:
  asio::steady_timer timer_;
  std::shared_ptr<uint64_t> generation_;
};

}  // namespace

std::unique_ptr<Timer> AsioTimers::make() { return std::make_unique<AsioTimer>(io_); }

struct ManualTimers::Slot {
  std::optional<SteadyTime> due;
  uint64_t order = 0;  // arming order: equal due times fire first-armed first
  std::function<void()> fn;
};

class ManualTimer final : public Timer {
 public:
  ManualTimer(ManualTimers& owner, std::shared_ptr<ManualTimers::Slot> slot) : owner_(owner), slot_(std::move(slot)) {}
  void expireAfter(std::chrono::milliseconds delay, std::function<void()> fn) override {
    slot_->due = owner_.clock_.now() + delay;
    slot_->order = ++owner_.nextOrder_;
    slot_->fn = std::move(fn);
  }
  void cancel() override {
    slot_->due.reset();
    slot_->fn = nullptr;
  }

 private:
  ManualTimers& owner_;
  std::shared_ptr<ManualTimers::Slot> slot_;
};

std::unique_ptr<Timer> ManualTimers::make() {
  auto slot = std::make_shared<Slot>();
  std::erase_if(slots_, [](const std::weak_ptr<Slot>& w) { return w.expired(); });
  slots_.push_back(slot);
  return std::make_unique<ManualTimer>(*this, std::move(slot));
}

size_t ManualTimers::fireDue() {
  // Those due now, in due order; a callback that arms a timer due at once is for the
  // next call (a poll re-armed at 0 ms would otherwise never let this return).
  struct Due {
    std::shared_ptr<Slot> slot;
    SteadyTime due;
    uint64_t order;
  };
  std::vector<Due> due;
  for (const auto& w : slots_) {
    auto s = w.lock();
    if (s && s->due && *s->due <= clock_.now()) due.push_back({s, *s->due, s->order});
  }
  std::sort(due.begin(), due.end(), [](const Due& a, const Due& b) {
    return a.due != b.due ? a.due < b.due : a.order < b.order;
  });
  size_t fired = 0;
  for (auto& d : due) {
    if (!d.slot->due || d.slot->order != d.order) continue;  // cancelled or re-armed by an earlier callback
    d.slot->due.reset();
    auto fn = std::move(d.slot->fn);
    d.slot->fn = nullptr;
    ++fired;
    if (fn) fn();
  }
  return fired;
}

size_t ManualTimers::armed() const {
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [](const std::weak_ptr<Slot>& w) {
    auto s = w.lock();
    return s && s->due;
  }));
}

}  // namespace rollway
