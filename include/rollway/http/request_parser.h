#pragma once

#include <memory>
#include <string_view>

#include "rollway/http/message.h"
#include "rollway/http/parse_result.h"

namespace rollway::http {

namespace detail {
class BufferedParser;
}

// Incremental parser for whole, buffered HTTP/1.x requests (control plane: API server,
// admin socket): a thin wrapper over StreamParser, so it enforces exactly the proxy's
// grammar (request line, field names and values, CRLF, obs-fold, Content-Length,
// Transfer-Encoding, Host; see src/http/head_grammar.h). Errors carry the status to
// answer (400, 413, 417, 431, 501, 505). Chunked bodies are decoded into `body`;
// trailers are checked and dropped. keepAlive comes from llhttp_should_keep_alive.
// Upgrade offers are ignored (answered as plain HTTP); CONNECT is 501.
//
// Usage (the caller owns the buffer; the parser keeps its own copy of a partial head):
//   auto r = parser.feed(buffer);
//   if (r.status == ParseStatus::kComplete) { buffer.erase(0, r.consumed); handle(parser.take()); }
//   else if (r.status == ParseStatus::kNeedMore) buffer.clear();   // all consumed
//   else answer(parser.error().status) and close.
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
  std::unique_ptr<detail::BufferedParser> core_;
};

}  // namespace rollway::http
