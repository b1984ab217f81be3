#include "http/head_grammar.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

namespace rollway::http::detail {
namespace {

ParseError bad(std::string reason) { return ParseError{400, std::move(reason)}; }

bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isAlpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// One table lookup per byte on the request path (every head of every request and
// response goes through here): which grammar classes a byte belongs to.
enum : uint8_t {
  kTchar = 1,   // RFC 9110 §5.6.2 tchar
  kValue = 2,   // field-value / reason-phrase byte: VCHAR, SP, HTAB, obs-text (no CTL)
  kTarget = 4,  // request-target byte: visible ASCII, not '#' (no CTL, SP or non-ASCII)
  kRegName = 8, // Host reg-name byte as accepted here: ALPHA DIGIT - . _ ~ %
};
constexpr std::array<uint8_t, 256> makeClasses() {
  std::array<uint8_t, 256> t{};
  constexpr std::string_view kTcharPunct = "!#$%&'*+-.^_`|~";
  for (int c = 0; c < 256; ++c) {
    bool ctl = c < 0x20 || c == 0x7f;
    bool tchar = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 kTcharPunct.find(static_cast<char>(c)) != std::string_view::npos;
    uint8_t v = 0;
    if (tchar) v |= kTchar;
    if (!ctl || c == '\t') v |= kValue;
    if (!ctl && c != ' ' && c < 0x80 && c != '#') v |= kTarget;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~' || c == '%') {
      v |= kRegName;
    }
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kClasses = makeClasses();

// Length of the prefix of `s` whose bytes are all in `cls` (four at a time while they are).
size_t spanOf(std::string_view s, uint8_t cls) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0, n = s.size();
  for (; i + 4 <= n; i += 4) {
    if ((kClasses[p[i]] & kClasses[p[i + 1]] & kClasses[p[i + 2]] & kClasses[p[i + 3]] & cls) == 0) break;
  }
  while (i < n && (kClasses[p[i]] & cls) != 0) ++i;
  return i;
}

// spanOf(s, kValue), eight bytes at a time: field values are most of a head's bytes.
// A word passes when none of its bytes is below 0x20 or is 0x7f (the classic "has a
// byte less than n" / "has a zero byte" tests); a word with a CTL or HTAB in it is
// finished byte by byte.
size_t valueSpan(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  size_t i = 0, n = s.size();
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    uint64_t below20 = (x - kOnes * 0x20) & ~x & kHigh;
    uint64_t y = x ^ (kOnes * 0x7f);
    uint64_t is7f = (y - kOnes) & ~y & kHigh;
    if ((below20 | is7f) != 0) break;
  }
  return i + spanOf(s.substr(i), kValue);
}

// The error for a byte outside the grammar: a CR here is a bare one (line splitting
// already took every CRLF).
ParseError badByte(char c, const char* what) {
  if (c == '\r') return bad("bare CR in the head");
  return bad(what);
}

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

bool isTchar(unsigned char c) { return (kClasses[c] & kTchar) != 0; }

std::string_view trimOws(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

std::optional<ParseError> checkHead(std::string_view head, HeadKind kind) {
  // Lines are split at LF, and every LF must follow a CR; a CR anywhere else is a byte
  // no line grammar below admits (bare CR).
  size_t at = 0;
  std::string_view line;
  auto next = [&]() -> std::optional<ParseError> {
    size_t lf = head.find('\n', at);
    if (lf == std::string_view::npos) return bad("the head does not end with an empty line");
    if (lf == at || head[lf - 1] != '\r') return bad("bare LF in the head (lines end in CRLF)");
    line = head.substr(at, lf - 1 - at);
    at = lf + 1;
    return std::nullopt;
  };
  if (auto e = next()) return e;
  if (kind == HeadKind::kRequest) {
    while (line.empty()) {  // RFC 9112 §2.2: empty lines before the request line
      if (auto e = next()) return e;
    }
  }
  auto err = kind == HeadKind::kRequest ? checkRequestLine(line) : checkStatusLine(line);
  if (err) return err;
  for (;;) {
    if (auto e = next()) return e;
    if (line.empty()) return std::nullopt;
    if (line.front() == ' ' || line.front() == '\t') {
      return bad("obsolete line folding (a header line starting with whitespace) is not allowed");
    }
    if (auto e = checkFieldLine(line)) return e;
  }
}

std::optional<ParseError> checkRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return bad("request line without a request-target and HTTP-version");
  std::string_view method = line.substr(0, sp1);
  if (method.empty()) return bad("request line starts with whitespace");
  if (size_t i = spanOf(method, kTchar); i < method.size()) return badByte(method[i], "the method is not a token");
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return bad("request line without an HTTP-version");
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty()) return bad("more than one space between the method and the request-target");
  if (size_t i = spanOf(target, kTarget); i < target.size()) {
    if (target[i] == '#') return bad("a fragment in the request-target");
    return badByte(target[i], "a control character or non-ASCII byte in the request-target");
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
  std::string_view reason = line.substr(13);
  if (size_t i = valueSpan(reason); i < reason.size()) return badByte(reason[i], "a control character in the reason phrase");
  return std::nullopt;
}

std::optional<ParseError> checkFieldLine(std::string_view line) {
  size_t colon = spanOf(line, kTchar);
  if (colon == line.size()) return bad("a header line without a colon");
  if (line[colon] != ':') {
    if (line[colon] == ' ' || line[colon] == '\t') return bad("whitespace in a header name or between a header name and ':'");
    return badByte(line[colon], "a header name that is not a token");
  }
  if (colon == 0) return bad("a header line has an empty name");
  std::string_view value = line.substr(colon + 1);
  if (size_t i = valueSpan(value); i < value.size()) return badByte(value[i], "a control character in a header value");
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
    if (spanOf(name, kRegName) != name.size()) return false;
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
