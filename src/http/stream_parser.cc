#include "rollway/http/stream_parser.h"

#include <algorithm>

#include "http/head_grammar.h"
#include "rollway/http/message.h"

namespace rollway::http {

StreamParser::StreamParser(Kind kind, size_t maxHeaderBytes) : kind_(kind), maxHeaderBytes_(maxHeaderBytes) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &StreamParser::onMessageBegin;
  settings_.on_url = &StreamParser::onUrl;
  settings_.on_header_field = &StreamParser::onHeaderField;
  settings_.on_header_field_complete = &StreamParser::onHeaderFieldComplete;
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
  if (s.headDone_) {
    s.trailerNameLength_ += length;
    return s.checkTrailerBytes(at, length, true);
  }
  if (s.inValue_ || s.head_.headers.empty()) {
    s.head_.headers.push_back({});
    s.inValue_ = false;
  }
  s.extend(s.head_.headers.back().name, at, length);
  return 0;
}

int StreamParser::onHeaderValue(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  if (s.headDone_) {
    // llhttp folds an obs-fold continuation into the value: a value piece that starts
    // right after a LF is one.
    char before = at > s.segment_ ? at[-1] : s.prevByte_;
    if (length > 0 && before == '\n') return s.fail(400, "obsolete line folding in a trailer field is not allowed");
    return s.checkTrailerBytes(at, length, false);
  }
  s.inValue_ = true;
  s.extend(s.head_.headers.back().value, at, length);
  return 0;
}

int StreamParser::onHeaderFieldComplete(llhttp_t* p) {
  auto& s = self(p);
  if (!s.headDone_) return 0;
  size_t length = s.trailerNameLength_;
  s.trailerNameLength_ = 0;
  return length == 0 ? s.fail(400, "a trailer field with an empty name") : 0;
}

int StreamParser::onHeaderValueComplete(llhttp_t* p) {
  auto& s = self(p);
  s.inValue_ = true;  // the next field starts a new header, even after an empty value
  return 0;
}

// Trailer fields (after the last chunk) are checked by the same grammar as head fields
// but not kept: they never change framing, routing or authentication decisions. The
// head's own lines are checked whole in checkHead() once the head is complete.
int StreamParser::checkTrailerBytes(const char* at, size_t length, bool name) {
  for (size_t i = 0; i < length; ++i) {
    auto c = static_cast<unsigned char>(at[i]);
    if (name && !detail::isTchar(c)) return fail(400, "a trailer field name that is not a token");
    if (!name && ((c < 0x20 && c != '\t') || c == 0x7f)) return fail(400, "a control character in a trailer field value");
  }
  return 0;
}

// Pauses right after the head; execute() then checks it (checkHead, validateHead).
int StreamParser::headersComplete() {
  Head& h = head_;
  h.versionMajor = llhttp_get_http_major(&parser_);
  h.versionMinor = llhttp_get_http_minor(&parser_);
  pause_ = Pause::kHead;
  return HPE_PAUSED;
}

