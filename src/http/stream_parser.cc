#include "rollway/http/stream_parser.h"

#include <algorithm>

#include "rollway/http/message.h"

namespace rollway::http {

StreamParser::StreamParser(Kind kind, size_t maxHeaderBytes) : kind_(kind), maxHeaderBytes_(maxHeaderBytes) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &StreamParser::onMessageBegin;
  settings_.on_url = &StreamParser::onUrl;
  settings_.on_header_field = &StreamParser::onHeaderField;
  settings_.on_header_value = &StreamParser::onHeaderValue;
  settings_.on_header_value_complete = &StreamParser::onHeaderValueComplete;
  settings_.on_headers_complete = &StreamParser::onHeadersComplete;
  settings_.on_body = &StreamParser::onBody;
  settings_.on_message_complete = &StreamParser::onMessageComplete;
  // Strict: no llhttp_set_lenient_* call, ever.
  llhttp_init(&parser_, kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, &settings_);
  parser_.data = this;
}

int StreamParser::fail(int status, std::string reason) {
  failed_ = true;
  error_ = ParseError{status, std::move(reason)};
  return -1;
}

void StreamParser::extend(Span& span, const char* at, size_t length) {
  if (span.length == 0) span.offset = static_cast<uint32_t>(at - base_);
  span.length += static_cast<uint32_t>(length);
}

int StreamParser::onMessageBegin(llhttp_t* p) {
  auto& s = self(p);
  s.started_ = true;
  s.headDone_ = false;
  s.inValue_ = false;
  s.head_.headers.clear();
  s.head_.target = {};
  return 0;
}

int StreamParser::onUrl(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  s.extend(s.head_.target, at, length);
  return 0;
}

int StreamParser::onHeaderField(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  if (s.inValue_ || s.head_.headers.empty()) {
    s.head_.headers.push_back({});
    s.inValue_ = false;
  }
  s.extend(s.head_.headers.back().name, at, length);
  return 0;
}

int StreamParser::onHeaderValue(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  s.inValue_ = true;
  s.extend(s.head_.headers.back().value, at, length);
  return 0;
}

int StreamParser::onHeaderValueComplete(llhttp_t* p) {
  auto& s = self(p);
  s.inValue_ = true;  // the next field starts a new header, even after an empty value
  return 0;
}

// Checks llhttp (8.x, strict) leaves to its caller: obs-fold (a header line starting
// with whitespace) and whitespace between a header name and its colon — both request
// smuggling vectors (RFC 9112 §5.1, §5.2).
bool StreamParser::checkHeadSyntax(const char* buffer) {
  std::string_view headText(buffer + headStart_, head_.headBytes);
  size_t lineStart = headText.find('\n');
  while (lineStart != std::string_view::npos && lineStart + 1 < headText.size()) {
    size_t begin = lineStart + 1;
    char first = headText[begin];
    if (first == ' ' || first == '\t') {
      fail(400, "obsolete line folding (a header line starting with whitespace) is not allowed");
      return false;
    }
    size_t end = headText.find('\n', begin);
    std::string_view line = headText.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && colon > 0 && (line[colon - 1] == ' ' || line[colon - 1] == '\t')) {
      fail(400, "whitespace between a header name and ':' is not allowed");
      return false;
    }
    lineStart = end;
  }
  return true;
}

