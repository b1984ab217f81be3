// test-upstream: a deliberately lenient HTTP/1.1 upstream for the proxy's end-to-end
// tests. One thread, asio coroutines, keep-alive and pipelining. With --record FILE every
// byte received on any connection is appended, raw, to FILE before it is interpreted:
// that is how a test proves that nothing reached the upstream.
//
//   /               200 "ok" (also every path not listed here); X-Upstream: <port>
//   /echo           the request body (chunked back when the request was chunked)
//   /headers        the request head exactly as received
//   /bytes?n=N      N bytes (a..z repeating) as a chunked response, streamed
//   /count          reads a request body of any size streaming; answers its length
//   /continue       Expect: 100-continue -> "100 Continue", then the body length
//   /status?code=N  status N
//   /sleep?ms=N     answers after N ms
//   /close          answers, then closes the connection
//   /ws             WebSocket upgrade (RFC 6455), then echoes frames
//   /drop           reads the whole request, then closes without answering
//   /raw/NAME       with --raw-dir DIR: writes the bytes of DIR/NAME as they are (a
//                   broken response), then closes; a NAME containing "-stall" keeps the
//                   connection open instead (reading nothing) until the peer closes;
//                   one containing "-late-close" closes 300 ms later, reading nothing
// Any request with "Expect: 100-continue" and a body gets the interim 100 first.
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include "rollway/http/message.h"
#include "rollway/http/status.h"

