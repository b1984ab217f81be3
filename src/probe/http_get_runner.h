#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "rollway/probe/probe_runner.h"

namespace rollway::probe {

// httpGet: `GET path HTTP/1.1` with Host, User-Agent: rollway-probe/1, Connection: close
// and the configured httpHeaders (which override those of the same name); the response
// is read with the strict http::ResponseParser (body up to 10 KiB, as Kubernetes reads).
// 200-399 = success; any other status, a connect error or a malformed response = failure;
// the whole exchange is bounded by timeoutSeconds.
class HttpGetRunner final : public ProbeRunner {
 public:
  HttpGetRunner(asio::io_context& io, const spec::HttpGetAction& action, const ProbeEndpoint& instance,
                std::chrono::seconds timeout);
  ~HttpGetRunner() override;
  void run(Callback done) override;
  void cancel() override;

  // The request bytes this runner sends (tests).
  const std::string& requestBytes() const { return request_; }

 private:
  class Exchange;

  asio::io_context& io_;
  std::string host_;
  int port_;
  std::chrono::seconds timeout_;
  std::string request_;
  std::shared_ptr<Exchange> current_;
};

}  // namespace rollway::probe
