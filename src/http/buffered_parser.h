#pragma once

#include <string>
#include <string_view>

#include "rollway/http/message.h"
#include "rollway/http/parse_result.h"
#include "rollway/http/stream_parser.h"

namespace rollway::http::detail {

// RequestParser and ResponseParser over StreamParser: the one implementation of the
// grammar. It copies the caller's bytes into its own buffer (StreamParser wants the head
// at a stable offset; the caller may drop its bytes after kNeedMore), collects the body
// through a BodySink up to maxBodyBytes, and turns the head into a Request/Response.
class BufferedParser : private StreamParser::BodySink {
 public:
  BufferedParser(StreamParser::Kind kind, ParseLimits limits);

  FeedResult feed(std::string_view bytes);
  ParseStatus feedEof();
  void setSkipBody(bool skip) { skipBody_ = skip; }
  bool inProgress() const { return (parser_.inMessage() || !buffer_.empty()) && !complete_; }
  const ParseError& error() const { return failed_ ? error_ : parser_.error(); }

  Request takeRequest();
  Response takeResponse();

 private:
  void onBody(const char* data, size_t length) override;
  bool takeHead();
  void fail(int status, std::string reason);
  void resetMessage();

  StreamParser::Kind kind_;
  ParseLimits limits_;
  StreamParser parser_;
  std::string buffer_;   // bytes of the current message not yet dropped
  size_t parsed_ = 0;    // bytes of buffer_ the StreamParser has consumed
  bool headDone_ = false;
  bool complete_ = false;
  bool skipBody_ = false;
  bool failed_ = false;
  bool overLimit_ = false;
  ParseError error_;
  // The message being parsed.
  std::string method_;
  std::string target_;
  int status_ = 0;
  int versionMinor_ = 1;
  Headers headers_;
  std::string body_;
  bool keepAlive_ = true;
};

}  // namespace rollway::http::detail
