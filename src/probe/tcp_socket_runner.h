#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "rollway/probe/probe_runner.h"

namespace rollway::probe {

class TcpConnector;

// tcpSocket: success when a TCP connection is established within timeoutSeconds.
class TcpSocketRunner final : public ProbeRunner {
 public:
  TcpSocketRunner(asio::io_context& io, std::string host, int port, std::chrono::seconds timeout);
  ~TcpSocketRunner() override;
  void run(Callback done) override;
  void cancel() override;

 private:
  asio::io_context& io_;
  std::string host_;
  int port_;
  std::chrono::seconds timeout_;
  std::shared_ptr<TcpConnector> current_;
};

}  // namespace rollway::probe
