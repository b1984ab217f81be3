#pragma once

#include <llhttp.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "rollway/http/message.h"
#include "rollway/http/parse_result.h"

namespace rollway::http::detail {

// The llhttp driver shared by RequestParser and ResponseParser: strict llhttp plus the
// framing checks llhttp leaves to its caller, header/body limits, and the pauses that
// make pipelining work (the parser stops right after each message and right after each
// head, so `consumed` and the header size are exact).
class LlhttpCore {
 public:
  enum class Kind { kRequest, kResponse };

  LlhttpCore(Kind kind, ParseLimits limits);
  LlhttpCore(const LlhttpCore&) = delete;
  LlhttpCore& operator=(const LlhttpCore&) = delete;

  FeedResult feed(std::string_view bytes);
  ParseStatus feedEof();

  void setSkipBody(bool skip) { skipBody_ = skip; }
  bool inProgress() const { return started_ && !complete_; }
  bool complete() const { return complete_; }
  const ParseError& error() const { return error_; }

  // Moves the completed message out and readies the parser for the next one.
  Request takeRequest();
  Response takeResponse();

 private:
  enum class Scan { kStartLine, kLineStart, kName, kValue };
  enum class Pause { kNone, kHeaders, kMessage };

  static int onMessageBegin(llhttp_t* p);
  static int onUrl(llhttp_t* p, const char* at, size_t length);
  static int onStatus(llhttp_t* p, const char* at, size_t length);
  static int onHeaderField(llhttp_t* p, const char* at, size_t length);
  static int onHeaderFieldComplete(llhttp_t* p);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValueComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t length);
  static int onMessageComplete(llhttp_t* p);
  static LlhttpCore& self(llhttp_t* p) { return *static_cast<LlhttpCore*>(p->data); }

  int checkHeadSize(const char* end);
  int userError(int status, std::string reason);
  bool scanHead(std::string_view head);
  int headersComplete();
  void pushHeader();
  void fail(int status, std::string reason);
  void resetMessage();

  Kind kind_;
  ParseLimits limits_;
  llhttp_settings_t settings_{};
  llhttp_t parser_{};

  // Current execute() segment, for exact head-size accounting.
  const char* segment_ = nullptr;
  size_t headBytesBefore_ = 0;
  Scan scan_ = Scan::kStartLine;
  Pause pause_ = Pause::kNone;
  bool failed_ = false;
  ParseError error_;

  // The message being parsed.
  bool started_ = false;
  bool headersDone_ = false;
  bool complete_ = false;
  bool skipBody_ = false;
  bool valuePending_ = false;
  std::string url_;
  std::string field_;
  std::string value_;
  Headers headers_;
  std::string body_;
  std::string method_;
  int status_ = 0;
  int versionMinor_ = 1;
  bool keepAlive_ = true;
};

}  // namespace rollway::http::detail
