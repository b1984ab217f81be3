#include "client_connection.h"

#include <algorithm>
#include <charconv>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include "message_rules.h"
#include "rollway/http/message.h"
#include "rollway/http/status.h"
#include "split.h"
#include "worker.h"

namespace rollway::proxy {

using detail::appendStatusLine;
using detail::isHopByHop;
using detail::kNoThrow;
using detail::kReadChunk;
using detail::listedInConnection;

namespace {

using Clock = std::chrono::steady_clock;
// Interim (1xx) responses tolerated before a final one; more is a broken upstream.
constexpr int kMaxInterimResponses = 8;

bool isIdempotent(int method) {
  switch (method) {
    case HTTP_GET:
    case HTTP_HEAD:
    case HTTP_OPTIONS:
    case HTTP_PUT:
    case HTTP_DELETE:
    case HTTP_TRACE: return true;
    default: return false;
  }
}

void appendHex(std::string& out, size_t n) {
  char buf[20];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, n, 16);
  (void)ec;
  out.append(buf, p);
}

}  // namespace

// Scope guards of the request path. Named types at namespace scope (not local structs)
// because they live in coroutine frames.
struct ActiveRequest {
  Worker& w;
  ~ActiveRequest() { w.requestEnd(); }
};
struct RetryScope {
  Worker& w;
  bool on;
  ~RetryScope() {
    if (on) w.retryEnd();
  }
};
struct InFlightScope {
  EndpointRuntime& e;
  RevisionCounters& c;
  ~InFlightScope() {
    e.end();
    c.inFlight.sub();
  }
};
struct ClearOnExit {
  UpstreamConnection*& c;
  ~ClearOnExit() { c = nullptr; }
};

void ClientConnection::Sink::onBody(const char* data, size_t length) {
  if (chunked) {
    appendHex(*out, length);
    out->append("\r\n");
    out->append(data, length);
    out->append("\r\n");
  } else {
    out->append(data, length);
  }
}

ClientConnection::ClientConnection(Worker& worker, asio::ip::tcp::socket socket, std::string listener)
    : worker_(worker),
      socket_(std::move(socket)),
      listener_(std::move(listener)),
      parser_(http::StreamParser::Kind::kRequest, worker.config().maxHeaderBytes),
      responseParser_(http::StreamParser::Kind::kResponse, worker.config().maxHeaderBytes),
      connectTimeout_(worker.config().connectTimeout),
      responseTimeout_(worker.config().responseTimeout),
      bodyTimeout_(worker.config().bodyTimeout),
      idleTimeout_(worker.config().idleTimeout) {
  asio::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) clientIp_ = remote.address().to_string();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  in_.resize(kReadChunk);
  requestSink_.out = &out_;
  responseSink_.out = &resp_;
  worker_.add(this);
}

ClientConnection::~ClientConnection() { worker_.remove(this); }

void ClientConnection::start() {
  asio::co_spawn(worker_.io(), [self = shared_from_this()]() { return self->run(); }, asio::detached);
}

void ClientConnection::setDeadline(std::chrono::milliseconds d) { deadline_ = Clock::now() + d; }

void ClientConnection::useTimeouts(const ServiceRoute* service) {
  const ProxyConfig& c = worker_.config();
  auto pick = [](int ms, std::chrono::milliseconds fallback) { return ms > 0 ? std::chrono::milliseconds(ms) : fallback; };
  connectTimeout_ = service ? pick(service->connectTimeoutMs, c.connectTimeout) : c.connectTimeout;
  responseTimeout_ = service ? pick(service->responseTimeoutMs, c.responseTimeout) : c.responseTimeout;
  bodyTimeout_ = service ? pick(service->bodyTimeoutMs, c.bodyTimeout) : c.bodyTimeout;
  idleTimeout_ = service ? pick(service->idleTimeoutMs, c.idleTimeout) : c.idleTimeout;
}

