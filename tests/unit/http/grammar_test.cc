// One table per grammar rule (RFC 9110 §5.1/§5.5, RFC 9112 §2-§7), each row run through
// the streaming parser (whole and byte by byte) and the buffered one: they share one
// implementation, and this proves both callers see it. 0 = accepted.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/head_grammar.h"
#include "rollway/http/request_parser.h"
#include "rollway/http/response_parser.h"
#include "rollway/http/stream_parser.h"

namespace rollway::http {
namespace {

using namespace std::string_literals;

struct Row {
  const char* name;
  std::string wire;
  int status;  // expected error status; 0 = one whole message accepted
};

class Discard : public StreamParser::BodySink {
 public:
  void onBody(const char*, size_t length) override { bytes += length; }
  size_t bytes = 0;
};

// 0 when one message completed, else the error status (-1: neither).
int streamOutcome(StreamParser::Kind kind, const std::string& wire, size_t piece) {
  StreamParser parser(kind);
  Discard sink;
  size_t begin = 0, end = std::min(piece, wire.size());
  for (;;) {
    auto step = parser.execute(wire.data(), begin, end, &sink);
    begin += step.consumed;
    if (step.event == StreamParser::Event::kError) return parser.error().status;
    if (step.event == StreamParser::Event::kComplete) return 0;
    if (step.event == StreamParser::Event::kNeedMore) {
      if (end == wire.size()) {
        auto fin = parser.finish();
        return fin.event == StreamParser::Event::kComplete ? 0 : -1;
      }
      end = std::min(end + piece, wire.size());
    }
  }
}

template <typename Parser>
int bufferedOutcome(const std::string& wire) {
  Parser parser;
  auto r = parser.feed(wire);
  if (r.status == ParseStatus::kComplete) return 0;
  if (r.status == ParseStatus::kError) return parser.error().status;
  auto eof = parser.feedEof();
  if (eof == ParseStatus::kComplete) return 0;
  return eof == ParseStatus::kError ? parser.error().status : -1;
}

void runRequests(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(streamOutcome(StreamParser::Kind::kRequest, row.wire, row.wire.size()), row.status) << "stream";
    EXPECT_EQ(streamOutcome(StreamParser::Kind::kRequest, row.wire, 1), row.status) << "stream, byte by byte";
    EXPECT_EQ(bufferedOutcome<RequestParser>(row.wire), row.status) << "buffered";
  }
}

void runResponses(const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    EXPECT_EQ(streamOutcome(StreamParser::Kind::kResponse, row.wire, row.wire.size()), row.status) << "stream";
    EXPECT_EQ(streamOutcome(StreamParser::Kind::kResponse, row.wire, 1), row.status) << "stream, byte by byte";
    EXPECT_EQ(bufferedOutcome<ResponseParser>(row.wire), row.status) << "buffered";
  }
}

const std::string kHost = "Host: a.example\r\n";
std::string get(const std::string& headers) { return "GET / HTTP/1.1\r\n" + kHost + headers + "\r\n"; }
std::string line(const std::string& requestLine) { return requestLine + "\r\n" + kHost + "\r\n"; }

