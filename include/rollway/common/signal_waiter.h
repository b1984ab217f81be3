#pragma once

#include <signal.h>

#include <chrono>
#include <initializer_list>

namespace rollway {

// Takes process signals synchronously on the thread that calls wait(). Construct it on
// the main thread before starting any other thread: it blocks the signals for the
// process (threads inherit the mask) and ignores SIGPIPE, so sockets report EPIPE.
class SignalWaiter {
 public:
  SignalWaiter(std::initializer_list<int> signals);
  // The next of the signals (blocks until one arrives).
  int wait();
  // The next of the signals, or 0 when none arrives within `timeout`.
  int waitFor(std::chrono::milliseconds timeout);

 private:
  sigset_t set_{};
};

}  // namespace rollway
