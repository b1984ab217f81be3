#include "probe/tcp_socket_runner.h"

#include <utility>

#include <fmt/format.h>

#include "probe/tcp_connector.h"

namespace rollway::probe {

TcpSocketRunner::TcpSocketRunner(asio::io_context& io, std::string host, int port, std::chrono::seconds timeout)
    : io_(io), host_(std::move(host)), port_(port), timeout_(timeout) {}

TcpSocketRunner::~TcpSocketRunner() { cancel(); }

void TcpSocketRunner::run(Callback done) {
  cancel();
  current_ = std::make_shared<TcpConnector>(io_, host_, port_, timeout_, std::move(done));
  std::weak_ptr<TcpConnector> weak = current_;
  current_->start([weak] {
    if (auto connector = weak.lock()) {
      connector->finish(ProbeOutcome::kSuccess, fmt::format("connected to {}", connector->address()));
    }
  });
}

void TcpSocketRunner::cancel() {
  if (current_) current_->abandon();
  current_.reset();
}

}  // namespace rollway::probe
