#include "probe/http_get_runner.h"

#include <array>
#include <charconv>
#include <utility>

#include <asio/write.hpp>
#include <fmt/format.h>

#include "probe/tcp_connector.h"
#include "rollway/http/message.h"
#include "rollway/http/response_parser.h"

namespace rollway::probe {
namespace {

constexpr size_t kMaxBodyBytes = 10 * 1024;  // Kubernetes reads at most 10 KiB of a probe body
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxStatusLine = 256;

// "HTTP/1.1 200 OK" -> 200; 0 when it does not look like a status line.
int statusFromLine(std::string_view line) {
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/") return 0;
  int status = 0;
  auto code = line.substr(9, 3);
  auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), status);
  return ec == std::errc() && ptr == code.data() + code.size() ? status : 0;
}

}  // namespace

// One attempt: the connector plus the response being read.
class HttpGetRunner::Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<TcpConnector> connector, std::string request)
      : connector_(std::move(connector)),
        request_(std::move(request)),
        parser_(http::ParseLimits{.maxHeaderBytes = kMaxHeaderBytes, .maxBodyBytes = kMaxBodyBytes}) {
    parser_.setRequestMethod("GET");
  }

  void start() {
    connector_->start([self = shared_from_this()] { self->send(); });
  }
  void abandon() { connector_->abandon(); }

 private:
  void send() {
    asio::async_write(connector_->socket(), asio::buffer(request_),
                      [self = shared_from_this()](const std::error_code& ec, size_t) {
                        if (self->connector_->finished()) return;
                        if (ec) {
                          self->connector_->finish(ProbeOutcome::kFailure,
                                                   fmt::format("send to {}: {}", self->connector_->address(), ec.message()));
                          return;
                        }
                        self->read();
                      });
  }

  void read() {
    connector_->socket().async_read_some(
        asio::buffer(buffer_), [self = shared_from_this()](const std::error_code& ec, size_t n) {
          if (self->connector_->finished()) return;
          if (n > 0) {
            self->consume(std::string_view(self->buffer_.data(), n));
            if (self->connector_->finished()) return;
          }
          if (ec == asio::error::eof) {
            self->onEof();
          } else if (ec) {
            self->connector_->finish(ProbeOutcome::kFailure,
                                     fmt::format("read from {}: {}", self->connector_->address(), ec.message()));
          } else {
            self->read();
          }
        });
  }

  void consume(std::string_view bytes) {
    if (statusLine_.find('\n') == std::string::npos && statusLine_.size() < kMaxStatusLine) {
      statusLine_.append(bytes.substr(0, kMaxStatusLine - statusLine_.size()));
    }
    while (!bytes.empty()) {
      auto result = parser_.feed(bytes);
      if (result.status == http::ParseStatus::kError) return onParseError();
      if (result.status == http::ParseStatus::kNeedMore) return;
      http::Response response = parser_.take();
      bytes.remove_prefix(result.consumed);
      if (response.status >= 100 && response.status < 200) continue;  // interim: read on
      return onStatus(response.status);
    }
  }

  void onEof() {
    switch (parser_.feedEof()) {
      case http::ParseStatus::kComplete: return onStatus(parser_.take().status);
      case http::ParseStatus::kError: return onParseError();
      case http::ParseStatus::kNeedMore: break;
    }
    connector_->finish(ProbeOutcome::kFailure,
                       fmt::format("{}: connection closed before a response", connector_->address()));
  }

  void onParseError() {
    const auto& error = parser_.error();
    if (error.status == 413) {
      // The head was valid and the body is longer than we read: judge by the status.
      if (int status = statusFromLine(statusLine_); status != 0) return onStatus(status);
    }
    connector_->finish(ProbeOutcome::kFailure,
                       fmt::format("{}: malformed HTTP response: {}", connector_->address(), error.reason));
  }

  void onStatus(int status) {
    if (status >= 200 && status < 400) {
      connector_->finish(ProbeOutcome::kSuccess, fmt::format("HTTP probe succeeded with statuscode: {}", status));
    } else {
      connector_->finish(ProbeOutcome::kFailure, fmt::format("HTTP probe failed with statuscode: {}", status));
    }
  }

  std::shared_ptr<TcpConnector> connector_;
  std::string request_;
  http::ResponseParser parser_;
  std::array<char, 4096> buffer_{};
  std::string statusLine_;
};

HttpGetRunner::HttpGetRunner(asio::io_context& io, const spec::HttpGetAction& action, const ProbeEndpoint& instance,
                             std::chrono::seconds timeout)
    : io_(io),
      host_(action.host.empty() ? instance.host : action.host),
      port_(action.port != 0 ? action.port : instance.port),
      timeout_(timeout) {
  http::Request request;
  request.method = "GET";
  // (Built by concatenation: GCC 12 -O3 warns falsely (-Wrestrict) on string::insert(0, ...).)
  request.target = (action.path.empty() || action.path.front() != '/') ? std::string("/") + action.path : action.path;
  request.keepAlive = false;
  auto setDefault = [&](const char* name, std::string value) {
    for (const auto& header : action.httpHeaders) {
      if (http::equalsIgnoreCase(header.name, name)) return;
    }
    request.headers.push_back({name, std::move(value)});
  };
  bool ipv6 = host_.find(':') != std::string::npos;
  setDefault("Host", ipv6 ? fmt::format("[{}]:{}", host_, port_) : fmt::format("{}:{}", host_, port_));
  setDefault("User-Agent", "rollway-probe/1");
  setDefault("Connection", "close");
  for (const auto& header : action.httpHeaders) request.headers.push_back({header.name, header.value});
  request_ = http::serialize(request);
}

HttpGetRunner::~HttpGetRunner() { cancel(); }

void HttpGetRunner::run(Callback done) {
  cancel();
  auto connector = std::make_shared<TcpConnector>(io_, host_, port_, timeout_, std::move(done));
  current_ = std::make_shared<Exchange>(std::move(connector), request_);
  current_->start();
}

void HttpGetRunner::cancel() {
  if (current_) current_->abandon();
  current_.reset();
}

}  // namespace rollway::probe
