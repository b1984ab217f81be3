#pragma once

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rollway/http/parse_result.h"

namespace rollway::http {

// Streaming HTTP/1.x parser for the data plane: strict llhttp, never buffers a body,
// allocates nothing per message once warm. The caller owns one growing buffer per
// connection and passes it whole on every call together with the range of new bytes;
// the head of a message must stay in that buffer (at the same offset) until kHead is
// returned. Header names/values are reported as offsets into the buffer, valid until
// the caller compacts it.
//
//   auto step = parser.execute(buf, begin, end, sink);
//   kNeedMore: everything in [begin, end) was consumed; read more.
//   kHead:     the head is complete (head()); [begin, begin+consumed) was consumed.
//   kComplete: the message (body included) ended at begin+consumed; the bytes after it
//              belong to the next message (pipelining).
//   kUpgrade:  a request offering Upgrade ended; what follows may be another protocol.
//   kError:    error() has the status to answer (400, 417, 431, 501, 505); close afterwards.
// The whole grammar is enforced here, once (src/http/head_grammar.h); RequestParser and
// ResponseParser wrap this class.
// Body bytes go to `sink` as they pass (already de-chunked).
class StreamParser {
 public:
  enum class Kind { kRequest, kResponse };
  enum class Event { kNeedMore, kHead, kComplete, kUpgrade, kError };
  struct Step {
    Event event = Event::kNeedMore;
    size_t consumed = 0;
  };
  struct Span {
    uint32_t offset = 0;
    uint32_t length = 0;
    std::string_view in(const char* buffer) const { return {buffer + offset, length}; }
  };
  struct HeaderSpan {
    Span name;
    Span value;
  };
  struct Head {
    int method = 0;        // llhttp_method_t (requests)
    Span target;           // request-target (requests)
    int status = 0;        // status code (responses)
    int versionMajor = 1;
    int versionMinor = 1;
    std::vector<HeaderSpan> headers;
    bool keepAlive = true;     // llhttp_should_keep_alive
    bool chunked = false;      // Transfer-Encoding: chunked
    bool hasContentLength = false;
    uint64_t contentLength = 0;
    bool upgrade = false;      // request: Upgrade + Connection: upgrade offered
    bool expectContinue = false;
    size_t headBytes = 0;      // request/status line + headers, including the final CRLF
  };
  class BodySink {
   public:
    virtual ~BodySink() = default;
    virtual void onBody(const char* data, size_t length) = 0;
  };

  StreamParser(Kind kind, size_t maxHeaderBytes = 64 * 1024);
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  Step execute(const char* buffer, size_t begin, size_t end, BodySink* sink);
  // The peer closed: completes a response delimited by EOF, else reports truncation.
  Step finish();

  const Head& head() const { return head_; }
  const ParseError& error() const { return error_; }
  // Responses: the request was HEAD, or the status has no body: parse no body.
  void expectNoBody() { noBody_ = true; }
  // Forgets any message in progress (a new upstream exchange).
  void reset();
  // After kUpgrade when the upstream refused the upgrade: parse on as HTTP.
  void resumeAfterUpgrade();
  // Requests: treat an Upgrade offer as plain HTTP (never kUpgrade), as the control
  // plane does.
  void setIgnoreUpgrade(bool ignore) { ignoreUpgrade_ = ignore; }
  bool inMessage() const { return started_; }
  bool headDone() const { return headDone_; }

 private:
  static int onMessageBegin(llhttp_t* p);
  static int onUrl(llhttp_t* p, const char* at, size_t length);
  static int onHeaderField(llhttp_t* p, const char* at, size_t length);
  static int onHeaderFieldComplete(llhttp_t* p);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValueComplete(llhttp_t* p);
  static int onHeadersComplete(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t length);
  static int onMessageComplete(llhttp_t* p);
  static StreamParser& self(llhttp_t* p) { return *static_cast<StreamParser*>(p->data); }

  int headersComplete();
  std::optional<ParseError> validateHead();
  int fail(int status, std::string reason);
  void extend(Span& span, const char* at, size_t length);
  int checkTrailerBytes(const char* at, size_t length, bool name);

  enum class Pause { kNone, kHead, kMessage };

  Kind kind_;
  size_t maxHeaderBytes_;
  llhttp_settings_t settings_{};
  llhttp_t parser_{};
  const char* base_ = nullptr;  // the buffer of the current execute()
  BodySink* sink_ = nullptr;
  const char* segment_ = nullptr;  // the bytes of the current execute()
  char prevByte_ = '\0';           // the last byte consumed by the previous execute()
  size_t trailerNameLength_ = 0;
  Head head_;
  size_t headStart_ = 0;        // offset of the message's first byte
  bool started_ = false;
  bool headDone_ = false;
  bool inValue_ = false;
  bool noBody_ = false;
  bool failed_ = false;
  bool ignoreUpgrade_ = false;
  Pause pause_ = Pause::kNone;
  ParseError error_;
};

}  // namespace rollway::http