TEST(HttpGrammar, RequestLine) {
  runRequests({
      {"plain", line("GET /a?b=c HTTP/1.1"), 0},
      {"HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", 0},
      {"two spaces after method", line("GET  / HTTP/1.1"), 400},
      {"two spaces before version", line("GET /  HTTP/1.1"), 400},
      {"tab as separator", line("GET\t/ HTTP/1.1"), 400},
      {"leading space", line(" GET / HTTP/1.1"), 400},
      {"trailing space", line("GET / HTTP/1.1 "), 400},
      {"no version", "GET /\r\n\r\n", 400},
      {"lower-case version", line("GET / http/1.1"), 400},
      {"HTTP/1.2 (llhttp: invalid version)", line("GET / HTTP/1.2"), 400},
      {"HTTP/2.0", line("GET / HTTP/2.0"), 505},
      {"method not a token", line("G(T / HTTP/1.1"), 400},
      {"target with CTL", line("GET /a\x01 HTTP/1.1"), 400},
      {"target with non-ASCII", line("GET /\xc3\xa9 HTTP/1.1"), 400},
      {"target with fragment", line("GET /a#b HTTP/1.1"), 400},
      {"origin-form", line("GET /x HTTP/1.1"), 0},
      {"absolute-form matching Host", "GET http://a.example/x HTTP/1.1\r\n" + kHost + "\r\n", 0},
      {"absolute-form other host", "GET http://b.example/x HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"absolute-form with userinfo", "GET http://u@a.example/x HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"absolute-form ftp", "GET ftp://a.example/x HTTP/1.1\r\n" + kHost + "\r\n", 400},
      {"authority-form with GET", line("GET a.example:80 HTTP/1.1"), 400},
      {"CONNECT", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 501},
      {"asterisk-form with OPTIONS", line("OPTIONS * HTTP/1.1"), 0},
      {"asterisk-form with GET", line("GET * HTTP/1.1"), 400},
      {"bare LF after the request line", "GET / HTTP/1.1\n" + kHost + "\r\n", 400},
  });
}

TEST(HttpGrammar, FieldNames) {
  runRequests({
      {"every tchar", get("!#$%&'*+-.^_`|~09azAZ: v\r\n"), 0},
      {"space inside", get("X Y: v\r\n"), 400},
      {"space before colon", get("X-Y : v\r\n"), 400},
      {"tab before colon", get("X-Y\t: v\r\n"), 400},
      {"empty name", get(": v\r\n"), 400},
      {"no colon", get("X-Y v\r\n"), 400},
      {"delimiter /", get("X/Y: v\r\n"), 400},
      {"delimiter @", get("X@Y: v\r\n"), 400},
      {"delimiter quote", get("X\"Y: v\r\n"), 400},
      {"non-ASCII", get("X\xc3\xa9: v\r\n"), 400},
      {"NUL", get("X\0Y: v\r\n"s), 400},
      {"DEL", get("X\x7fY: v\r\n"), 400},
  });
}

TEST(HttpGrammar, FieldValues) {
  runRequests({
      {"obs-text allowed", get("X: caf\xc3\xa9 \xff\r\n"), 0},
      {"HTAB inside", get("X: a\tb\r\n"), 0},
      {"empty", get("X:\r\n"), 0},
      {"OWS only", get("X: \t \r\n"), 0},
      {"NUL", get("X: a\0b\r\n"s), 400},
      {"bare CR", get("X: a\rb\r\n"), 400},
      {"bare LF", get("X: a\nb\r\n"), 400},
      {"vertical tab", get("X: a\x0b\r\n"), 400},
      {"form feed", get("X: \x0c" "a\r\n"), 400},
      {"ESC", get("X: a\x1b\r\n"), 400},
      {"DEL", get("X: a\x7f\r\n"), 400},
      {"obs-fold (space)", get("X: a\r\n b\r\n"), 400},
      {"obs-fold (tab)", get("X: a\r\n\tb\r\n"), 400},
      {"first line folded", "GET / HTTP/1.1\r\n X: a\r\n" + kHost + "\r\n", 400},
      {"head ends in CRLF LF", "GET / HTTP/1.1\r\n" + kHost + "\n", 400},
  });
}

TEST(HttpGrammar, HostRules) {
  runRequests({
      {"missing on 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
      {"missing on 1.0", "GET / HTTP/1.0\r\n\r\n", 0},
      {"duplicate", get("host: a.example\r\n"), 400},
      {"duplicate on 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400},
      {"with port", "GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", 0},
      {"IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 0},
      {"empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0},
      {"list", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", 400},
      {"slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
      {"bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
  });
}

std::string post(const std::string& headers, const std::string& body) {
  return "POST / HTTP/1.1\r\n" + kHost + headers + "\r\n" + body;
}

TEST(HttpGrammar, ContentLength) {
  runRequests({
      {"plain", post("Content-Length: 5\r\n", "hello"), 0},
      {"leading zeros", post("Content-Length: 005\r\n", "hello"), 0},
      {"OWS around", post("Content-Length: \t5 \r\n", "hello"), 0},
      {"identical duplicates", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), 400},
      {"different duplicates", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), 400},
      {"identical list", post("Content-Length: 5, 5\r\n", "hello"), 400},
      {"sign", post("Content-Length: +5\r\n", "hello"), 400},
      {"hex", post("Content-Length: 0x5\r\n", "hello"), 400},
      {"empty", post("Content-Length:\r\n", "hello"), 400},
      {"space inside", post("Content-Length: 1 0\r\n", "helloworld"), 400},
      {"wraps 64 bits", post("Content-Length: 18446744073709551621\r\n", "hello"), 400},
      {"with Transfer-Encoding", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400},
  });
}

TEST(HttpGrammar, TransferEncoding) {
  runRequests({
      {"chunked", post("Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), 0},
      {"Chunked (case)", post("Transfer-Encoding: Chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), 0},
      {"gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), 501},
      {"chunked, chunked", post("Transfer-Encoding: chunked, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), 400},
      {"two headers", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400},
      {"quoted", post("Transfer-Encoding: \"chunked\"\r\n", "0\r\n\r\n"), 501},
      {"empty", post("Transfer-Encoding:\r\n", "0\r\n\r\n"), 501},
      {"identity", post("Transfer-Encoding: identity\r\n", ""), 501},
      {"HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
  });
}

TEST(HttpGrammar, ChunkedBody) {
  std::string te = "Transfer-Encoding: chunked\r\n";
  runRequests({
      {"extensions", post(te, "5;c=\"d e\";a=b\r\nhello\r\n2;n\r\n!!\r\n0;z=1\r\n\r\n"), 0},
      // llhttp 8.1 refuses a second extension after an unquoted value (RFC 9112 §7.1.1
      // allows it; nginx and HAProxy accept it). Stricter, so kept: documented in README.
      {"extension after a token value", post(te, "5;a=b;c=d\r\nhello\r\n0\r\n\r\n"), 400},
      {"leading zeros", post(te, "005\r\nhello\r\n0\r\n\r\n"), 0},
      {"trailers", post(te, "0\r\nX-T: a\tb\r\nX-U:\r\n\r\n"), 0},
      {"0x prefix", post(te, "0x5\r\nhello\r\n0\r\n\r\n"), 400},
      {"negative", post(te, "-5\r\nhello\r\n0\r\n\r\n"), 400},
      {"overflow", post(te, "10000000000000005\r\nhello\r\n0\r\n\r\n"), 400},
      {"space after size", post(te, "5 \r\nhello\r\n0\r\n\r\n"), 400},
      {"bare LF after size", post(te, "5\nhello\r\n0\r\n\r\n"), 400},
      {"bare CR in extension", post(te, "5;a\rb\r\nhello\r\n0\r\n\r\n"), 400},
      {"extension without name", post(te, "5;\r\nhello\r\n0\r\n\r\n"), 400},
      {"data longer than size", post(te, "3\r\nhello\r\n0\r\n\r\n"), 400},
      {"no CRLF after data", post(te, "5\r\nhello0\r\n\r\n"), 400},
      {"trailer name with space", post(te, "0\r\nX T: a\r\n\r\n"), 400},
      {"trailer space before colon", post(te, "0\r\nX-T : a\r\n\r\n"), 400},
      {"trailer empty name", post(te, "0\r\n: a\r\n\r\n"), 400},
      {"trailer obs-fold", post(te, "0\r\nX-T: a\r\n b\r\n\r\n"), 400},
      {"trailer NUL", post(te, "0\r\nX-T: a\0\r\n\r\n"s), 400},
      {"trailer ESC", post(te, "0\r\nX-T: a\x1b\r\n\r\n"), 400},
  });
}

TEST(HttpGrammar, StatusLineAndResponseFields) {
  runResponses({
      {"plain", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0},
      {"empty reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 0},
      {"no reason", "HTTP/1.1 204\r\n\r\n", 0},
      {"reason with HTAB and obs-text", "HTTP/1.1 200 O\tK \xe9\r\nContent-Length: 0\r\n\r\n", 0},
      {"reason with CTL", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", 400},
      {"two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", 400},
      {"HTTP/2.0", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", 505},
      {"lower-case version", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 400},
      {"bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 400},
      {"field name with space", "HTTP/1.1 200 OK\r\nX Y: a\r\nContent-Length: 0\r\n\r\n", 400},
      {"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", 400},
      {"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", 400},
      {"NUL in value", "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n"s, 400},
      {"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 400},
      {"Content-Length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", 0},
      {"chunked, gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\nok\r\n0\r\n\r\n", 400},
      {"close-delimited", "HTTP/1.1 200 OK\r\n\r\nuntil eof", 0},
  });
}

// RFC 9112 §5: OWS around a field value is not part of it. llhttp keeps the trailing
// OWS in its spans; the proxy routes on Host and forwards values from these spans.
TEST(HttpGrammar, StreamParserSpansExcludeOws) {
  std::string wire = "GET / HTTP/1.1\r\nHost: \t a.example \t \r\nX-T:  a \tb\t\r\nX-E: \t\r\n\r\n";
  StreamParser parser(StreamParser::Kind::kRequest);
  auto step = parser.execute(wire.data(), 0, wire.size(), nullptr);
  ASSERT_EQ(step.event, StreamParser::Event::kHead) << parser.error().reason;
  const auto& headers = parser.head().headers;
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].value.in(wire.data()), "a.example");
  EXPECT_EQ(headers[1].value.in(wire.data()), "a \tb");
  EXPECT_EQ(headers[2].value.in(wire.data()), "");
  RequestParser buffered;
  ASSERT_EQ(buffered.feed(wire).status, ParseStatus::kComplete);
  EXPECT_EQ(*buffered.take().header("x-t"), "a \tb");
}

TEST(HttpGrammar, PureFunctions) {
  using namespace detail;
  EXPECT_FALSE(checkFieldLine("X-Y: a b"));
  EXPECT_TRUE(checkFieldLine("X-Y : a"));
  EXPECT_TRUE(checkFieldLine(":a"));
  EXPECT_FALSE(checkRequestLine("GET / HTTP/1.1"));
  EXPECT_EQ(checkRequestLine("GET / HTTP/3.0")->status, 505);
  EXPECT_EQ(checkRequestLine("GET / HTTP/1.1.1")->status, 400);
  EXPECT_FALSE(checkStatusLine("HTTP/1.0 404 Not Found"));
  EXPECT_TRUE(isValidHost("[2001:db8::1]:443"));
  EXPECT_FALSE(isValidHost("[2001:db8::1]x"));
  EXPECT_FALSE(isValidHost(":80"));
  unsigned long long n = 0;
  EXPECT_TRUE(parseContentLength("123", &n));
  EXPECT_EQ(n, 123u);
  EXPECT_FALSE(parseContentLength("1234567890123456789", &n));  // beyond 18 digits
  std::string_view authority;
  EXPECT_FALSE(checkTarget("GET", "HTTPS://A.example:8443/x?y", &authority));
  EXPECT_EQ(authority, "A.example:8443");
}

}  // namespace
}  // namespace rollway::http
