// ClientConnection, response side: reading the upstream's response head, relaying the
// response (head rebuilt, body streamed), and 101 tunnels. The request side and the
// retry loop are in client_connection.cc.
#include <algorithm>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include "client_connection.h"
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

// Reads from the upstream until a response head is parsed. anyByte: something arrived.
asio::awaitable<bool> ClientConnection::readResponseHead(UpstreamConnection& up, bool& anyByte) {
  phase_ = Phase::kResponse;
  timedOut_ = false;
  setDeadline(responseTimeout_);
  for (;;) {
    if (upBegin_ < upEnd_) {
      auto step = responseParser_.execute(up_.data(), upBegin_, upEnd_, nullptr);
      upBegin_ += step.consumed;
      if (step.event == http::StreamParser::Event::kHead) co_return true;
      if (step.event == http::StreamParser::Event::kError) co_return false;
      if (step.event == http::StreamParser::Event::kComplete) continue;  // end of an interim 1xx
    }
    ensureUpstreamSpace();
    auto [ec, n] = co_await up.socket.async_read_some(asio::buffer(up_.data() + upEnd_, up_.size() - upEnd_), kNoThrow);
    if (ec || n == 0) co_return false;
    anyByte = true;
    upEnd_ += n;
  }
}

// A response with Transfer-Encoding whose last coding is not chunked (read until close by
// RFC 9112 §6.3, but the coding would be lost in relay): refused, as nginx does.
bool ClientConnection::unknownTransferCoding() const {
  if (responseParser_.head().chunked) return false;
  for (const auto& hd : responseParser_.head().headers) {
    if (hd.name.length == 17 && http::equalsIgnoreCase(hd.name.in(up_.data()), "transfer-encoding")) return true;
  }
  return false;
}

void ClientConnection::buildResponseHead(bool& chunkOut) {
  const auto& h = responseParser_.head();
  const char* b = up_.data();
  resp_.clear();
  appendStatusLine(resp_, h.status);
  std::string_view connection;
  for (const auto& hd : h.headers) {
    if (http::equalsIgnoreCase(hd.name.in(b), "connection")) connection = hd.value.in(b);
  }
  bool bodyless = isHead_ || h.status == 204 || h.status == 304 || (h.status >= 100 && h.status < 200);
  bool clientHttp11 = parser_.head().versionMinor >= 1;
  chunkOut = false;
  if (!bodyless && !h.hasContentLength) {
    // Chunked or close-delimited from the upstream: chunked to an HTTP/1.1 client (so its
    // connection stays usable), raw + close to an HTTP/1.0 client.
    if (clientHttp11) {
      chunkOut = true;
    } else {
      closeAfter_ = true;
    }
  }
  bool setCookie = !assignedCookie_.empty();
  for (const auto& hd : h.headers) {
    std::string_view name = hd.name.in(b);
    if (isHopByHop(name)) continue;
    if (!connection.empty() && listedInConnection(connection, name)) continue;
    // The application sets the sticky cookie itself: its value wins, the proxy adds none.
    if (setCookie && name.size() == 10 && http::equalsIgnoreCase(name, "set-cookie") &&
        setsCookie(hd.value.in(b), assignedCookie_)) {
      setCookie = false;
    }
    resp_.append(name);
    resp_.append(": ");
    resp_.append(hd.value.in(b));
    resp_.append("\r\n");
  }
  if (setCookie) appendStickyCookie(resp_, assignedCookie_, assignedKey_);
  if (chunkOut) resp_.append("Transfer-Encoding: chunked\r\n");
  if (closeAfter_ || stopping_ || worker_.stopping() || !requestKeepAlive_) {
    closeAfter_ = true;
    resp_.append("Connection: close\r\n");
  } else if (!clientHttp11) {
    resp_.append("Connection: keep-alive\r\n");
  }
  resp_.append("\r\n");
}