void ClientConnection::checkDeadline(Clock::time_point now) {
  if (now < deadline_) return;
  deadline_ = Clock::time_point::max();
  timedOut_ = true;
  asio::error_code ec;
  if (phase_ == Phase::kHold) {
    if (hold_) hold_->cancel();
    return;
  }
  if (current_ != nullptr) current_->socket.cancel(ec);
  socket_.cancel(ec);
}

void ClientConnection::wakeHold() {
  if (phase_ == Phase::kHold && hold_) hold_->cancel();
}

void ClientConnection::stopGracefully() {
  stopping_ = true;
  if (phase_ == Phase::kIdle) {
    asio::error_code ec;
    socket_.cancel(ec);
  }
}

void ClientConnection::compactInput() {
  if (inBegin_ == 0) return;
  std::memmove(in_.data(), in_.data() + inBegin_, inEnd_ - inBegin_);
  inEnd_ -= inBegin_;
  inBegin_ = 0;
}

bool ClientConnection::ensureInputSpace() {
  if (in_.size() - inEnd_ >= 1024) return true;
  if (!parser_.inMessage()) {
    compactInput();
  } else if (parser_.headDone() && inBegin_ > headEnd_) {
    // Streaming a body: the head stays where it is (its header spans are still used),
    // the body bytes already forwarded are dropped.
    std::memmove(in_.data() + headEnd_, in_.data() + inBegin_, inEnd_ - inBegin_);
    inEnd_ -= inBegin_ - headEnd_;
    inBegin_ = headEnd_;
  }
  if (in_.size() - inEnd_ >= 1024) return true;
  size_t limit = worker_.config().maxHeaderBytes + kReadChunk;
  if (in_.size() >= limit) return false;
  in_.resize(std::min(limit, in_.size() * 2));
  return true;
}

void ClientConnection::ensureUpstreamSpace() {
  // While a response head is being parsed its spans point into up_: the buffer may grow
  // (bounded by the parser's head limit) but not restart at 0. Past the head, consumed
  // body bytes are simply dropped.
  bool headPending = responseParser_.inMessage() && !responseParser_.headDone();
  if (upBegin_ == upEnd_ && !headPending) upBegin_ = upEnd_ = 0;
  if (up_.size() - upEnd_ >= 1024) return;
  if (!responseParser_.inMessage() && upBegin_ > 0) {
    std::memmove(up_.data(), up_.data() + upBegin_, upEnd_ - upBegin_);
    upEnd_ -= upBegin_;
    upBegin_ = 0;
  }
  if (up_.size() - upEnd_ < 1024) up_.resize(std::max<size_t>(kReadChunk, up_.size() * 2));
}

std::string_view ClientConnection::header(std::string_view name) const {
  for (const auto& h : parser_.head().headers) {
    if (h.name.length == name.size() && http::equalsIgnoreCase(h.name.in(in_.data()), name)) return h.value.in(in_.data());
  }
  return {};
}

std::string_view ClientConnection::cookie(std::string_view name) const {
  for (const auto& h : parser_.head().headers) {
    if (!http::equalsIgnoreCase(h.name.in(in_.data()), "cookie")) continue;
    std::string_view all = h.value.in(in_.data());
    size_t i = 0;
    while (i < all.size()) {
      while (i < all.size() && (all[i] == ' ' || all[i] == ';')) ++i;
      size_t eq = all.find('=', i);
      size_t end = all.find(';', i);
      if (end == std::string_view::npos) end = all.size();
      if (eq != std::string_view::npos && eq < end && all.substr(i, eq - i) == name) return all.substr(eq + 1, end - eq - 1);
      i = end + 1;
    }
  }
  return {};
}

asio::awaitable<void> ClientConnection::run() {
  auto self = shared_from_this();
  while (co_await readRequestHead()) {
    if (!co_await handleRequest()) break;
    if (stopping_ || worker_.stopping()) break;
  }
  phase_ = Phase::kDone;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  socket_.close(ec);
}

