#include "http/llhttp_core.h"

#include <utility>

namespace rollway::http::detail {

LlhttpCore::LlhttpCore(Kind kind, ParseLimits limits) : kind_(kind), limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &LlhttpCore::onMessageBegin;
  settings_.on_url = &LlhttpCore::onUrl;
  settings_.on_status = &LlhttpCore::onStatus;
  settings_.on_header_field = &LlhttpCore::onHeaderField;
  settings_.on_header_field_complete = &LlhttpCore::onHeaderFieldComplete;
  settings_.on_header_value = &LlhttpCore::onHeaderValue;
  settings_.on_header_value_complete = &LlhttpCore::onHeaderValueComplete;
  settings_.on_headers_complete = &LlhttpCore::onHeadersComplete;
  settings_.on_body = &LlhttpCore::onBody;
  settings_.on_message_complete = &LlhttpCore::onMessageComplete;
  // Strict: no llhttp_set_lenient_* call, ever.
  llhttp_init(&parser_, kind == Kind::kRequest ? HTTP_REQUEST : HTTP_RESPONSE, &settings_);
  parser_.data = this;
}

void LlhttpCore::fail(int status, std::string reason) {
  failed_ = true;
  error_ = ParseError{status, std::move(reason)};
}

int LlhttpCore::userError(int status, std::string reason) {
  fail(status, std::move(reason));
  return HPE_USER;
}

int LlhttpCore::checkHeadSize(const char* end) {
  if (headBytesBefore_ + static_cast<size_t>(end - segment_) > limits_.maxHeaderBytes) {
    return userError(431, "request line and headers exceed " + std::to_string(limits_.maxHeaderBytes) +
                              " bytes");
  }
  return 0;
}

// Checks llhttp (8.x, strict) does not make: obs-fold (a header line starting with
// whitespace) and whitespace between a header name and its colon. Both are request
// smuggling vectors (RFC 9112 §5.1, §5.2); llhttp accepts them.
bool LlhttpCore::scanHead(std::string_view head) {
  for (char c : head) {
    switch (scan_) {
      case Scan::kStartLine:
        if (c == '\n') scan_ = Scan::kLineStart;
        break;
      case Scan::kLineStart:
        if (c == ' ' || c == '\t') {
          fail(400, "obsolete line folding (a header line starting with whitespace) is not allowed");
          return false;
        }
        if (c != '\r' && c != '\n') scan_ = Scan::kName;
        break;
      case Scan::kName:
        if (c == ':') {
          scan_ = Scan::kValue;
        } else if (c == ' ' || c == '\t') {
          fail(400, "whitespace between a header name and ':' is not allowed");
          return false;
        } else if (c == '\n') {
          scan_ = Scan::kLineStart;
        }
        break;
      case Scan::kValue:
        if (c == '\n') scan_ = Scan::kLineStart;
        break;
    }
  }
  return true;
}

FeedResult LlhttpCore::feed(std::string_view bytes) {
  if (failed_) return {ParseStatus::kError, 0};
  if (complete_) return {ParseStatus::kComplete, 0};
  size_t offset = 0;
  while (true) {
    const char* start = bytes.data() + offset;
    size_t length = bytes.size() - offset;
    segment_ = start;
    pause_ = Pause::kNone;
    llhttp_errno_t err = llhttp_execute(&parser_, start, length);
    if (err == HPE_OK) {
      if (started_ && !headersDone_) {
        if (!scanHead({start, length})) return {ParseStatus::kError, offset};
        headBytesBefore_ += length;
        if (headBytesBefore_ > limits_.maxHeaderBytes) {
          userError(431, "request line and headers exceed " + std::to_string(limits_.maxHeaderBytes) +
                             " bytes");
          return {ParseStatus::kError, offset};
        }
      }
      return {ParseStatus::kNeedMore, bytes.size()};
    }
    if (err == HPE_PAUSED) {
      size_t used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - start);
      llhttp_resume(&parser_);
      offset += used;
      if (pause_ == Pause::kHeaders) {
        if (!scanHead({start, used})) return {ParseStatus::kError, offset};
        if (headBytesBefore_ + used > limits_.maxHeaderBytes) {
          userError(431, "request line and headers exceed " + std::to_string(limits_.maxHeaderBytes) +
                             " bytes");
          return {ParseStatus::kError, offset};
        }
        continue;
      }
      return {ParseStatus::kComplete, offset};
    }
    if (!failed_) {
      const char* reason = llhttp_get_error_reason(&parser_);
      fail(400, reason != nullptr && *reason != '\0' ? reason : llhttp_errno_name(err));
    }
    return {ParseStatus::kError, offset};
  }
}

ParseStatus LlhttpCore::feedEof() {
  if (failed_) return ParseStatus::kError;
  if (complete_) return ParseStatus::kComplete;
  if (!started_) return ParseStatus::kNeedMore;
  pause_ = Pause::kNone;
  llhttp_errno_t err = llhttp_finish(&parser_);
  if (complete_) return ParseStatus::kComplete;
  if (!failed_) {
    const char* reason = err == HPE_OK ? nullptr : llhttp_get_error_reason(&parser_);
    fail(400, reason != nullptr && *reason != '\0'
                  ? std::string("connection closed mid-message: ") + reason
                  : std::string("connection closed before the message was complete"));
  }
  return ParseStatus::kError;
}

