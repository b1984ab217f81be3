#pragma once

#include <cstddef>
#include <string>

namespace rollway::http {

// Bounds a parser enforces; a message beyond them is an error with the status to answer.
struct ParseLimits {
  size_t maxHeaderBytes = 64 * 1024;       // request/status line + headers; 431 beyond
  size_t maxBodyBytes = 8 * 1024 * 1024;   // decoded body; 413 beyond
};

enum class ParseStatus {
  kNeedMore,  // the message is not complete yet: feed more bytes
  kComplete,  // a whole message is ready: take() it
  kError,     // the input is not acceptable HTTP/1.x: see error(); close the connection
};

struct FeedResult {
  ParseStatus status = ParseStatus::kNeedMore;
  // Bytes of the input that belong to the current message. With kComplete, the bytes
  // after `consumed` are the start of the next (pipelined) message: keep them and feed
  // them again after take(). With kNeedMore, always the whole input.
  size_t consumed = 0;
};

struct ParseError {
  int status = 400;    // what a server answers: 400, 413, 431, 501
  std::string reason;  // e.g. "Content-Length can't be present with Transfer-Encoding"
};

}  // namespace rollway::http