// Reads until a whole request head is parsed. false: the connection is over (closed,
// timed out or malformed; the error answer has been sent).
asio::awaitable<bool> ClientConnection::readRequestHead() {
  timedOut_ = false;
  phase_ = inBegin_ < inEnd_ ? Phase::kHead : Phase::kIdle;
  setDeadline(phase_ == Phase::kIdle ? idleTimeout_ : worker_.config().headerTimeout);
  if (!parser_.inMessage()) compactInput();
  http::StreamParser::Step step{http::StreamParser::Event::kNeedMore, 0};
  if (inBegin_ < inEnd_) {
    step = parser_.execute(in_.data(), inBegin_, inEnd_, nullptr);
    inBegin_ += step.consumed;
  }
  while (step.event == http::StreamParser::Event::kNeedMore) {
    if (stopping_ || worker_.stopping()) {
      if (!parser_.inMessage()) co_return false;
    }
    if (!ensureInputSpace()) {
      co_await respondError(431, "request line and headers too large", true);
      co_return false;
    }
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(in_.data() + inEnd_, in_.size() - inEnd_), kNoThrow);
    if (ec || n == 0) {
      if (timedOut_ && parser_.inMessage()) co_await respondError(408, "request head not received in time", true);
      co_return false;
    }
    if (phase_ == Phase::kIdle) {
      phase_ = Phase::kHead;
      setDeadline(worker_.config().headerTimeout);
    }
    inEnd_ += n;
    step = parser_.execute(in_.data(), inBegin_, inEnd_, nullptr);
    inBegin_ += step.consumed;
  }
  if (step.event == http::StreamParser::Event::kError) {
    co_await respondError(parser_.error().status, parser_.error().reason, true);
    co_return false;
  }
  headEnd_ = inBegin_;
  co_return true;  // kHead
}

asio::awaitable<bool> ClientConnection::respondError(int status, std::string_view reason, bool close) {
  std::string body = std::to_string(status) + " " + http::statusReason(status) + ": " + std::string(reason) + "\n";
  resp_.clear();
  appendStatusLine(resp_, status);
  resp_.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  resp_.append(std::to_string(body.size()));
  resp_.append(close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n");
  resp_.append(body);
  phase_ = Phase::kResponse;
  setDeadline(bodyTimeout_);
  responseStarted_ = true;
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(resp_), kNoThrow);
  resp_.clear();
  co_return !ec && !close;
}

void ClientConnection::buildUpstreamHead() {
  const auto& h = parser_.head();
  const char* b = in_.data();
  out_.clear();
  out_.append(llhttp_method_name(static_cast<llhttp_method_t>(h.method)));
  out_.push_back(' ');
  out_.append(h.target.in(b));
  out_.append(" HTTP/1.1\r\n");
  std::string_view connection = header("connection");
  std::string_view forwardedFor;
  for (const auto& hd : h.headers) {
    std::string_view name = hd.name.in(b);
    if (isHopByHop(name)) continue;
    if (name.size() == 15 && http::equalsIgnoreCase(name, "x-forwarded-for")) {
      forwardedFor = hd.value.in(b);
      continue;
    }
    if (name.size() == 17 && http::equalsIgnoreCase(name, "x-forwarded-proto")) continue;
    if (!connection.empty() && listedInConnection(connection, name)) continue;
    out_.append(name);
    out_.append(": ");
    out_.append(hd.value.in(b));
    out_.append("\r\n");
  }
  out_.append("X-Forwarded-For: ");
  if (!forwardedFor.empty()) {
    out_.append(forwardedFor);
    out_.append(", ");
  }
  out_.append(clientIp_);
  out_.append("\r\nX-Forwarded-Proto: http\r\n");
  if (h.chunked) out_.append("Transfer-Encoding: chunked\r\n");
  if (h.upgrade) {
    out_.append("Connection: upgrade\r\nUpgrade: ");
    out_.append(header("upgrade"));
    out_.append("\r\n");
  }
  out_.append("\r\n");
}

