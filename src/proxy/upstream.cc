#include "upstream.h"

#include <algorithm>

namespace rollway::proxy {

std::unique_ptr<UpstreamConnection> EndpointRuntime::takeIdle() {
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    asio::error_code ec;
    c->socket.cancel(ec);  // ends the idle read-wait (its handler sees the socket taken)
    if (c->socket.is_open()) return c;
  }
  return nullptr;
}

void EndpointRuntime::giveBack(std::unique_ptr<UpstreamConnection> connection, size_t maxIdle) {
  if (!accepting || idle_.size() >= maxIdle || !connection->socket.is_open()) {
    asio::error_code ec;
    connection->socket.close(ec);
    return;
  }
  UpstreamConnection* raw = connection.get();
  idle_.push_back(std::move(connection));
  watchIdle(raw);
}

// While pooled, a connection should be silent; readable means the instance closed it
// (or broke protocol): drop it from the pool so no request is ever sent on it.
void EndpointRuntime::watchIdle(UpstreamConnection* connection) {
  connection->socket.async_wait(asio::ip::tcp::socket::wait_read, [this, connection](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // taken out of the pool, or closed
    auto it = std::find_if(idle_.begin(), idle_.end(), [&](const auto& c) { return c.get() == connection; });
    if (it == idle_.end()) return;
    asio::error_code ignored;
    (*it)->socket.close(ignored);
    idle_.erase(it);
  });
}

void EndpointRuntime::recordFailure(std::chrono::steady_clock::time_point now) {
  ++consecutiveFailures_;
  auto backoff = std::chrono::milliseconds(250) * (1 << std::min(consecutiveFailures_ - 1, 6));
  ejectedUntil_ = now + std::min<std::chrono::milliseconds>(backoff, std::chrono::seconds(10));
  closeIdle();
}

void EndpointRuntime::closeIdle() {
  for (auto& c : idle_) {
    asio::error_code ec;
    c->socket.close(ec);
  }
  idle_.clear();
}

}  // namespace rollway::proxy
