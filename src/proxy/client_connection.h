#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "rollway/http/stream_parser.h"
#include "route_table.h"
#include "upstream.h"

namespace rollway::proxy {

class Worker;
struct RevisionCounters;

// One client connection: reads requests in order (pipelining falls out of that),
// routes each, forwards it to an endpoint over a pooled connection, streams the
// response back. Runs as one coroutine on its worker's loop. Timeouts are deadlines
// checked by the worker's ticker, so the request path arms no timer.
class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(Worker& worker, asio::ip::tcp::socket socket, std::string listener);
  ~ClientConnection();

  void start();
  // Worker's ticker: cancels what is in progress when the current deadline passed.
  void checkDeadline(std::chrono::steady_clock::time_point now);
  // A new routing table arrived: a held request looks again.
  void wakeHold();
  // Graceful stop: an idle keep-alive connection is closed now; a busy one after its
  // current response (which carries Connection: close).
  void stopGracefully();
  bool idle() const { return phase_ == Phase::kIdle; }

 private:
  enum class Phase { kIdle, kHead, kHold, kConnect, kUpstream, kResponse, kTunnel, kDone };
  // How relaying a response ended.
  enum class Relay {
    kDone,            // the whole response reached the client
    kClientGone,      // the client stopped reading (or timed out)
    kUpstreamBroken,  // the upstream broke off, stalled or sent garbage mid-response
  };
  struct Target {
    int service = -1;   // indices into the table the request was routed with
    int revision = -1;
    int endpoint = -1;
    RevisionCounters* counters = nullptr;  // stable across table swaps
  };
  class Sink : public http::StreamParser::BodySink {
   public:
    std::string* out = nullptr;
    bool chunked = false;
    void onBody(const char* data, size_t length) override;
  };

  asio::awaitable<void> run();
  asio::awaitable<bool> readRequestHead();
  asio::awaitable<bool> handleRequest();
  asio::awaitable<bool> respondError(int status, std::string_view reason, bool close);
  asio::awaitable<bool> exchange(std::unique_ptr<UpstreamConnection>& up, bool& retryable, int& status);
  asio::awaitable<Relay> forwardResponse(UpstreamConnection& up, bool& reusable);
  asio::awaitable<void> tunnel(UpstreamConnection& up);
  static asio::awaitable<void> copyBytes(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to);
  asio::awaitable<bool> pumpRequestBody(UpstreamConnection& up);
  asio::awaitable<bool> readResponseHead(UpstreamConnection& up, bool& anyByte);
  // fresh: a new connection even when the pool has one.
  asio::awaitable<std::unique_ptr<UpstreamConnection>> connect(EndpointRuntime& endpoint, bool fresh);

  Target route(const RouteTable& table, const std::vector<std::string>& tried, int64_t failedRevision);
  void buildUpstreamHead();
  void buildResponseHead(bool& chunkOut);
  bool unknownTransferCoding() const;
  std::string_view header(std::string_view name) const;
  std::string_view cookie(std::string_view name) const;
  void setDeadline(std::chrono::milliseconds d);
  void useTimeouts(const ServiceRoute* service);
  void finishRequest(int status, const Target& target);
  void appendAccessLog(std::string& out, int status, const Target& target, int64_t micros);
  void compactInput();
  bool ensureInputSpace();
  void ensureUpstreamSpace();

  Worker& worker_;
  asio::ip::tcp::socket socket_;
  std::string listener_;
  std::string clientIp_;
  http::StreamParser parser_;
  http::StreamParser responseParser_;
  std::vector<char> in_;  // client bytes; [inBegin_, inEnd_) not yet consumed
  size_t inBegin_ = 0;
  size_t inEnd_ = 0;
  size_t headEnd_ = 0;    // where the current request's head ends in in_
  std::vector<char> up_;  // upstream bytes; [upBegin_, upEnd_) not yet consumed
  size_t upBegin_ = 0;
  size_t upEnd_ = 0;
  std::string out_;       // to the upstream: head + buffered body (kept for retries)
  std::string resp_;      // to the client
  Sink requestSink_;
  Sink responseSink_;
  // Stickiness without the application's help: the key the proxy assigned to this
  // keyless request (kept across its retries, so each attempt hashes the same way) and
  // the cookie to set with it on the response (empty: no Set-Cookie).
  std::string assignedKey_;
  std::string assignedCookie_;
  std::shared_ptr<const RouteTable> table_;  // the table this request was routed with
  UpstreamConnection* current_ = nullptr;    // for deadline cancellation
  std::unique_ptr<asio::steady_timer> hold_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point started_{};
  Phase phase_ = Phase::kIdle;
  bool timedOut_ = false;
  bool requestComplete_ = false;  // the whole request is in out_ (replayable)
  bool requestKeepAlive_ = true;
  bool closeAfter_ = false;
  bool stopping_ = false;
  bool sentContinue_ = false;
  bool isHead_ = false;
  bool idempotent_ = false;
  bool responseStarted_ = false;  // a byte of this request's response went to the client
  bool misframed_ = false;        // the upstream sent bytes after the end of its response
  bool staleConnection_ = false;  // a reused pooled connection closed before any response byte
  // The timeouts of the service being served (the proxy's flags when it sets none);
  // idleTimeout_ applies to the wait for the next request.
  std::chrono::milliseconds connectTimeout_;
  std::chrono::milliseconds responseTimeout_;
  std::chrono::milliseconds bodyTimeout_;
  std::chrono::milliseconds idleTimeout_;
};

}  // namespace rollway::proxy
