#pragma once

#include <memory>
#include <string_view>

#include "rollway/http/message.h"
#include "rollway/http/parse_result.h"

namespace rollway::http {

namespace detail {
class BufferedParser;
}

// Incremental parser for whole, buffered HTTP/1.x responses (control plane: API client,
// probes, admin client), over StreamParser like RequestParser. A response to HEAD and a
// 1xx/204/304 response have no body; a response with neither Content-Length nor chunked
// framing is delimited by the connection close: call feedEof() when the peer closes.
// A 101 is an error (no upgrades here). See request_parser.h for the usage pattern.
class ResponseParser {
 public:
  explicit ResponseParser(ParseLimits limits = {.maxHeaderBytes = 64 * 1024,
                                                .maxBodyBytes = 64 * 1024 * 1024});
  ~ResponseParser();
  ResponseParser(ResponseParser&&) noexcept;
  ResponseParser& operator=(ResponseParser&&) noexcept;

  // The method of the request this (next) response answers; HEAD means no body.
  void setRequestMethod(std::string_view method);

  FeedResult feed(std::string_view bytes);
  // The peer closed: kComplete when that ended a close-delimited response, kNeedMore on
  // a clean close before any byte of a response, kError for a truncated response.
  ParseStatus feedEof();

  Response take();

  bool inProgress() const;
  const ParseError& error() const;

 private:
  std::unique_ptr<detail::BufferedParser> core_;
};

}  // namespace rollway::http