namespace {

using asio::awaitable;
using asio::ip::tcp;

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxHead = 1024 * 1024;
constexpr size_t kMaxLine = 64 * 1024;
constexpr uint64_t kMaxBufferedBody = 64ull * 1024 * 1024;
constexpr uint64_t kMaxFrame = 16ull * 1024 * 1024;
constexpr size_t kBytesChunk = 26 * 2500;  // a multiple of 26: every chunk starts at 'a'

struct Options {
  int port = 0;
  std::string record;
  std::string rawDir;
};

std::optional<std::string> readWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// Appends raw bytes to the record file (O_APPEND: one file for every connection).
class Recorder {
 public:
  explicit Recorder(const std::string& path) {
    if (!path.empty()) fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  ~Recorder() {
    if (fd_ >= 0) ::close(fd_);
  }
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
  bool ok(const std::string& path) const { return path.empty() || fd_ >= 0; }
  void write(const char* data, size_t length) {
    while (fd_ >= 0 && length > 0) {
      ssize_t n = ::write(fd_, data, length);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      data += n;
      length -= static_cast<size_t>(n);
    }
  }

 private:
  int fd_ = -1;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

bool hasToken(std::string_view list, std::string_view token) {
  size_t i = 0;
  while (i <= list.size()) {
    size_t comma = list.find(',', i);
    if (comma == std::string_view::npos) comma = list.size();
    if (rollway::http::equalsIgnoreCase(trim(list.substr(i, comma - i)), token)) return true;
    i = comma + 1;
  }
  return false;
}

std::optional<uint64_t> parseUnsigned(std::string_view text, int base = 10) {
  text = trim(text);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

struct RequestHead {
  std::string raw;  // as received, the blank line included
  std::string method;
  std::string target;
  int versionMinor = 1;
  rollway::http::Headers headers;

  const std::string* header(std::string_view name) const { return rollway::http::findHeader(headers, name); }
  std::string_view path() const { return std::string_view(target).substr(0, target.find('?')); }
  std::string query(std::string_view name) const {
    size_t q = target.find('?');
    if (q == std::string::npos) return "";
    std::string_view rest = std::string_view(target).substr(q + 1);
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      size_t eq = pair.find('=');
      if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
    return "";
  }
};

// Lenient: lines end in CRLF or LF; a line without ':' is skipped.
std::optional<RequestHead> parseHead(std::string raw) {
  RequestHead head;
  head.raw = std::move(raw);
  std::string_view text = head.raw;
  size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
  head.method = std::string(line.substr(0, sp1));
  head.target = std::string(trim(line.substr(sp1 + 1, sp2 - sp1 - 1)));
  std::string_view version = line.substr(sp2 + 1);
  if (version.substr(0, 5) != "HTTP/") return std::nullopt;
  head.versionMinor = version == "HTTP/1.0" ? 0 : 1;
  while (eol != std::string_view::npos && eol + 1 < text.size()) {
    size_t start = eol + 1;
    eol = text.find('\n', start);
    line = text.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    head.headers.push_back({std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
  }
  return head;
}

std::string webSocketAccept(const std::string& key) {
  std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr);
  unsigned char encoded[64] = {};
  int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
  return std::string(reinterpret_cast<char*>(encoded), static_cast<size_t>(n));
}

class Connection {
 public:
  Connection(tcp::socket socket, Recorder& recorder, int port, const std::string& rawDir)
      : socket_(std::move(socket)), recorder_(recorder), port_(port), rawDir_(rawDir) {}

  awaitable<void> run() {
    for (;;) {
      auto raw = co_await readHead();
      if (!raw) break;
      auto head = parseHead(std::move(*raw));
      if (!head) {
        co_await respond(400, "bad request line\n", false);
        break;
      }
      if (!co_await handle(*head)) break;
    }
    asio::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }

 private:
  // Appends what the socket has to in_ (and to the record); false on EOF or error.
  awaitable<bool> readMore() {
    char chunk[kReadChunk];
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk), kNoThrow);
    if (ec || n == 0) co_return false;
    recorder_.write(chunk, n);
    in_.append(chunk, n);
    co_return true;
  }

  // The head up to and including the blank line (CRLFCRLF, or LFLF leniently).
  awaitable<std::optional<std::string>> readHead() {
    for (;;) {
      // Lenient: blank lines before a request are skipped.
      while (!in_.empty() && (in_.front() == '\r' || in_.front() == '\n')) in_.erase(0, 1);
      size_t crlf = in_.find("\r\n\r\n");
      size_t lf = in_.find("\n\n");
      size_t end = std::string::npos;
      if (crlf != std::string::npos) end = crlf + 4;
      if (lf != std::string::npos && (end == std::string::npos || lf + 2 < end)) end = lf + 2;
      if (end != std::string::npos) {
        std::string head = in_.substr(0, end);
        in_.erase(0, end);
        co_return head;
      }
      if (in_.size() > kMaxHead) {
        co_await respond(431, "head too large\n", false);
        co_return std::nullopt;
      }
      if (!co_await readMore()) co_return std::nullopt;
    }
  }

  awaitable<std::optional<std::string>> readLine() {
    for (;;) {
      size_t lf = in_.find('\n');
      if (lf != std::string::npos) {
        std::string line = in_.substr(0, lf);
        in_.erase(0, lf + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        co_return line;
      }
      if (in_.size() > kMaxLine || !co_await readMore()) co_return std::nullopt;
    }
  }

  // Passes exactly `length` bytes to `onData` as they arrive.
  awaitable<bool> readExact(uint64_t length, const std::function<void(std::string_view)>& onData) {
    while (length > 0) {
      if (in_.empty() && !co_await readMore()) co_return false;
      size_t take = static_cast<size_t>(std::min<uint64_t>(length, in_.size()));
      onData(std::string_view(in_).substr(0, take));
      in_.erase(0, take);
      length -= take;
    }
    co_return true;
  }

  enum class Framing { kNone, kLength, kChunked, kInvalid };
  struct BodyFraming {
    Framing framing = Framing::kNone;
    uint64_t length = 0;
  };

  static BodyFraming framingOf(const RequestHead& head) {
    BodyFraming f;
    if (const auto* te = head.header("transfer-encoding")) {
      std::string_view list = *te;
      size_t comma = list.rfind(',');
      std::string_view last = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
      f.framing = rollway::http::equalsIgnoreCase(last, "chunked") ? Framing::kChunked : Framing::kInvalid;
      return f;
    }
    if (const auto* cl = head.header("content-length")) {
      auto n = parseUnsigned(*cl);
      if (!n) return {Framing::kInvalid, 0};
      f.framing = *n > 0 ? Framing::kLength : Framing::kNone;
      f.length = *n;
    }
    return f;
  }

  // Reads the whole request body, handing the decoded bytes to `onData`.
  awaitable<bool> readBody(const BodyFraming& f, const std::function<void(std::string_view)>& onData) {
    if (f.framing == Framing::kLength) co_return co_await readExact(f.length, onData);
    if (f.framing != Framing::kChunked) co_return true;
    for (;;) {
      auto line = co_await readLine();
      if (!line) co_return false;
      std::string_view size = *line;
      size = trim(size.substr(0, size.find(';')));
      auto n = parseUnsigned(size, 16);
      if (!n) co_return false;
      if (*n == 0) break;
      if (!co_await readExact(*n, onData)) co_return false;
      auto crlf = co_await readLine();
      if (!crlf || !crlf->empty()) co_return false;
    }
    for (;;) {  // trailers, up to the blank line
      auto line = co_await readLine();
      if (!line) co_return false;
      if (line->empty()) co_return true;
    }
  }

  awaitable<bool> write(std::string_view bytes) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), kNoThrow);
    co_return !ec;
  }

