#include "net/connection.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <utility>

#include "rollway/http/stream_parser.h"
#include "rollway/net/json_reply.h"

namespace rollway::net {
namespace {

constexpr auto kLingerTime = std::chrono::seconds(1);
// After refusing an unauthenticated request: what is discarded before closing anyway.
constexpr size_t kRefusedLingerBytes = 64 * 1024;

// The end of a request head (after its blank line) in `bytes`, or npos.
size_t headEnd(std::string_view bytes) {
  size_t crlf = bytes.find("\r\n\r\n");
  size_t lf = bytes.find("\n\n");  // invalid (bare LF), but complete: the parser says why
  size_t end = std::string_view::npos;
  if (crlf != std::string_view::npos) end = crlf + 4;
  if (lf != std::string_view::npos && (end == std::string_view::npos || lf + 2 < end)) end = lf + 2;
  return end;
}

http::Response errorResponse(int status, std::string message) {
  ErrorCode code = status == 401   ? ErrorCode::kUnauthenticated
                   : status >= 500 ? ErrorCode::kInternal
                                   : ErrorCode::kInvalidArgument;
  http::Response response = errorReply(Error{code, std::move(message), {}});
  response.status = status;
  return response;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  // Time depends only on the length of `b` (the expected token), not on where they differ.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

// Shared by all copies of one Responder: answers once, from any thread; a Responder
// dropped without being called answers 500 so the connection never stalls.
class ResponderState {
 public:
  ResponderState(std::weak_ptr<Connection> connection, uint64_t sequence, std::shared_ptr<PostGate> gate)
      : connection_(std::move(connection)), sequence_(sequence), gate_(std::move(gate)) {}
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;
  ~ResponderState() {
    if (!done_.load()) {
      deliver(errorResponse(500, "the handler dropped the request without answering it"));
    }
  }

  void deliver(http::Response response) {
    if (done_.exchange(true)) return;
    std::lock_guard lock(gate_->mutex);
    if (!gate_->open) return;
    asio::post(gate_->io, [connection = connection_, sequence = sequence_,
                           response = std::move(response)]() mutable {
      if (auto alive = connection.lock()) alive->complete(sequence, std::move(response));
    });
  }

 private:
  std::weak_ptr<Connection> connection_;
  uint64_t sequence_;
  std::shared_ptr<PostGate> gate_;
  std::atomic<bool> done_{false};
};

}  // namespace

Connection::Connection(Socket socket, ConnectionContext& context, bool requireToken)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      headTimer_(socket_.get_executor()),
      context_(context),
      requireToken_(requireToken),
      parser_(http::ParseLimits{context.options->maxHeaderBytes, context.options->maxBodyBytes}) {}

void Connection::start() {
  armIdleTimer();
  doRead();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
  headTimer_.cancel();
  slots_.clear();
  if (context_.onClosed) context_.onClosed(this);
}

void Connection::doRead() {
  if (closed_ || reading_) return;
  reading_ = true;
  socket_.async_read_some(asio::buffer(readBuffer_),
                          [self = shared_from_this()](const asio::error_code& ec, size_t bytes) {
                            self->onRead(ec, bytes);
                          });
}

void Connection::onRead(const asio::error_code& ec, size_t bytes) {
  reading_ = false;
  if (closed_) return;
  if (lingering_) {
    lingered_ += bytes;
    if (ec || lingered_ > lingerLimit_) {
      close();
    } else {
      doRead();  // discard what the client still sends, until EOF or the linger timer
    }
    return;
  }
  if (ec) {
    readingDone_ = true;
    if (ec != asio::error::eof) {
      close();
      return;
    }
    // EOF: answer what was already received (half-close), then close.
    pump();
    return;
  }
  input_.append(readBuffer_.data(), bytes);
  armIdleTimer();
  processBuffer();
}

void Connection::processBuffer() {
  while (!closed_ && !readingDone_) {
    if (slots_.size() >= kMaxPipelined) {
      readPaused_ = true;
      return;
    }
    if (!headAdmitted_ && !admitHead()) return;
    http::FeedResult result = parser_.feed(input_);
    if (result.status == http::ParseStatus::kNeedMore) {
      input_.clear();
      doRead();
      return;
    }
    if (result.status == http::ParseStatus::kError) {
      readingDone_ = true;
      input_.clear();
      const http::ParseError& error = parser_.error();
      context_.logger->debug("api: bad request ({}): {}", error.status, error.reason);
      queueError(error.status, error.reason, true);
      return;
    }
    input_.erase(0, result.consumed);
    headAdmitted_ = false;  // the next request's head is checked again
    http::Request request = parser_.take();
    bool keepAlive = request.keepAlive;
    dispatch(std::move(request));
    if (!keepAlive) {
      readingDone_ = true;
      input_.clear();
    }
  }
}

bool Connection::admitHead() {
  if (input_.empty()) {
    doRead();
    return false;
  }
  armHeadTimer();
  size_t end = headEnd(input_);
  if (end == std::string::npos) {
    // An oversized head goes to the parser, which answers 431.
    if (input_.size() <= context_.options->maxHeaderBytes) {
      doRead();
      return false;
    }
    end = input_.size();
  }
  headTimer_.cancel();
  headTimerArmed_ = false;
  headAdmitted_ = true;
  if (!requireToken_) return true;
  http::StreamParser head(http::StreamParser::Kind::kRequest, context_.options->maxHeaderBytes);
  auto step = head.execute(input_.data(), 0, end, nullptr);
  if (step.event != http::StreamParser::Event::kHead && step.event != http::StreamParser::Event::kComplete) {
    return true;  // not a valid head: the parser answers 400/431 as usual
  }
  std::optional<std::string> token;
  for (const auto& h : head.head().headers) {
    if (http::equalsIgnoreCase(h.name.in(input_.data()), "Authorization")) token = std::string(h.value.in(input_.data()));
  }
  if (authorizedValue(token ? &*token : nullptr)) return true;
  refuseUnauthorized();
  return false;
}

// 401, then close without reading the body: at most kRefusedLingerBytes more are
// discarded while the response leaves.
void Connection::refuseUnauthorized() {
  readingDone_ = true;
  input_.clear();
  lingerLimit_ = kRefusedLingerBytes;
  http::Response response =
      errorResponse(401, "this endpoint needs an 'Authorization: Bearer <token>' header with the API token");
  response.headers.push_back({"WWW-Authenticate", "Bearer realm=\"rollway\""});
  response.keepAlive = false;
  slots_.push_back(Slot{nextSequence_++, std::move(response), true, false});
  pump();
}

void Connection::armHeadTimer() {
  if (headTimerArmed_ || closed_) return;
  headTimerArmed_ = true;
  auto limit = std::min(context_.options->headerTimeout, context_.options->idleTimeout);
  headTimer_.expires_after(limit);
  headTimer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->onHeadTimeout();
  });
}

