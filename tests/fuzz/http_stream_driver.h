#pragma once

// Drives an http::StreamParser the way the proxy does (one growing buffer per
// connection, compacted only between messages, execute() again after kHead even with no
// new bytes) over input delivered in several pieces, and checks the parser's contract:
// consumed never exceeds what was offered, kNeedMore consumes everything, header spans
// lie inside the buffer, and no sequence of calls spins without progress.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_input.h"
#include "rollway/http/parse_result.h"
#include "rollway/http/stream_parser.h"

namespace rollway::fuzz {

class CountingSink : public http::StreamParser::BodySink {
 public:
  void onBody(const char* data, size_t length) override {
    for (size_t i = 0; i < length; ++i) sum_ += static_cast<unsigned char>(data[i]);  // touch every byte
    bytes_ += length;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_ = 0;
  uint64_t sum_ = 0;
};

struct StreamOptions {
  bool responses = false;
  bool headRequests = false;      // responses: expectNoBody() before each one
  bool resumeAfterUpgrade = false;
};

class StreamDriver {
 public:
  StreamDriver(http::StreamParser& parser, StreamOptions options) : parser_(parser), options_(options) {}

  // Offers `piece` as newly read bytes. false once the parser failed or the stream ended.
  bool feed(const char* piece, size_t length) {
    if (done_) return false;
    if (!parser_.inMessage() && begin_ > 0) {  // compact between messages, like the proxy
      buf_.erase(0, begin_);
      begin_ = 0;
    }
    buf_.append(piece, length);
    return run();
  }

  // The peer closed.
  void finish() {
    if (done_) return;
    auto step = parser_.finish();
    ROLLWAY_FUZZ_CHECK(step.consumed == 0);
    if (step.event == http::StreamParser::Event::kError) checkError();
  }

 private:
  bool run() {
    int idle = 0;  // calls in a row that consumed nothing
    for (;;) {
      size_t end = buf_.size();
      if (options_.responses && options_.headRequests && !parser_.inMessage()) parser_.expectNoBody();
      auto step = parser_.execute(buf_.data(), begin_, end, &sink_);
      ROLLWAY_FUZZ_CHECK(step.consumed <= end - begin_);
      begin_ += step.consumed;
      idle = step.consumed == 0 ? idle + 1 : 0;
      ROLLWAY_FUZZ_CHECK(idle < 8);
      switch (step.event) {
        case http::StreamParser::Event::kNeedMore:
          ROLLWAY_FUZZ_CHECK(begin_ == end);
          return true;
        case http::StreamParser::Event::kHead:
          checkHead();
          break;  // parse on: the body (or the end of a bodyless message) follows
        case http::StreamParser::Event::kComplete:
          ++messages_;
          if (begin_ == end) return true;
          break;
        case http::StreamParser::Event::kUpgrade:
          if (!options_.resumeAfterUpgrade) {
            done_ = true;  // the rest is another protocol
            return false;
          }
          parser_.resumeAfterUpgrade();
          break;
        case http::StreamParser::Event::kError:
          checkError();
          done_ = true;
          return false;
      }
    }
  }

  void checkHead() {
    const auto& head = parser_.head();
    auto inside = [this](const http::StreamParser::Span& s) {
      ROLLWAY_FUZZ_CHECK(static_cast<size_t>(s.offset) + s.length <= buf_.size());
      for (char c : s.in(buf_.data())) touched_ += static_cast<unsigned char>(c);
    };
    inside(head.target);
    for (const auto& h : head.headers) {
      inside(h.name);
      inside(h.value);
    }
    ROLLWAY_FUZZ_CHECK(head.headBytes > 0 && head.headBytes <= buf_.size());
  }

  void checkError() {
    int status = parser_.error().status;
    ROLLWAY_FUZZ_CHECK(status >= 400 && status <= 599);
  }

  http::StreamParser& parser_;
  StreamOptions options_;
  CountingSink sink_;
  std::string buf_;
  size_t begin_ = 0;
  bool done_ = false;
  uint64_t messages_ = 0;
  uint64_t touched_ = 0;
};

// Feeds `data` to a fresh driver in the pieces `cuts` delimit, then finishes.
inline void feedInPieces(http::StreamParser& parser, StreamOptions options, const uint8_t* data, size_t size,
                         const std::vector<size_t>& cuts) {
  StreamDriver driver(parser, options);
  const char* text = reinterpret_cast<const char*>(data);
  size_t from = 0;
  for (size_t cut : cuts) {
    if (!driver.feed(text + from, cut - from)) return;
    from = cut;
  }
  if (!driver.feed(text + from, size - from)) return;
  driver.finish();
}

// A buffered parser (RequestParser / ResponseParser) fed the input in the pieces `cuts`
// gives, the way the control plane feeds it: every complete message is taken and handed
// to `onMessage`, the rest of the buffer kept. false from feedBuffered: a parse error
// ended the input (its status checked). The caller does what its parser needs at EOF.
template <class Parser, class OnMessage>
bool feedBuffered(Parser& parser, const uint8_t* data, size_t size, const std::vector<size_t>& cuts,
                  OnMessage&& onMessage) {
  std::string buffer;
  const char* text = reinterpret_cast<const char*>(data);
  size_t from = 0;
  auto offer = [&](size_t to) -> bool {
    buffer.append(text + from, to - from);
    from = to;
    for (int guard = 0;; ++guard) {
      ROLLWAY_FUZZ_CHECK(guard < 100000);
      auto r = parser.feed(buffer);
      ROLLWAY_FUZZ_CHECK(r.consumed <= buffer.size());
      if (r.status == http::ParseStatus::kNeedMore) {
        ROLLWAY_FUZZ_CHECK(r.consumed == buffer.size());
        buffer.clear();
        return true;
      }
      if (r.status == http::ParseStatus::kError) {
        ROLLWAY_FUZZ_CHECK(parser.error().status >= 400 && parser.error().status <= 599);
        return false;
      }
      buffer.erase(0, r.consumed);
      onMessage(parser.take());
      if (buffer.empty()) return true;
    }
  };
  for (size_t cut : cuts) {
    if (!offer(cut)) return false;
  }
  return offer(size);
}

}  // namespace rollway::fuzz
