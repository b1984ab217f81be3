#pragma once

#include <memory>
#include <string_view>

#include "rollway/http/message.h"
#include "rollway/http/parse_result.h"

namespace rollway::http {

namespace detail {
class LlhttpCore;
}

// Incremental parser for whole, buffered HTTP/1.x requests (control plane: API server,
// admin socket). llhttp in strict mode — no lenient flags — plus the checks llhttp leaves
// to its caller: obs-fold, whitespace before ':', missing/duplicate Host on HTTP/1.1.
// Content-Length with Transfer-Encoding, duplicate Content-Length, bad chunk sizes, bare
// CR or LF and NUL in headers are errors (400). Chunked bodies are decoded into `body`;
// trailers are dropped. keepAlive comes from llhttp_should_keep_alive. Upgrade offers are
// ignored (answered as plain HTTP); CONNECT is 501.
//
// Usage (the caller owns the buffer):
//   auto r = parser.feed(buffer);
//   if (r.status == ParseStatus::kComplete) { buffer.erase(0, r.consumed); handle(parser.take()); }
//   else if (r.status == ParseStatus::kNeedMore) buffer.clear();   // all consumed
//   else answer(parser.error().status) and close.
//
// A later streaming parser for the data-plane proxy belongs beside this one, not inside
// it: the proxy must not buffer bodies, so it will reuse detail::LlhttpCore's framing
// decisions (strict mode, header limit, smuggling checks) but hand each body chunk to a
// callback (onHeaders(head) / onBodyChunk(span) / onMessageComplete()) and apply
// back-pressure by pausing llhttp instead of accumulating `body`.
class RequestParser {
 public:
  explicit RequestParser(ParseLimits limits = {});
  ~RequestParser();
  RequestParser(RequestParser&&) noexcept;
  RequestParser& operator=(RequestParser&&) noexcept;

  // Parses as much of `bytes` as belongs to the current message. After kComplete, call
  // take() before feeding again; after kError, the parser stays in error.
  FeedResult feed(std::string_view bytes);
  // The peer closed its side. kComplete never happens for requests (they are never
  // delimited by EOF); kNeedMore means a clean close between messages; kError a
  // truncated message.
  ParseStatus feedEof();

  // The completed request; the parser is then ready for the next one.
  Request take();

  // Some bytes of a message have been seen but it is not complete.
  bool inProgress() const;
  const ParseError& error() const;

 private:
  std::unique_ptr<detail::LlhttpCore> core_;
};

}  // namespace rollway::http