// Relays the response (head parsed) to the client, streaming the body.
// reusable: the upstream connection may go back to the pool.
asio::awaitable<ClientConnection::Relay> ClientConnection::forwardResponse(UpstreamConnection& up, bool& reusable) {
  bool chunkOut = false;
  buildResponseHead(chunkOut);
  bool upstreamKeepAlive = responseParser_.head().keepAlive;
  responseSink_.chunked = chunkOut;
  reusable = false;
  phase_ = Phase::kResponse;
  setDeadline(bodyTimeout_);
  for (;;) {
    // Parse what is buffered, even nothing: a bodyless message completes without input.
    auto step = responseParser_.execute(up_.data(), upBegin_, upEnd_, &responseSink_);
    upBegin_ += step.consumed;
    if (step.event == http::StreamParser::Event::kNeedMore) {
      if (!resp_.empty()) {
        responseStarted_ = true;
        auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(resp_), kNoThrow);
        resp_.clear();
        if (ec) co_return Relay::kClientGone;
      }
      ensureUpstreamSpace();
      auto [ec, n] = co_await up.socket.async_read_some(asio::buffer(up_.data() + upEnd_, up_.size() - upEnd_), kNoThrow);
      if (!ec && n > 0) {
        upEnd_ += n;
        setDeadline(bodyTimeout_);
        continue;
      }
      if (timedOut_) break;  // stalled mid-body
      step = responseParser_.finish();  // a close-delimited body ends here
      upstreamKeepAlive = false;
    }
    // Anything but the end of the message: the upstream broke off mid-body or sent garbage.
    if (step.event != http::StreamParser::Event::kComplete) break;
    if (chunkOut) resp_.append("0\r\n\r\n");
    responseStarted_ = true;
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(resp_), kNoThrow);
    resp_.clear();
    if (ec) co_return Relay::kClientGone;
    misframed_ = upBegin_ != upEnd_;  // bytes past the end of the response
    reusable = upstreamKeepAlive && !misframed_;
    co_return Relay::kDone;
  }
  // Nothing of what is buffered is sent: when nothing went out yet, the client gets a
  // 502/504 instead; otherwise its connection is closed so that it sees a truncated
  // message, never a wrong one.
  resp_.clear();
  closeAfter_ = true;
  co_return Relay::kUpstreamBroken;
}

// One direction of a tunnel: copy until EOF or error, then half-close the other side.
asio::awaitable<void> ClientConnection::copyBytes(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to) {
  std::vector<char> buf(kReadChunk);
  for (;;) {
    auto [rec, rn] = co_await from.async_read_some(asio::buffer(buf), kNoThrow);
    if (rec || rn == 0) break;
    auto [wec, wn] = co_await asio::async_write(to, asio::buffer(buf.data(), rn), kNoThrow);
    if (wec) break;
  }
  asio::error_code ignored;
  to.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

// 101 Switching Protocols: relay the head, then copy bytes both ways until both sides
// are done.
asio::awaitable<void> ClientConnection::tunnel(UpstreamConnection& up) {
  using namespace asio::experimental::awaitable_operators;
  bool chunkOut = false;
  const auto& h = responseParser_.head();
  resp_.clear();
  appendStatusLine(resp_, 101);
  const char* b = up_.data();
  for (const auto& hd : h.headers) {
    resp_.append(hd.name.in(b));
    resp_.append(": ");
    resp_.append(hd.value.in(b));
    resp_.append("\r\n");
  }
  resp_.append("\r\n");
  (void)chunkOut;
  // Bytes already read past the 101 head belong to the new protocol.
  resp_.append(up_.data() + upBegin_, upEnd_ - upBegin_);
  upBegin_ = upEnd_ = 0;
  phase_ = Phase::kTunnel;
  deadline_ = std::chrono::steady_clock::time_point::max();
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(resp_), kNoThrow);
  resp_.clear();
  if (ec) co_return;
  std::string pending(in_.data() + inBegin_, inEnd_ - inBegin_);
  inBegin_ = inEnd_ = 0;
  if (!pending.empty()) {
    auto [pec, pn] = co_await asio::async_write(up.socket, asio::buffer(pending), kNoThrow);
    if (pec) co_return;
  }
  co_await (copyBytes(socket_, up.socket) && copyBytes(up.socket, socket_));
  asio::error_code ignored;
  up.socket.close(ignored);
}

}  // namespace rollway::proxy
