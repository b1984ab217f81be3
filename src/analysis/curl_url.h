#pragma once

// Private to analysis: the http:// and https:// URLs of metric providers and webhooks,
// parsed and rebuilt by libcurl's URL API (curl_url / CURLU), so that what is checked
// here is exactly what libcurl then connects to.

#include <string>
#include <string_view>

#include "rollway/common/result.h"

namespace rollway::analysis {

class CurlUrl {
 public:
  // "http[s]://host[:port][/path][?query][#fragment]"; the fragment is dropped. Another
  // scheme (or none), user:password@, an empty host, a bad host or port is a
  // kInvalidArgument error that quotes the URL and says what is wrong with it.
  static Result<CurlUrl> parse(std::string_view text);

  const std::string& text() const { return text_; }            // as written
  const std::string& url() const { return url_; }              // as libcurl is given it
  const std::string& authority() const { return authority_; }  // host[:port], for messages
  const std::string& path() const { return path_; }            // starts with '/'
  const std::string& query() const { return query_; }          // "" when none
  bool tls() const { return tls_; }

  // The same URL with its path and query replaced (`query` is used as written, so encode
  // its values with urlEncode); text() stays the URL as written.
  Result<CurlUrl> withTarget(std::string_view path, std::string_view query) const;

 private:
  std::string text_;
  std::string url_;
  std::string authority_;
  std::string path_ = "/";
  std::string query_;
  bool tls_ = false;
};

// Percent-encodes everything but RFC 3986 unreserved characters (for a query value).
std::string urlEncode(std::string_view text);

}  // namespace rollway::analysis