void LlhttpCore::resetMessage() {
  started_ = false;
  headersDone_ = false;
  complete_ = false;
  skipBody_ = false;
  valuePending_ = false;
  url_.clear();
  field_.clear();
  value_.clear();
  headers_.clear();
  body_.clear();
  method_.clear();
  status_ = 0;
  versionMinor_ = 1;
  keepAlive_ = true;
  headBytesBefore_ = 0;
  scan_ = Scan::kStartLine;
}

Request LlhttpCore::takeRequest() {
  Request request;
  request.method = std::move(method_);
  request.target = std::move(url_);
  request.versionMinor = versionMinor_;
  request.headers = std::move(headers_);
  request.body = std::move(body_);
  request.keepAlive = keepAlive_;
  resetMessage();
  return request;
}

Response LlhttpCore::takeResponse() {
  Response response;
  response.status = status_;
  response.headers = std::move(headers_);
  response.body = std::move(body_);
  response.keepAlive = keepAlive_;
  resetMessage();
  return response;
}

int LlhttpCore::onMessageBegin(llhttp_t* p) {
  auto& core = self(p);
  bool skip = core.skipBody_;
  core.resetMessage();
  core.skipBody_ = skip;
  core.started_ = true;
  return 0;
}

int LlhttpCore::onUrl(llhttp_t* p, const char* at, size_t length) {
  auto& core = self(p);
  core.url_.append(at, length);
  return core.checkHeadSize(at + length);
}

int LlhttpCore::onStatus(llhttp_t* p, const char* at, size_t length) {
  return self(p).checkHeadSize(at + length);
}

void LlhttpCore::pushHeader() {
  if (!headersDone_) headers_.push_back(Header{std::move(field_), std::move(value_)});
  // Trailers (after a chunked body) are dropped: they must not change framing or
  // authentication decisions made on the head.
  field_.clear();
  value_.clear();
  valuePending_ = false;
}

int LlhttpCore::onHeaderField(llhttp_t* p, const char* at, size_t length) {
  auto& core = self(p);
  if (core.valuePending_) core.pushHeader();  // previous header had an empty value
  if (!core.headersDone_) core.field_.append(at, length);
  return core.headersDone_ ? 0 : core.checkHeadSize(at + length);
}

int LlhttpCore::onHeaderFieldComplete(llhttp_t* p) {
  self(p).valuePending_ = true;
  return 0;
}

int LlhttpCore::onHeaderValue(llhttp_t* p, const char* at, size_t length) {
  auto& core = self(p);
  if (!core.headersDone_) core.value_.append(at, length);
  return core.headersDone_ ? 0 : core.checkHeadSize(at + length);
}

int LlhttpCore::onHeaderValueComplete(llhttp_t* p) {
  self(p).pushHeader();
  return 0;
}

int LlhttpCore::onHeadersComplete(llhttp_t* p) { return self(p).headersComplete(); }

int LlhttpCore::headersComplete() {
  if (valuePending_) pushHeader();
  headersDone_ = true;
  versionMinor_ = llhttp_get_http_minor(&parser_);
  if (kind_ == Kind::kRequest) {
    method_ = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(&parser_)));
    if (parser_.method == HTTP_CONNECT) {
      fail(501, "CONNECT is not supported");
      return -1;
    }
    if (versionMinor_ >= 1) {
      int hosts = 0;
      for (const auto& header : headers_) hosts += equalsIgnoreCase(header.name, "Host") ? 1 : 0;
      if (hosts != 1) {
        fail(400, hosts == 0 ? "an HTTP/1.1 request needs a Host header"
                             : "more than one Host header");
        return -1;
      }
    }
  } else {
    status_ = llhttp_get_status_code(&parser_);
    if (status_ == 101) {
      fail(400, "unexpected 101 Switching Protocols");
      return -1;
    }
  }
  // An upgrade offer is ignored: the message is answered as plain HTTP/1.1.
  parser_.upgrade = 0;
  if ((parser_.flags & F_CONTENT_LENGTH) != 0 && parser_.content_length > limits_.maxBodyBytes) {
    fail(413, "body of " + std::to_string(parser_.content_length) + " bytes exceeds the limit of " +
                  std::to_string(limits_.maxBodyBytes) + " bytes");
    return -1;
  }
  // The same effect as returning 1 (no body), combined with a pause.
  if (skipBody_) parser_.flags |= F_SKIPBODY;
  pause_ = Pause::kHeaders;
  return HPE_PAUSED;
}

int LlhttpCore::onBody(llhttp_t* p, const char* at, size_t length) {
  auto& core = self(p);
  if (core.body_.size() + length > core.limits_.maxBodyBytes) {
    return core.userError(413, "body exceeds the limit of " + std::to_string(core.limits_.maxBodyBytes) +
                                   " bytes");
  }
  core.body_.append(at, length);
  return 0;
}

int LlhttpCore::onMessageComplete(llhttp_t* p) {
  auto& core = self(p);
  core.keepAlive_ = llhttp_should_keep_alive(p) != 0;
  core.complete_ = true;
  core.pause_ = Pause::kMessage;
  return HPE_PAUSED;
}

}  // namespace rollway::http::detail