// The framing and request-semantics rules of RFC 9110/9112 on top of strict llhttp, after
// the line grammar (start line, field names and values, CRLF, obs-fold) passed on the raw
// head. Runs while llhttp is paused right after the head, before any body byte: what it
// decides (no body, no upgrade) still applies on resume.
std::optional<ParseError> StreamParser::validateHead() {
  Head& h = head_;
  h.keepAlive = llhttp_should_keep_alive(&parser_) != 0;
  h.chunked = (parser_.flags & F_CHUNKED) != 0;
  h.hasContentLength = (parser_.flags & F_CONTENT_LENGTH) != 0;
  h.contentLength = h.hasContentLength ? parser_.content_length : 0;
  h.upgrade = false;
  h.expectContinue = false;
  if (h.versionMajor != 1 || h.versionMinor > 1) return ParseError{505, "only HTTP/1.0 and HTTP/1.1 are spoken here"};
  // llhttp skips the leading OWS of a value but keeps the trailing OWS in its span.
  for (auto& hdr : h.headers) {
    while (hdr.value.length > 0) {
      char last = base_[hdr.value.offset + hdr.value.length - 1];
      if (last != ' ' && last != '\t') break;
      --hdr.value.length;
    }
  }
  int hosts = 0, lengths = 0, encodings = 0;
  std::string_view host, length, encoding;
  for (const auto& hdr : h.headers) {
    if (hdr.name.length == 0) return ParseError{400, "a header line has an empty name"};
    auto name = hdr.name.in(base_);
    auto value = detail::trimOws(hdr.value.in(base_));
    // By length first: most names are none of these, and are passed over in one compare.
    switch (name.size()) {
      case 4:
        if (equalsIgnoreCase(name, "host")) {
          ++hosts;
          host = value;
        }
        break;
      case 6:
        if (kind_ == Kind::kRequest && equalsIgnoreCase(name, "expect")) {
          if (!equalsIgnoreCase(value, "100-continue")) return ParseError{417, "only Expect: 100-continue is supported"};
          h.expectContinue = true;
        }
        break;
      case 14:
        if (equalsIgnoreCase(name, "content-length")) {
          ++lengths;
          length = value;
        }
        break;
      case 17:
        if (equalsIgnoreCase(name, "transfer-encoding")) {
          ++encodings;
          encoding = value;
        }
        break;
      default: break;
    }
  }
  if (encodings > 0 && lengths > 0) return ParseError{400, "Content-Length can't be present with Transfer-Encoding"};
  if (lengths > 1) return ParseError{400, "more than one Content-Length header"};
  unsigned long long declared = 0;
  if (lengths == 1 && !detail::parseContentLength(length, &declared)) return ParseError{400, "invalid Content-Length"};
  if (encodings > 1) return ParseError{400, "more than one Transfer-Encoding header"};
  if (kind_ == Kind::kRequest) {
    h.method = llhttp_get_method(&parser_);
    if (h.method == HTTP_CONNECT) return ParseError{501, "CONNECT is not supported"};
    if (encodings == 1) {
      if (h.versionMinor == 0) return ParseError{400, "Transfer-Encoding in an HTTP/1.0 request"};
      // As nginx: the only transfer coding a request may use is chunked, alone.
      if (!equalsIgnoreCase(encoding, "chunked")) return ParseError{501, "only Transfer-Encoding: chunked is supported"};
    }
    std::string_view authority;
    auto method = llhttp_method_name(static_cast<llhttp_method_t>(h.method));
    if (auto e = detail::checkTarget(method, h.target.in(base_), &authority)) return e;
    if (hosts > 1) return ParseError{400, "more than one Host header"};
    if (h.versionMinor >= 1 && hosts == 0) return ParseError{400, "an HTTP/1.1 request needs a Host header"};
    if (hosts == 1 && !detail::isValidHost(host)) return ParseError{400, "invalid Host header"};
    // RFC 9112 §3.2.2 lets the absolute-form authority override Host; a proxy that
    // routes on Host must never let the two disagree on their way upstream.
    if (!authority.empty() && hosts == 1 && !equalsIgnoreCase(authority, host)) {
      return ParseError{400, "the request-target's authority differs from Host"};
    }
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
      if (ignoreUpgrade_) h.upgrade = false;
      if (!h.upgrade) parser_.upgrade = 0;
    }
  } else {
    h.status = llhttp_get_status_code(&parser_);
    if (encodings == 1) {
      // chunked, when present, is the final coding and appears once (RFC 9112 §6.1).
      size_t at = 0;
      int chunkedSeen = 0;
      bool lastChunked = false;
      while (at <= encoding.size()) {
        size_t comma = encoding.find(',', at);
        auto coding = detail::trimOws(encoding.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
        lastChunked = equalsIgnoreCase(coding, "chunked");
        chunkedSeen += lastChunked ? 1 : 0;
        if (comma == std::string_view::npos) break;
        at = comma + 1;
      }
      if (chunkedSeen > 1 || (chunkedSeen == 1 && !lastChunked)) return ParseError{400, "chunked must be the final transfer coding, once"};
    }
    if (noBody_ || h.status == 204 || h.status == 304 || (h.status >= 100 && h.status < 200)) {
      parser_.flags |= F_SKIPBODY;
    }
  }
  return std::nullopt;
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
  segment_ = start;
  llhttp_errno_t err = llhttp_execute(&parser_, start, length);
  size_t used = length;
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - start);
  }
  if (used > 0) prevByte_ = start[used - 1];
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
    auto kind = kind_ == Kind::kRequest ? detail::HeadKind::kRequest : detail::HeadKind::kResponse;
    auto e = detail::checkHead({buffer + headStart_, head_.headBytes}, kind);
    if (!e) e = validateHead();
    if (e) {
      fail(e->status, std::move(e->reason));
      return {Event::kError, used};
    }
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
  trailerNameLength_ = 0;
  prevByte_ = '\0';
  pause_ = Pause::kNone;
  head_.headers.clear();
}

void StreamParser::resumeAfterUpgrade() { llhttp_resume_after_upgrade(&parser_); }

}  // namespace rollway::http