  std::string statusLine(int status) const {
    return "HTTP/1.1 " + std::to_string(status) + " " + rollway::http::statusReason(status) +
           "\r\nX-Upstream: " + std::to_string(port_) + "\r\n";
  }

  // A response with a Content-Length body; false when the connection must end.
  awaitable<bool> respond(int status, std::string_view body, bool keepAlive, std::string_view extra = {},
                          bool noBody = false) {
    std::string out = statusLine(status);
    out += extra;
    if (status != 204 && status != 304) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    if (!keepAlive) out += "Connection: close\r\n";
    out += "\r\n";
    if (!noBody && status != 204 && status != 304) out += body;
    bool ok = co_await write(out);
    co_return ok && keepAlive;
  }

  static bool wantsKeepAlive(const RequestHead& head) {
    const std::string* connection = head.header("connection");
    if (head.versionMinor == 0) return connection && hasToken(*connection, "keep-alive");
    return !(connection && hasToken(*connection, "close"));
  }

  // Serves one request; false when the connection is over.
  awaitable<bool> handle(const RequestHead& head) {
    std::string_view path = head.path();
    bool keepAlive = wantsKeepAlive(head);
    bool isHead = head.method == "HEAD";
    BodyFraming framing = framingOf(head);
    if (framing.framing == Framing::kInvalid) {
      co_await respond(400, "bad body framing\n", false);
      co_return false;
    }
    if (path == "/ws") co_return co_await webSocket(head);

    const std::string* expect = head.header("expect");
    if (expect && rollway::http::equalsIgnoreCase(*expect, "100-continue") && framing.framing != Framing::kNone) {
      if (!co_await write("HTTP/1.1 100 Continue\r\n\r\n")) co_return false;
    }

    if (path == "/echo") {
      std::string body;
      bool tooBig = false;
      bool ok = co_await readBody(framing, [&](std::string_view data) {
        if (body.size() + data.size() > kMaxBufferedBody) tooBig = true;
        if (!tooBig) body.append(data);
      });
      if (!ok) co_return false;
      if (tooBig) co_return co_await respond(413, "body too large to echo\n", false);
      if (framing.framing != Framing::kChunked) co_return co_await respond(200, body, keepAlive, {}, isHead);
      std::string out = statusLine(200) + "Transfer-Encoding: chunked\r\n";
      if (!keepAlive) out += "Connection: close\r\n";
      out += "\r\n";
      if (!isHead) {
        if (!body.empty()) {
          char size[32];
          int len = std::snprintf(size, sizeof size, "%zx\r\n", body.size());
          out.append(size, static_cast<size_t>(len));
          out += body + "\r\n";
        }
        out += "0\r\n\r\n";
      }
      co_return co_await write(out) && keepAlive;
    }

    // Every other endpoint reads the body streaming and only counts it.
    uint64_t received = 0;
    if (!co_await readBody(framing, [&](std::string_view data) { received += data.size(); })) co_return false;

    if (path == "/count" || path == "/continue") {
      co_return co_await respond(200, std::to_string(received), keepAlive, {}, isHead);
    }
    if (path == "/headers") co_return co_await respond(200, head.raw, keepAlive, {}, isHead);
    if (path == "/status") {
      auto code = parseUnsigned(head.query("code"));
      if (!code || *code < 200 || *code > 599) co_return co_await respond(400, "bad code\n", keepAlive);
      int status = static_cast<int>(*code);
      co_return co_await respond(status, "status " + std::to_string(status) + "\n", keepAlive, {}, isHead);
    }
    if (path == "/sleep") {
      auto ms = parseUnsigned(head.query("ms"));
      if (!ms) co_return co_await respond(400, "bad ms\n", keepAlive);
      asio::steady_timer timer(socket_.get_executor(), std::chrono::milliseconds(*ms));
      co_await timer.async_wait(kNoThrow);
      co_return co_await respond(200, "slept " + std::to_string(*ms) + "\n", keepAlive, {}, isHead);
    }
    if (path == "/close") {
      co_await respond(200, "closing\n", false, {}, isHead);
      co_return false;
    }
    if (path == "/drop") co_return false;  // the request was read whole: no answer at all
    if (path.substr(0, 5) == "/raw/" && !rawDir_.empty()) co_return co_await rawResponse(path.substr(5));
    if (path == "/bytes") {
      auto n = parseUnsigned(head.query("n"));
      if (!n) co_return co_await respond(400, "bad n\n", keepAlive);
      co_return co_await streamBytes(*n, keepAlive, isHead);
    }
    co_return co_await respond(200, "ok", keepAlive, {}, isHead);
  }