ClientConnection::Target ClientConnection::route(const RouteTable& table, const std::vector<std::string>& tried,
                                                 int64_t failedRevision) {
  Target t;
  assignedCookie_.clear();  // set again below when this table's service wants the cookie
  int listener = table.findListener(listener_);
  t.service = table.findService(listener, header("host"));
  if (t.service < 0) return t;
  const auto& service = table.services()[static_cast<size_t>(t.service)];
  const ServiceRoute& sr = *service.route;
  auto wasTried = [&](uint32_t id) {
    return std::find(tried.begin(), tried.end(), table.endpoints()[id].address) != tried.end();
  };
  const std::vector<uint32_t>* pool = &service.ready;
  if (sr.split == SplitMode::kWeights) {
    bool forced = false;
    for (const auto& m : sr.routes) {
      std::string_view v = m.header.empty() ? cookie(m.cookie) : header(m.header);
      if (!v.empty() && v == m.value) forced = true;
    }
    std::string_view key;
    if (!sr.stickyHeader.empty()) key = header(sr.stickyHeader);
    if (key.empty() && !sr.stickyCookie.empty()) key = cookie(sr.stickyCookie);
    if (key.empty() && !sr.stickyCookie.empty()) {
      // No key and a sticky cookie: the proxy assigns one (once per request, so that a
      // retry hashes the same way), routes by it and sets the cookie on the response.
      if (assignedKey_.empty()) assignStickyKey(assignedKey_, worker_.random());
      assignedCookie_ = sr.stickyCookie;
      key = assignedKey_;
    }
    uint32_t bucket = key.empty() ? static_cast<uint32_t>(worker_.random() % 10000) : stickyBucket(key);
    int r = pickWeightedRevision(sr, bucket, forced);
    // A retry after a canary failure goes to a stable revision when one can serve.
    if (r >= 0 && sr.revisions[static_cast<size_t>(r)].canary && sr.revisions[static_cast<size_t>(r)].revision == failedRevision) {
      for (size_t i = 0; i < sr.revisions.size(); ++i) {
        if (!sr.revisions[i].canary && !service.revisions[i].ready.empty()) r = static_cast<int>(i);
      }
    }
    if (r >= 0) {
      t.revision = r;
      pool = &service.revisions[static_cast<size_t>(r)].ready;
    }
  }
  t.counters = &worker_.revisionCounters(t.service, std::max(0, t.revision));
  // P2C over the candidates not tried yet and not ejected: two random picks, the one
  // with fewer outstanding requests on this worker wins. When every candidate is
  // ejected, ejection is ignored (better a likely failure than a certain 503).
  uint32_t candidates[64];
  size_t n = 0;
  auto now = Clock::now();
  auto collect = [&](const std::vector<uint32_t>& ids, bool skipEjected) {
    for (uint32_t id : ids) {
      if (n < 64 && !wasTried(id) && !(skipEjected && worker_.endpoint(id).ejected(now))) candidates[n++] = id;
    }
  };
  collect(*pool, true);
  if (n == 0) collect(service.ready, true);  // the chosen revision cannot serve: any other
  if (n == 0) collect(*pool, false);
  if (n == 0) collect(service.ready, false);
  if (n == 0) return t;
  uint32_t a = candidates[worker_.random() % n];
  if (n > 1) {
    uint32_t b = candidates[worker_.random() % n];
    if (worker_.endpoint(b).outstanding() < worker_.endpoint(a).outstanding()) a = b;
  }
  t.endpoint = static_cast<int>(a);
  t.revision = table.endpoints()[a].revision;
  t.counters = &worker_.revisionCounters(t.service, t.revision);
  return t;
}

void ClientConnection::finishRequest(int status, const Target& target) {
  RevisionCounters& c = target.counters != nullptr ? *target.counters : worker_.unroutedCounters();
  c.byClass[static_cast<size_t>(std::clamp(status / 100, 0, 5))].add();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
  c.recordLatency(static_cast<uint64_t>(std::max<int64_t>(0, micros)));
  if (std::string* log = worker_.accessLog()) appendAccessLog(*log, status, target, micros);
}

namespace {
void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(ch));
    } else if (ch < 0x20 || ch >= 0x7f) {
      out.append("\\u00");
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    } else {
      out.push_back(static_cast<char>(ch));
    }
  }
  out.push_back('"');
}
}  // namespace

