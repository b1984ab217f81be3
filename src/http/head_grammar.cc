#include "http/head_grammar.h"

#include <string>

namespace rollway::http::detail {
namespace {

ParseError bad(std::string reason) { return ParseError{400, std::move(reason)}; }

bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isAlpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool isCtl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// "HTTP/1.0" and "HTTP/1.1" are spoken; another well-formed version is 505, else 400.
std::optional<ParseError> checkVersion(std::string_view v) {
  if (v == "HTTP/1.1" || v == "HTTP/1.0") return std::nullopt;
  if (v.size() == 8 && v.substr(0, 5) == "HTTP/" && isDigit(v[5]) && v[6] == '.' && isDigit(v[7])) {
    return ParseError{505, "HTTP version " + std::string(v.substr(5)) + " is not supported"};
  }
  return bad("malformed HTTP-version");
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

bool isTchar(unsigned char c) {
  if (isAlpha(c) || isDigit(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string_view trimOws(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

std::optional<ParseError> checkHead(std::string_view head, HeadKind kind) {
  // Line endings first: every CR is followed by LF and every LF preceded by CR.
  for (size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n')) return bad("bare CR in the head");
    if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) return bad("bare LF in the head (lines end in CRLF)");
  }
  size_t at = 0;
  if (kind == HeadKind::kRequest) {
    while (head.substr(at, 2) == "\r\n") at += 2;  // RFC 9112 §2.2: empty lines before it
  }
  size_t end = head.find("\r\n", at);
  if (end == std::string_view::npos) return bad("the head does not end in CRLF");
  std::string_view start = head.substr(at, end - at);
  auto err = kind == HeadKind::kRequest ? checkRequestLine(start) : checkStatusLine(start);
  if (err) return err;
  at = end + 2;
  for (;;) {
    end = head.find("\r\n", at);
    if (end == std::string_view::npos) return bad("the head does not end with an empty line");
    std::string_view line = head.substr(at, end - at);
    if (line.empty()) return std::nullopt;
    if (line.front() == ' ' || line.front() == '\t') {
      return bad("obsolete line folding (a header line starting with whitespace) is not allowed");
    }
    if (auto e = checkFieldLine(line)) return e;
    at = end + 2;
  }
}

std::optional<ParseError> checkRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return bad("request line without a request-target and HTTP-version");
  std::string_view method = line.substr(0, sp1);
  if (method.empty()) return bad("request line starts with whitespace");
  for (unsigned char c : method) {
    if (!isTchar(c)) return bad("the method is not a token");
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return bad("request line without an HTTP-version");
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty()) return bad("more than one space between the method and the request-target");
  for (unsigned char c : target) {
    if (isCtl(c) || c >= 0x80) return bad("a control character or non-ASCII byte in the request-target");
    if (c == '#') return bad("a fragment in the request-target");
  }
  std::string_view version = line.substr(sp2 + 1);
  if (version.find(' ') != std::string_view::npos || version.empty()) {
    return bad("more than one space in the request line");
  }
  return checkVersion(version);
}

std::optional<ParseError> checkStatusLine(std::string_view line) {
  if (line.size() < 12 || line[8] != ' ') return bad("malformed status line");
  if (auto e = checkVersion(line.substr(0, 8))) return e;
  if (!isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11])) return bad("the status code is not 3 digits");
  if (line.size() == 12) return std::nullopt;  // no reason (many servers omit even the SP)
  if (line[12] != ' ') return bad("malformed status line");
  for (unsigned char c : line.substr(13)) {
    if (isCtl(c) && c != '\t') return bad("a control character in the reason phrase");
  }
  return std::nullopt;
}

std::optional<ParseError> checkFieldLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bad("a header line without a colon");
  if (colon == 0) return bad("a header line has an empty name");
  for (unsigned char c : line.substr(0, colon)) {
    if (c == ' ' || c == '\t') return bad("whitespace in a header name or between a header name and ':'");
    if (!isTchar(c)) return bad("a header name that is not a token");
  }
  for (unsigned char c : line.substr(colon + 1)) {
    if (isCtl(c) && c != '\t') return bad("a control character in a header value");
  }
  return std::nullopt;
}

bool isValidHost(std::string_view host) {
  if (host.empty()) return true;
  size_t portAt = std::string_view::npos;
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (unsigned char c : host.substr(1, close - 1)) {
      if (!(isDigit(c) || isAlpha(c) || c == ':' || c == '.')) return false;
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return false;
      portAt = close + 1;
    }
  } else {
    portAt = host.find(':');
    std::string_view name = host.substr(0, portAt);
    if (name.empty()) return false;
    for (unsigned char c : name) {
      if (!(isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '%')) return false;
    }
  }
  if (portAt == std::string_view::npos) return true;
  std::string_view port = host.substr(portAt + 1);
  if (port.size() > 5) return false;
  for (unsigned char c : port) {
    if (!isDigit(c)) return false;
  }
  return true;
}

std::optional<ParseError> checkTarget(std::string_view method, std::string_view target,
                                      std::string_view* authority) {
  *authority = {};
  if (target == "*") {
    if (method == "OPTIONS") return std::nullopt;
    return bad("asterisk-form request-target is only for OPTIONS");
  }
  if (!target.empty() && target.front() == '/') return std::nullopt;  // origin-form
  size_t colon = target.find("://");
  if (colon == std::string_view::npos) return bad("the request-target is neither origin-form nor absolute-form");
  std::string_view scheme = target.substr(0, colon);
  if (!equalsNoCase(scheme, "http") && !equalsNoCase(scheme, "https")) {
    return bad("absolute-form request-target with a scheme other than http or https");
  }
  std::string_view rest = target.substr(colon + 3);
  size_t pathAt = rest.find_first_of("/?");
  std::string_view auth = rest.substr(0, pathAt);
  if (auth.empty()) return bad("absolute-form request-target without a host");
  if (auth.find('@') != std::string_view::npos) return bad("userinfo in the request-target");
  if (!isValidHost(auth)) return bad("absolute-form request-target with an invalid host");
  *authority = auth;
  return std::nullopt;
}

bool parseContentLength(std::string_view value, unsigned long long* out) {
  if (value.empty() || value.size() > 18) return false;
  unsigned long long n = 0;
  for (unsigned char c : value) {
    if (!isDigit(c)) return false;
    n = n * 10 + (c - '0');
  }
  *out = n;
  return true;
}

}  // namespace rollway::http::detail