  // A corpus vector: its bytes as they are, then close (or hold the connection open).
  awaitable<bool> rawResponse(std::string_view name) {
    if (name.empty() || name.find('/') != std::string_view::npos || name.front() == '.') {
      co_return co_await respond(404, "no such vector\n", false);
    }
    auto bytes = readWholeFile(rawDir_ + "/" + std::string(name));
    if (!bytes) co_return co_await respond(404, "no such vector\n", false);
    if (!co_await write(*bytes)) co_return false;
    if (name.find("-late-close") != std::string_view::npos) {
      // A keep-alive-looking answer, then a close 300 ms later without reading anything
      // more: whatever the proxy sends meanwhile on this (pooled) connection is lost.
      asio::steady_timer timer(socket_.get_executor(), std::chrono::milliseconds(300));
      co_await timer.async_wait(kNoThrow);
      asio::error_code ec;
      socket_.set_option(asio::socket_base::linger(true, 0), ec);  // unread bytes: a reset
      co_return false;
    }
    if (name.find("-stall") != std::string_view::npos) {
      // Stall: keep the connection, read (and discard) until the peer gives up.
      char sink[4096];
      for (;;) {
        auto [ec, n] = co_await socket_.async_read_some(asio::buffer(sink), kNoThrow);
        if (ec || n == 0) break;
      }
    }
    co_return false;
  }

  awaitable<bool> streamBytes(uint64_t total, bool keepAlive, bool isHead) {
    static const std::string kPattern = [] {
      std::string p(kBytesChunk, 'a');
      for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>('a' + i % 26);
      return p;
    }();
    std::string head = statusLine(200) + "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n";
    if (!keepAlive) head += "Connection: close\r\n";
    head += "\r\n";
    if (!co_await write(head)) co_return false;
    if (isHead) co_return keepAlive;
    while (total > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(total, kPattern.size()));
      char size[32];
      int len = std::snprintf(size, sizeof size, "%zx\r\n", n);
      std::array<asio::const_buffer, 3> buffers = {asio::buffer(size, static_cast<size_t>(len)),
                                                   asio::buffer(kPattern.data(), n), asio::buffer("\r\n", 2)};
      auto [ec, written] = co_await asio::async_write(socket_, buffers, kNoThrow);
      if (ec) co_return false;
      total -= n;
    }
    co_return co_await write("0\r\n\r\n") && keepAlive;
  }

