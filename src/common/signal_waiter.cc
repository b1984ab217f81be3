#include "rollway/common/signal_waiter.h"

#include <pthread.h>

namespace rollway {

SignalWaiter::SignalWaiter(std::initializer_list<int> signals) {
  sigemptyset(&set_);
  for (int s : signals) sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int SignalWaiter::wait() {
  for (;;) {
    int sig = 0;
    if (sigwait(&set_, &sig) == 0) return sig;
  }
}

}  // namespace rollway