void ClientConnection::appendAccessLog(std::string& out, int status, const Target& target, int64_t micros) {
  const auto& h = parser_.head();
  auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
  out.append("{\"timeMs\":");
  out.append(std::to_string(wall));
  out.append(",\"client\":");
  appendJsonString(out, clientIp_);
  out.append(",\"method\":");
  appendJsonString(out, llhttp_method_name(static_cast<llhttp_method_t>(h.method)));
  out.append(",\"target\":");
  appendJsonString(out, h.target.in(in_.data()));
  out.append(",\"host\":");
  appendJsonString(out, header("host"));
  out.append(",\"status\":");
  out.append(std::to_string(status));
  if (table_ && target.service >= 0) {
    const auto& service = table_->services()[static_cast<size_t>(target.service)];
    out.append(",\"service\":");
    appendJsonString(out, service.route->name);
    if (target.revision >= 0) {
      out.append(",\"revision\":");
      out.append(std::to_string(service.revisions[static_cast<size_t>(target.revision)].number));
    }
    if (target.endpoint >= 0) {
      out.append(",\"endpoint\":");
      appendJsonString(out, table_->endpoints()[static_cast<size_t>(target.endpoint)].address);
    }
  }
  out.append(",\"durationUs\":");
  out.append(std::to_string(micros));
  out.append("}\n");
  if (out.size() > 64 * 1024) worker_.flushAccessLog();
}

asio::awaitable<std::unique_ptr<UpstreamConnection>> ClientConnection::connect(EndpointRuntime& endpoint, bool fresh) {
  if (!fresh) {
    if (auto pooled = endpoint.takeIdle()) co_return pooled;
  }
  auto up = std::make_unique<UpstreamConnection>(worker_.io(), endpoint);
  phase_ = Phase::kConnect;
  timedOut_ = false;
  setDeadline(connectTimeout_);
  current_ = up.get();
  auto [ec] = co_await up->socket.async_connect(endpoint.target(), kNoThrow);
  current_ = nullptr;
  if (ec) co_return nullptr;
  asio::error_code ignored;
  up->socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  co_return up;
}

