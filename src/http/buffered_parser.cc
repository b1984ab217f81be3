#include "http/buffered_parser.h"

#include <llhttp.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "http/head_grammar.h"

namespace rollway::http::detail {

BufferedParser::BufferedParser(StreamParser::Kind kind, ParseLimits limits)
    : kind_(kind), limits_(limits), parser_(kind, limits.maxHeaderBytes) {
  parser_.setIgnoreUpgrade(true);  // the control plane answers an Upgrade offer as plain HTTP
}

void BufferedParser::fail(int status, std::string reason) {
  failed_ = true;
  error_ = ParseError{status, std::move(reason)};
}

void BufferedParser::onBody(const char* data, size_t length) {
  if (overLimit_) return;
  if (body_.size() + length > limits_.maxBodyBytes) {
    overLimit_ = true;
    return;
  }
  body_.append(data, length);
}

// Copies the head out of the buffer (its spans die with the next compaction).
bool BufferedParser::takeHead() {
  const auto& h = parser_.head();
  const char* b = buffer_.data();
  headers_.clear();
  for (const auto& hd : h.headers) {
    headers_.push_back(Header{std::string(hd.name.in(b)), std::string(trimOws(hd.value.in(b)))});
  }
  versionMinor_ = h.versionMinor;
  keepAlive_ = h.keepAlive;
  if (kind_ == StreamParser::Kind::kRequest) {
    method_ = llhttp_method_name(static_cast<llhttp_method_t>(h.method));
    target_ = std::string(h.target.in(b));
  } else {
    status_ = h.status;
    if (status_ == 101) {
      fail(400, "unexpected 101 Switching Protocols");
      return false;
    }
  }
  if (h.hasContentLength && h.contentLength > limits_.maxBodyBytes) {
    fail(413, "body of " + std::to_string(h.contentLength) + " bytes exceeds the limit of " +
                  std::to_string(limits_.maxBodyBytes) + " bytes");
    return false;
  }
  headDone_ = true;
  return true;
}

FeedResult BufferedParser::feed(std::string_view bytes) {
  if (failed_) return {ParseStatus::kError, 0};
  if (complete_) return {ParseStatus::kComplete, 0};
  // Where this call's bytes start in buffer_ (earlier bytes were reported consumed by a
  // kNeedMore); it moves left, possibly below 0, as consumed bytes are dropped.
  int64_t callStart = static_cast<int64_t>(buffer_.size());
  buffer_.append(bytes);
  auto drop = [&](size_t n) {
    buffer_.erase(0, n);
    parsed_ -= n;
    callStart -= static_cast<int64_t>(n);
  };
  for (;;) {
    if (skipBody_ && !headDone_) parser_.expectNoBody();
    auto step = parser_.execute(buffer_.data(), parsed_, buffer_.size(), this);
    parsed_ += step.consumed;
    if (overLimit_) {
      fail(413, "body exceeds the limit of " + std::to_string(limits_.maxBodyBytes) + " bytes");
      return {ParseStatus::kError, 0};
    }
    switch (step.event) {
      case StreamParser::Event::kNeedMore:
        // Before the head: only empty lines can be dropped (nothing started); after it,
        // every parsed byte is in body_ already.
        if (headDone_ || !parser_.inMessage()) drop(parsed_);
        return {ParseStatus::kNeedMore, bytes.size()};
      case StreamParser::Event::kHead:
        if (!takeHead()) return {ParseStatus::kError, 0};
        drop(parsed_);
        break;
      case StreamParser::Event::kComplete:
      case StreamParser::Event::kUpgrade: {
        complete_ = true;
        int64_t used = static_cast<int64_t>(parsed_) - callStart;
        buffer_.clear();
        parsed_ = 0;
        return {ParseStatus::kComplete, static_cast<size_t>(std::max<int64_t>(0, used))};
      }
      case StreamParser::Event::kError:
        fail(parser_.error().status, parser_.error().reason);
        return {ParseStatus::kError, 0};
    }
  }
}

ParseStatus BufferedParser::feedEof() {
  if (failed_) return ParseStatus::kError;
  if (complete_) return ParseStatus::kComplete;
  if (!parser_.inMessage()) return ParseStatus::kNeedMore;
  auto step = parser_.finish();
  if (step.event == StreamParser::Event::kComplete) {
    if (overLimit_) {
      fail(413, "body exceeds the limit of " + std::to_string(limits_.maxBodyBytes) + " bytes");
      return ParseStatus::kError;
    }
    complete_ = true;
    buffer_.clear();
    parsed_ = 0;
    return ParseStatus::kComplete;
  }
  fail(400, "connection closed before the message was complete");
  return ParseStatus::kError;
}

void BufferedParser::resetMessage() {
  headDone_ = complete_ = skipBody_ = overLimit_ = false;
  method_.clear();
  target_.clear();
  status_ = 0;
  versionMinor_ = 1;
  headers_.clear();
  body_.clear();
  keepAlive_ = true;
}

Request BufferedParser::takeRequest() {
  Request request;
  request.method = std::move(method_);
  request.target = std::move(target_);
  request.versionMinor = versionMinor_;
  request.headers = std::move(headers_);
  request.body = std::move(body_);
  request.keepAlive = keepAlive_;
  resetMessage();
  return request;
}

Response BufferedParser::takeResponse() {
  Response response;
  response.status = status_;
  response.headers = std::move(headers_);
  response.body = std::move(body_);
  response.keepAlive = keepAlive_;
  resetMessage();
  return response;
}

}  // namespace rollway::http::detail
