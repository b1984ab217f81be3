#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rollway::http {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive lookup of the first header with this name; nullptr when absent.
const std::string* findHeader(const Headers& headers, std::string_view name);
bool equalsIgnoreCase(std::string_view a, std::string_view b);

// A whole, buffered request (control-plane use: API, admin socket, probes).
struct Request {
  std::string method = "GET";
  std::string target = "/";  // origin-form: /v1/services?x=y
  int versionMinor = 1;      // HTTP/1.x
  Headers headers;
  std::string body;
  bool keepAlive = true;

  std::string_view path() const;   // target before '?'
  std::string_view query() const;  // after '?', empty when none
  // The decoded value of query parameter `name`, or "" when absent.
  std::string queryParam(std::string_view name) const;
  const std::string* header(std::string_view name) const { return findHeader(headers, name); }
};

// A whole, buffered response.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  bool keepAlive = true;

  const std::string* header(std::string_view name) const { return findHeader(headers, name); }
};

// Wire form. Content-Length is added from body.size() unless the message already has a
// Content-Length or Transfer-Encoding header; "Connection: close" is added when
// keepAlive is false. Responses get the standard reason phrase.
std::string serialize(const Request& request);
std::string serialize(const Response& response);

}  // namespace rollway::http