asio::awaitable<bool> ClientConnection::handleRequest() {
  const auto& h = parser_.head();
  started_ = Clock::now();
  requestKeepAlive_ = h.keepAlive;
  isHead_ = h.method == HTTP_HEAD;
  idempotent_ = isIdempotent(h.method);
  sentContinue_ = false;
  closeAfter_ = false;
  responseStarted_ = false;
  misframed_ = false;
  useTimeouts(nullptr);
  assignedKey_.clear();
  assignedCookie_.clear();
  buildUpstreamHead();

  // Whatever of the body is already here goes into out_ now; if that completes the
  // request, it can be replayed on another endpoint.
  requestSink_.chunked = h.chunked;
  requestComplete_ = false;
  {
    auto step = parser_.execute(in_.data(), inBegin_, inEnd_, &requestSink_);
    inBegin_ += step.consumed;
    if (step.event == http::StreamParser::Event::kError) {
      co_await respondError(parser_.error().status, parser_.error().reason, true);
      co_return false;
    }
    if (step.event == http::StreamParser::Event::kComplete || step.event == http::StreamParser::Event::kUpgrade) {
      requestComplete_ = true;
      if (h.chunked) out_.append("0\r\n\r\n");
    }
  }

  worker_.requestBegin();
  ActiveRequest active{worker_};

  std::vector<std::string> tried;  // endpoint addresses that failed this request
  int64_t failedRevision = -1;
  bool held = false;
  Target target;
  int lastStatus = 502;
  bool timedOutUpstream = false;
  bool fresh = false;  // the last attempt lost the stale keep-alive race: no pooled connection
  for (int attempt = 0; attempt < worker_.config().maxAttempts; ++attempt) {
    // Every retry is held to the retry budget (a storm of failures must not double the
    // load on the endpoints left); only a whole, buffered request can be replayed.
    if (attempt > 0 && (!requestComplete_ || !worker_.retryAllowed())) break;
    // Route with the worker's current table (ids and indices are only valid for it,
    // until the next co_await).
    table_ = worker_.table();
    target = route(*table_, tried, failedRevision);
    if (target.service < 0) {
      finishRequest(404, target);
      co_return co_await respondError(404, "no service is configured for this listener and Host", !requestComplete_);
    }
    // Hold: no ready endpoint at all — wait for one (a new table) up to holdTimeout.
    if (target.endpoint < 0 && tried.empty()) {
      const ServiceRoute& sr = *table_->services()[static_cast<size_t>(target.service)].route;
      auto holdUntil = started_ + std::chrono::milliseconds(sr.holdTimeoutMs);
      if (!held) {
        held = true;
        target.counters->held.add();
      }
      while (target.endpoint < 0 && target.service >= 0 && Clock::now() < holdUntil) {
        if (!hold_) hold_ = std::make_unique<asio::steady_timer>(worker_.io());
        phase_ = Phase::kHold;
        timedOut_ = false;
        deadline_ = holdUntil;
        hold_->expires_at(holdUntil);
        co_await hold_->async_wait(kNoThrow);
        table_ = worker_.table();
        target = route(*table_, tried, failedRevision);
      }
      if (target.service < 0) {
        finishRequest(404, target);
        co_return co_await respondError(404, "no service is configured for this listener and Host", !requestComplete_);
      }
    }
    if (target.endpoint < 0 && fresh && !tried.empty()) {
      // Nothing else to try after a stale pooled connection: the same endpoint again,
      // on a new connection (it closed an idle connection; it is not known to be down).
      tried.pop_back();
      target = route(*table_, tried, failedRevision);
    }
    if (target.endpoint < 0) break;
    useTimeouts(table_->services()[static_cast<size_t>(target.service)].route);
    EndpointRuntime& endpoint = worker_.endpoint(static_cast<uint32_t>(target.endpoint));
    RevisionCounters& counters = *target.counters;
    int64_t revisionNumber = table_->services()[static_cast<size_t>(target.service)]
                                 .revisions[static_cast<size_t>(target.revision)].number;
    if (attempt > 0) {
      counters.retries.add();
      worker_.retryBegin();
    }
    RetryScope retryScope{worker_, attempt > 0};

    endpoint.begin();
    counters.inFlight.add();
    InFlightScope inFlightScope{endpoint, counters};
    endpoint.requests.add();

    auto up = co_await connect(endpoint, fresh);
    fresh = false;
    if (!up) {
      endpoint.errors.add();
      endpoint.recordFailure(Clock::now());
      counters.upstreamErrors.add();
      tried.push_back(endpoint.address());
      failedRevision = revisionNumber;
      timedOutUpstream = timedOut_;
      lastStatus = timedOut_ ? 504 : 502;
      timedOut_ = false;
      continue;
    }
    bool retryable = false;
    int status = 0;
    staleConnection_ = false;
    bool ok = co_await exchange(up, retryable, status);
    if (ok) {
      if (misframed_) {
        // The answer went out whole, but the upstream wrote past its end (a body longer
        // than its Content-Length, a body to HEAD): those bytes were dropped, the
        // connection closed, and the endpoint is counted as failing.
        endpoint.errors.add();
        counters.upstreamErrors.add();
      } else {
        endpoint.recordSuccess();
      }
      finishRequest(status, target);
      co_return !closeAfter_ && requestKeepAlive_ && !stopping_ && socket_.is_open();
    }
    lastStatus = status != 0 ? status : (timedOut_ ? 504 : 502);
    if (staleConnection_ && retryable) {
      // A pooled connection the endpoint had already closed (the keep-alive race): not
      // counted as the endpoint's failure. The retry prefers another endpoint, and uses
      // a new connection (to this one when it is the only one left).
      // Its other pooled connections are likely closed too (an idle timeout, a restart,
      // a crash): they are dropped, so that the next requests connect anew (and a dead
      // instance is then ejected on its first refused connect) instead of retrying.
      endpoint.closeIdle();
      tried.push_back(endpoint.address());
      fresh = true;
      timedOut_ = false;
      continue;
    }
    endpoint.errors.add();
    if (status == 0) endpoint.recordFailure(Clock::now());  // reset or timeout, not a 502/503 answer
    counters.upstreamErrors.add();
    tried.push_back(endpoint.address());
    failedRevision = revisionNumber;
    timedOutUpstream = timedOut_;
    if (responseStarted_ || !socket_.is_open()) {
      // Part of the response already reached the client (or the client is gone): the
      // failure is counted as this revision's 5xx, and the connection closes — HTTP/1.1
      // has no other way to say the message is cut off; nothing more is written on it.
      finishRequest(lastStatus, target);
      co_return false;
    }
    if (!retryable) {
      // The upstream may have processed the request: it is not replayed.
      finishRequest(lastStatus, target);
      co_return co_await respondError(lastStatus, timedOutUpstream ? "upstream timed out" : "upstream failed", true);
    }
    timedOut_ = false;
  }
  finishRequest(target.endpoint < 0 && tried.empty() ? 503 : lastStatus, target);
  if (target.endpoint < 0 && tried.empty()) {
    co_return co_await respondError(503, "no ready endpoint for this service", !requestComplete_);
  }
  co_return co_await respondError(lastStatus, timedOutUpstream ? "upstream timed out" : "no upstream could answer",
                                  !requestComplete_);
}

