#include "rollway/http/message.h"

#include <string>

#include "rollway/http/status.h"

namespace rollway::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: %XX and '+' as space; a malformed escape
// is kept as it is.
std::string decodeComponent(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hexValue(text[i + 1]) >= 0 && hexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(text[i + 1]) * 16 + hexValue(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool hasFraming(const Headers& headers) {
  return findHeader(headers, "Content-Length") != nullptr ||
         findHeader(headers, "Transfer-Encoding") != nullptr;
}

void appendHeaders(std::string& out, const Headers& headers, size_t bodySize, bool keepAlive,
                   bool addLength) {
  for (const auto& header : headers) {
    out += header.name;
    out += ": ";
    out += header.value;
    out += "\r\n";
  }
  if (addLength && !hasFraming(headers)) {
    out += "Content-Length: ";
    out += std::to_string(bodySize);
    out += "\r\n";
  }
  if (!keepAlive && findHeader(headers, "Connection") == nullptr) out += "Connection: close\r\n";
  out += "\r\n";
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const std::string* findHeader(const Headers& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (equalsIgnoreCase(header.name, name)) return &header.value;
  }
  return nullptr;
}

std::string_view Request::path() const {
  std::string_view t = target;
  auto q = t.find('?');
  return q == std::string_view::npos ? t : t.substr(0, q);
}

std::string_view Request::query() const {
  std::string_view t = target;
  auto q = t.find('?');
  if (q == std::string_view::npos) return {};
  t = t.substr(q + 1);
  auto hash = t.find('#');
  return hash == std::string_view::npos ? t : t.substr(0, hash);
}

std::string Request::queryParam(std::string_view name) const {
  std::string_view rest = query();
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (decodeComponent(key) == name) return decodeComponent(value);
  }
  return {};
}

std::string serialize(const Request& request) {
  std::string out;
  out.reserve(128 + request.body.size());
  out += request.method;
  out += ' ';
  out += request.target;
  out += " HTTP/1.";
  out += std::to_string(request.versionMinor);
  out += "\r\n";
  appendHeaders(out, request.headers, request.body.size(), request.keepAlive, true);
  out += request.body;
  return out;
}

std::string serialize(const Response& response) {
  std::string out;
  out.reserve(128 + response.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += statusReason(response.status);
  out += "\r\n";
  // 1xx, 204 and 304 never carry a body nor (for 1xx/204) a Content-Length.
  bool bodyless = (response.status >= 100 && response.status < 200) || response.status == 204 ||
                  response.status == 304;
  appendHeaders(out, response.headers, response.body.size(), response.keepAlive, !bodyless);
  if (!bodyless) out += response.body;
  return out;
}

}  // namespace rollway::http
