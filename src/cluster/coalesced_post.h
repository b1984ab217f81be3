#pragma once

#include <functional>
#include <memory>
#include <utility>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

namespace rollway::cluster {

// Runs `work` on the io_context once for any number of requests made before it runs —
// from any thread (a Mirror's watch calls it for every change). Nothing runs once this
// object is gone. Its flag is only touched on the io_context's thread.
class CoalescedPost {
 public:
  CoalescedPost(asio::io_context& io, std::function<void()> work) : io_(io), state_(std::make_shared<State>()) {
    state_->work = std::move(work);
  }
  ~CoalescedPost() { state_->work = nullptr; }  // on the io_context's thread, as the owner goes
  CoalescedPost(const CoalescedPost&) = delete;
  CoalescedPost& operator=(const CoalescedPost&) = delete;

  void request() {
    asio::post(io_, [this, weak = std::weak_ptr<State>(state_)] {
      auto state = weak.lock();
      if (!state || state->queued || !state->work) return;
      state->queued = true;
      asio::post(io_, [weak] {
        auto s = weak.lock();
        if (!s || !s->work) return;
        s->queued = false;
        s->work();
      });
    });
  }

 private:
  struct State {
    bool queued = false;
    std::function<void()> work;
  };
  asio::io_context& io_;
  std::shared_ptr<State> state_;
};

}  // namespace rollway::cluster