// Sends the request on `up` and relays the answer. true: a response went to the client
// and `up` went back to its pool or was closed. false: failed; `retryable` says whether
// another endpoint may be tried (nothing reached the client and the request can be
// replayed); `status` is the upstream's 502/503 when that is why.
asio::awaitable<bool> ClientConnection::exchange(std::unique_ptr<UpstreamConnection>& upPtr, bool& retryable,
                                                 int& status) {
  UpstreamConnection& up = *upPtr;
  const auto& h = parser_.head();
  bool reused = up.requests > 0;
  current_ = &up;
  ClearOnExit clear{current_};
  upBegin_ = upEnd_ = 0;
  responseParser_.reset();
  if (isHead_) responseParser_.expectNoBody();

  phase_ = Phase::kUpstream;
  timedOut_ = false;
  setDeadline(bodyTimeout_);
  auto [wec, wn] = co_await asio::async_write(up.socket, asio::buffer(out_), kNoThrow);
  if (wec) {
    // Reset before the request was written: the upstream cannot have processed it.
    retryable = requestComplete_ && !timedOut_;
    co_return false;
  }
  ++up.requests;

  bool anyByte = false;
  if (!requestComplete_) {
    if (h.expectContinue && !sentContinue_) {
      // The client waits for 100 Continue before sending the body: ask the upstream.
      if (!co_await readResponseHead(up, anyByte)) {
        retryable = false;
        co_return false;
      }
      if (responseParser_.head().status == 100) {
        sentContinue_ = true;
        std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [cec, cn] = co_await asio::async_write(socket_, asio::buffer(cont), kNoThrow);
        if (cec) co_return false;
      } else {
        // A final answer without the body (417, 401, 413…): relay it, then close the
        // client connection, whose unread body we will not parse.
        closeAfter_ = true;
        bool reusable = false;
        Relay relay = co_await forwardResponse(up, reusable);
        status = relay == Relay::kUpstreamBroken ? 0 : responseParser_.head().status;
        asio::error_code ec;
        up.socket.close(ec);
        co_return relay != Relay::kUpstreamBroken;
      }
    }
    if (!co_await pumpRequestBody(up)) {
      retryable = false;
      co_return false;
    }
  }
  int interim = 0;
  for (;;) {
    if (!co_await readResponseHead(up, anyByte)) {
      // No answer. Replayed only when the upstream provably did not process the request
      // (as Envoy and HAProxy): a reused keep-alive connection that it had closed before
      // any response byte (the stale keep-alive race), and then only an idempotent
      // request or one without a body. A fresh connection that got the whole request,
      // a timeout or a garbled answer: the request may have run; 502/504, no replay.
      bool hasBody = h.chunked || (h.hasContentLength && h.contentLength > 0);
      staleConnection_ = !anyByte && !timedOut_ && reused;
      retryable = staleConnection_ && requestComplete_ && (idempotent_ || !hasBody);
      asio::error_code ec;
      up.socket.close(ec);
      co_return false;
    }
    int st = responseParser_.head().status;
    if (st < 100 || st > 599 || (st == 101 && !h.upgrade) || unknownTransferCoding()) {
      // Not a status code, switching protocols that the client never asked for, or a
      // body in a transfer coding the proxy cannot frame: a broken upstream.
      asio::error_code ec;
      up.socket.close(ec);
      co_return false;
    }
    if (st >= 100 && st < 200 && st != 101) {
      if (++interim > kMaxInterimResponses) {  // a 1xx storm: a broken upstream
        asio::error_code ec;
        up.socket.close(ec);
        co_return false;
      }
      // Interim responses: 100 only when the client asked for it; others are dropped.
      if (st == 100 && h.expectContinue && !sentContinue_) {
        sentContinue_ = true;
        std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [cec, cn] = co_await asio::async_write(socket_, asio::buffer(cont), kNoThrow);
        if (cec) co_return false;
      }
      continue;
    }
    if ((st == 502 || st == 503) && idempotent_ && requestComplete_ && worker_.retryAllowed()) {
      status = st;
      retryable = true;
      asio::error_code ec;
      up.socket.close(ec);
      co_return false;
    }
    break;
  }
  if (responseParser_.head().status == 101 && h.upgrade) {
    co_await tunnel(up);
    closeAfter_ = true;
    co_return true;
  }
  if (h.upgrade) {
    // The upstream declined the upgrade: the client connection goes on as HTTP.
    parser_.resumeAfterUpgrade();
  }
  bool reusable = false;
  Relay relay = co_await forwardResponse(up, reusable);
  if (relay == Relay::kUpstreamBroken) {
    // Cut off, stalled or garbled mid-response: an upstream failure (status 0), whether
    // or not the head already went out (responseStarted_ tells the caller).
    asio::error_code ec;
    up.socket.close(ec);
    co_return false;
  }
  status = responseParser_.head().status;
  if (relay == Relay::kClientGone) {
    closeAfter_ = true;  // the client went away; nothing to retry
    asio::error_code ec;
    up.socket.close(ec);
    co_return true;
  }
  if (reusable && !worker_.stopping()) {
    current_ = nullptr;
    up.endpoint->giveBack(std::move(upPtr), worker_.config().maxIdlePerEndpoint);
  } else {
    asio::error_code ec;
    up.socket.close(ec);
  }
  co_return true;
}

// Streams the rest of the request body from the client to the upstream.
asio::awaitable<bool> ClientConnection::pumpRequestBody(UpstreamConnection& up) {
  setDeadline(bodyTimeout_);
  for (;;) {
    if (!ensureInputSpace()) co_return false;
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(in_.data() + inEnd_, in_.size() - inEnd_), kNoThrow);
    if (ec || n == 0) co_return false;
    inEnd_ += n;
    out_.clear();
    auto step = parser_.execute(in_.data(), inBegin_, inEnd_, &requestSink_);
    inBegin_ += step.consumed;
    if (step.event == http::StreamParser::Event::kError) co_return false;
    bool done = step.event == http::StreamParser::Event::kComplete || step.event == http::StreamParser::Event::kUpgrade;
    if (done && parser_.head().chunked) out_.append("0\r\n\r\n");
    if (!out_.empty()) {
      auto [wec, wn] = co_await asio::async_write(up.socket, asio::buffer(out_), kNoThrow);
      if (wec) co_return false;
    }
    setDeadline(bodyTimeout_);
    if (done) {
      requestComplete_ = true;
      out_.clear();
      co_return true;
    }
  }
}

}  // namespace rollway::proxy