int StreamParser::headersComplete() {
  Head& h = head_;
  h.versionMajor = llhttp_get_http_major(&parser_);
  h.versionMinor = llhttp_get_http_minor(&parser_);
  h.keepAlive = llhttp_should_keep_alive(&parser_) != 0;
  h.chunked = (parser_.flags & F_CHUNKED) != 0;
  h.hasContentLength = (parser_.flags & F_CONTENT_LENGTH) != 0;
  h.contentLength = h.hasContentLength ? parser_.content_length : 0;
  h.upgrade = false;
  h.expectContinue = false;
  if (h.versionMajor != 1) return fail(505, "only HTTP/1.0 and HTTP/1.1 are spoken here");
  for (const auto& hdr : h.headers) {
    if (hdr.name.length == 0) return fail(400, "a header line has an empty name");
  }
  if (kind_ == Kind::kRequest) {
    h.method = llhttp_get_method(&parser_);
    if (h.method == HTTP_CONNECT) return fail(501, "CONNECT is not supported");
    int hosts = 0;
    for (const auto& hdr : h.headers) {
      auto name = hdr.name.in(base_);
      if (equalsIgnoreCase(name, "host")) {
        ++hosts;
      } else if (equalsIgnoreCase(name, "expect")) {
        if (!equalsIgnoreCase(hdr.value.in(base_), "100-continue")) return fail(417, "only Expect: 100-continue is supported");
        h.expectContinue = true;
      }
    }
    if (h.versionMinor >= 1 && hosts != 1) {
      return fail(400, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header");
    }
    if (hosts > 1) return fail(400, "more than one Host header");
    h.upgrade = parser_.upgrade != 0;
    if (h.upgrade) {
      // An h2c offer is dropped, not forwarded: a 101 from an upstream would open a
      // tunnel the proxy no longer parses (h2c smuggling). The request goes on as
      // plain HTTP/1.1, as RFC 9113 §3.1 lets a server that ignores the offer do.
      for (const auto& hdr : h.headers) {
        if (equalsIgnoreCase(hdr.name.in(base_), "upgrade")) {
          std::string_view v = hdr.value.in(base_);
          if (v.size() >= 3 && equalsIgnoreCase(v.substr(0, 3), "h2c")) h.upgrade = false;
        }
      }
      if (!h.upgrade) parser_.upgrade = 0;
    }
  } else {
    h.status = llhttp_get_status_code(&parser_);
    if (noBody_ || h.status == 204 || h.status == 304 || (h.status >= 100 && h.status < 200)) {
      parser_.flags |= F_SKIPBODY;
    }
  }
  pause_ = Pause::kHead;
  return HPE_PAUSED;
}

int StreamParser::onHeadersComplete(llhttp_t* p) { return self(p).headersComplete(); }

int StreamParser::onBody(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  if (s.sink_ != nullptr) s.sink_->onBody(at, length);
  return 0;
}

int StreamParser::onMessageComplete(llhttp_t* p) {
  auto& s = self(p);
  s.started_ = false;
  s.noBody_ = false;
  s.pause_ = Pause::kMessage;
  return HPE_PAUSED;
}

StreamParser::Step StreamParser::execute(const char* buffer, size_t begin, size_t end, BodySink* sink) {
  if (failed_) return {Event::kError, 0};
  base_ = buffer;
  sink_ = sink;
  if (!started_) headStart_ = begin;
  const char* start = buffer + begin;
  size_t length = end - begin;
  pause_ = Pause::kNone;
  llhttp_errno_t err = llhttp_execute(&parser_, start, length);
  size_t used = length;
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - start);
  }
  if (err == HPE_OK) {
    if (started_ && !headDone_ && (end - headStart_) > maxHeaderBytes_) {
      fail(431, "request line and headers exceed " + std::to_string(maxHeaderBytes_) + " bytes");
      return {Event::kError, used};
    }
    return {Event::kNeedMore, used};
  }
  if (err == HPE_PAUSED && pause_ == Pause::kHead) {
    llhttp_resume(&parser_);
    head_.headBytes = begin + used - headStart_;
    headDone_ = true;
    if (head_.headBytes > maxHeaderBytes_) {
      fail(431, "request line and headers exceed " + std::to_string(maxHeaderBytes_) + " bytes");
      return {Event::kError, used};
    }
    if (!checkHeadSyntax(buffer)) return {Event::kError, used};
    return {Event::kHead, used};
  }
  if (err == HPE_PAUSED && pause_ == Pause::kMessage) {
    llhttp_resume(&parser_);
    return {Event::kComplete, used};
  }
  if (err == HPE_PAUSED_UPGRADE) return {Event::kUpgrade, used};
  if (!failed_) {
    const char* reason = llhttp_get_error_reason(&parser_);
    fail(400, reason != nullptr && *reason != '\0' ? reason : llhttp_errno_name(err));
  }
  return {Event::kError, used};
}

StreamParser::Step StreamParser::finish() {
  if (failed_) return {Event::kError, 0};
  if (!started_) return {Event::kNeedMore, 0};
  pause_ = Pause::kNone;
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (pause_ == Pause::kMessage || (err == HPE_OK && !started_)) return {Event::kComplete, 0};
  fail(502, "connection closed before the message was complete");
  return {Event::kError, 0};
}

void StreamParser::reset() {
  llhttp_reset(&parser_);
  started_ = headDone_ = inValue_ = noBody_ = failed_ = false;
  pause_ = Pause::kNone;
  head_.headers.clear();
}

void StreamParser::resumeAfterUpgrade() { llhttp_resume_after_upgrade(&parser_); }

}  // namespace rollway::http