void Connection::onHeadTimeout() {
  // A completion queued just before the timer was cancelled or re-armed is stale.
  if (headTimer_.expiry() > asio::steady_timer::clock_type::now()) return;
  headTimerArmed_ = false;
  if (closed_ || lingering_ || headAdmitted_ || readingDone_) return;
  context_.logger->debug("api: request head not complete within the header timeout");
  readingDone_ = true;
  input_.clear();
  queueError(408, "request head not received within the header timeout", true);
}

bool Connection::authorized(const http::Request& request) const { return authorizedValue(request.header("Authorization")); }

bool Connection::authorizedValue(const std::string* header) const {
  if (header == nullptr) return false;
  std::string_view value = *header;
  constexpr std::string_view kScheme = "Bearer";
  if (value.size() <= kScheme.size() || !http::equalsIgnoreCase(value.substr(0, kScheme.size()), kScheme) ||
      (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t')) {
    return false;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return constantTimeEquals(value, context_.options->token);
}

void Connection::queueError(int status, std::string message, bool closeAfter) {
  http::Response response = errorResponse(status, std::move(message));
  if (closeAfter) response.keepAlive = false;
  slots_.push_back(Slot{nextSequence_++, std::move(response), closeAfter, false});
  pump();
}

void Connection::dispatch(http::Request request) {
  uint64_t sequence = nextSequence_++;
  slots_.push_back(Slot{sequence, std::nullopt, !request.keepAlive, request.method == "HEAD"});
  if (requireToken_ && !authorized(request)) {
    http::Response response =
        errorResponse(401, "this endpoint needs an 'Authorization: Bearer <token>' header with the API token");
    response.headers.push_back({"WWW-Authenticate", "Bearer realm=\"rollway\""});
    complete(sequence, std::move(response));
    return;
  }
  auto state = std::make_shared<ResponderState>(weak_from_this(), sequence, context_.gate);
  Responder responder = [state](http::Response response) { state->deliver(std::move(response)); };
  std::string what = request.method + " " + request.target;
  try {
    (*context_.handler)(std::move(request), std::move(responder));
  } catch (const std::exception& e) {
    context_.logger->error("api: handler threw on {}: {}", what, e.what());
    state->deliver(errorResponse(500, std::string("internal error: ") + e.what()));
  } catch (...) {
    context_.logger->error("api: handler threw a non-exception on {}", what);
    state->deliver(errorResponse(500, "internal error"));
  }
}

void Connection::complete(uint64_t sequence, http::Response response) {
  if (closed_) return;
  for (auto& slot : slots_) {
    if (slot.sequence == sequence) {
      if (!slot.response) slot.response = std::move(response);
      pump();
      return;
    }
  }
}

void Connection::pump() {
  if (closed_ || writing_ || lingering_) return;
  bool closeAfter = false;
  while (!slots_.empty() && slots_.front().response) {
    Slot& slot = slots_.front();
    http::Response& response = *slot.response;
    if (slot.closeAfter) response.keepAlive = false;
    closeAfter = !response.keepAlive;
    if (slot.head) {
      if (response.header("Content-Length") == nullptr && response.header("Transfer-Encoding") == nullptr) {
        response.headers.push_back({"Content-Length", std::to_string(response.body.size())});
      }
      response.body.clear();
    }
    output_ += http::serialize(response);
    slots_.pop_front();
    if (closeAfter) {
      // Nothing after a closing response is sent; later requests are dropped.
      slots_.clear();
      readingDone_ = true;
      break;
    }
  }
  if (output_.empty()) {
    if (readingDone_ && slots_.empty()) {
      lingerAndClose();
    } else if (readPaused_ && slots_.size() < kMaxPipelined) {
      readPaused_ = false;
      processBuffer();
    }
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(output_),
                    [self = shared_from_this(), closeAfter](const asio::error_code& ec, size_t) {
                      self->writing_ = false;
                      self->output_.clear();
                      if (self->closed_) return;
                      if (ec) {
                        self->close();
                        return;
                      }
                      if (closeAfter) {
                        self->lingerAndClose();
                        return;
                      }
                      self->armIdleTimer();
                      self->pump();
                    });
}

// Half-closes, then reads and discards until the client closes too (bounded): closing
// with unread input would send a RST that can destroy the response in flight.
void Connection::lingerAndClose() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_send, ec);
  if (ec) {
    close();
    return;
  }
  timer_.expires_after(kLingerTime);
  timer_.async_wait([self = shared_from_this()](const asio::error_code& waitError) {
    if (!waitError) self->close();
  });
  doRead();
}

void Connection::armIdleTimer() {
  if (closed_ || lingering_) return;
  timer_.expires_after(context_.options->idleTimeout);
  timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->onIdle();
  });
}

void Connection::onIdle() {
  if (closed_ || lingering_) return;
  // A completion queued just before the timer was re-armed is not an idle timeout.
  if (timer_.expiry() > asio::steady_timer::clock_type::now()) return;
  if (!slots_.empty() && !writing_) {
    armIdleTimer();  // a handler is still working on a request (e.g. long-poll)
    return;
  }
  if ((parser_.inProgress() || (!headAdmitted_ && !input_.empty())) && !writing_) {
    readingDone_ = true;
    queueError(408, "request not received within the idle timeout", true);
    return;
  }
  close();
}

}  // namespace rollway::net