  awaitable<bool> webSocket(const RequestHead& head) {
    const std::string* upgrade = head.header("upgrade");
    const std::string* key = head.header("sec-websocket-key");
    if (head.method != "GET" || !upgrade || !hasToken(*upgrade, "websocket") || !key) {
      co_await respond(400, "not a websocket handshake\n", false);
      co_return false;
    }
    std::string out = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Accept: " + webSocketAccept(*key) +
                      "\r\nX-Upstream: " + std::to_string(port_) + "\r\n\r\n";
    if (!co_await write(out)) co_return false;
    for (;;) {
      std::string header;
      auto append = [&](std::string_view d) { header.append(d); };
      if (!co_await readExact(2, append)) co_return false;
      auto b0 = static_cast<unsigned char>(header[0]);
      auto b1 = static_cast<unsigned char>(header[1]);
      bool fin = (b0 & 0x80) != 0;
      int opcode = b0 & 0x0f;
      bool masked = (b1 & 0x80) != 0;
      uint64_t length = b1 & 0x7f;
      if (length >= 126) {
        size_t extra = length == 126 ? 2 : 8;
        header.clear();
        if (!co_await readExact(extra, append)) co_return false;
        length = 0;
        for (char c : header) length = (length << 8) | static_cast<unsigned char>(c);
      }
      if (length > kMaxFrame) co_return false;
      std::array<unsigned char, 4> mask = {};
      if (masked) {
        header.clear();
        if (!co_await readExact(4, append)) co_return false;
        std::memcpy(mask.data(), header.data(), 4);
      }
      std::string payload;
      if (!co_await readExact(length, [&](std::string_view d) { payload.append(d); })) co_return false;
      for (size_t i = 0; masked && i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);

      int replyOpcode = opcode;
      if (opcode == 0x9) replyOpcode = 0xA;  // ping -> pong
      if (opcode == 0xA) continue;           // unsolicited pong: ignored
      if (opcode > 0x2 && opcode != 0x8 && opcode != 0x9) {
        co_await write(frame(true, 0x8, "\x03\xea"));  // 1002 protocol error
        co_return false;
      }
      if (!co_await write(frame(fin || opcode >= 0x8, replyOpcode, payload))) co_return false;
      if (opcode == 0x8) co_return false;
    }
  }

  static std::string frame(bool fin, int opcode, std::string_view payload) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    if (payload.size() < 126) {
      out.push_back(static_cast<char>(payload.size()));
    } else if (payload.size() <= 0xffff) {
      out.push_back(126);
      out.push_back(static_cast<char>(payload.size() >> 8));
      out.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
      out.push_back(127);
      for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
    }
    out.append(payload);
    return out;
  }

  tcp::socket socket_;
  Recorder& recorder_;
  int port_;
  const std::string& rawDir_;
  std::string in_;
};

awaitable<void> serve(tcp::socket socket, Recorder& recorder, int port, const std::string& rawDir) {
  Connection connection(std::move(socket), recorder, port, rawDir);
  co_await connection.run();
}

awaitable<void> acceptLoop(tcp::acceptor& acceptor, Recorder& recorder, int port, const std::string& rawDir) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      asio::steady_timer timer(acceptor.get_executor(), std::chrono::milliseconds(20));
      co_await timer.async_wait(kNoThrow);
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), recorder, port, rawDir), asio::detached);
  }
}

const char* kUsage =
    "usage: test-upstream [--port N] [--record FILE] [--raw-dir DIR]\n"
    "  --port N       listen on 127.0.0.1:N (0: pick one; prints \"listening on 127.0.0.1:N\")\n"
    "  --record FILE  append every byte received, raw, to FILE\n"
    "  --raw-dir DIR  /raw/NAME answers with the raw bytes of DIR/NAME (broken responses)\n"
    "endpoints: / /echo /headers /bytes?n=N /count /continue /status?code=N /sleep?ms=N /close /drop /raw/NAME /ws\n";

std::optional<Options> parseFlags(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    size_t eq = flag.find('=');
    if (eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (flag == "--port" || flag == "--record" || flag == "--raw-dir") {
      if (i + 1 >= argc) return std::nullopt;
      value = argv[++i];
    }
    if (flag == "--port") {
      auto port = parseUnsigned(value);
      if (!port || *port > 65535) return std::nullopt;
      options.port = static_cast<int>(*port);
    } else if (flag == "--record" && !value.empty()) {
      options.record = value;
    } else if (flag == "--raw-dir" && !value.empty()) {
      options.rawDir = value;
    } else {
      return std::nullopt;
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      std::cout << kUsage;
      return 0;
    }
  }
  auto options = parseFlags(argc, argv);
  if (!options) {
    std::cerr << "test-upstream: bad flags\n" << kUsage;
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  Recorder recorder(options->record);
  if (!recorder.ok(options->record)) {
    std::cerr << "test-upstream: cannot open " << options->record << ": " << std::strerror(errno) << '\n';
    return 1;
  }
  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  asio::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(options->port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "test-upstream: cannot listen on 127.0.0.1:" << options->port << ": " << ec.message() << '\n';
    return 1;
  }
  int port = acceptor.local_endpoint().port();
  std::cout << "listening on 127.0.0.1:" << port << std::endl;

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code&, int) {
    acceptor.close();
    io.stop();
  });
  asio::co_spawn(io, acceptLoop(acceptor, recorder, port, options->rawDir), asio::detached);
  io.run();
  return 0;
}
