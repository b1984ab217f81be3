#include "curl_url.h"

#include <curl/curl.h>

#include <cctype>
#include <memory>

namespace rollway::analysis {

namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

struct CurlFree {
  void operator()(char* p) const { curl_free(p); }
};

// One part of the URL into `out`; false when the URL has none.
bool part(CURLU* u, CURLUPart which, std::string& out, unsigned flags = 0) {
  char* raw = nullptr;
  if (curl_url_get(u, which, &raw, flags) != CURLUE_OK || raw == nullptr) return false;
  std::unique_ptr<char, CurlFree> owned(raw);
  out = raw;
  return true;
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Result<CurlUrl> CurlUrl::parse(std::string_view text) {
  const bool tls = startsWithNoCase(text, "https://");
  const std::string_view scheme = tls ? "https://" : "http://";
  if (!startsWithNoCase(text, scheme)) {
    return fail(ErrorCode::kInvalidArgument, "'{}' is not an http:// or https:// URL (e.g. http://127.0.0.1:9090)",
                text);
  }
  // libcurl reads "http:///path" as the host "path": an empty host is refused here.
  std::string_view rest = text.substr(scheme.size());
  if (rest.empty() || rest.front() == '/' || rest.front() == '?' || rest.front() == '#') {
    return fail(ErrorCode::kInvalidArgument, "'{}': the host is empty", text);
  }
  UrlHandle u(curl_url());
  if (!u) return fail(ErrorCode::kInternal, "'{}': libcurl cannot allocate a URL", text);
  const std::string copy(text);
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, copy.c_str(), 0); rc != CURLUE_OK) {
    return fail(ErrorCode::kInvalidArgument, "'{}' is not a valid URL: {}", text, curl_url_strerror(rc));
  }
  std::string ignored;
  if (part(u.get(), CURLUPART_USER, ignored) || part(u.get(), CURLUPART_PASSWORD, ignored)) {
    return fail(ErrorCode::kInvalidArgument, "'{}': credentials in the URL are not supported", text);
  }
  std::string port;
  if (part(u.get(), CURLUPART_PORT, port) && port == "0") {
    return fail(ErrorCode::kInvalidArgument, "'{}': port 0 cannot be connected to", text);
  }
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  CurlUrl url;
  url.text_ = copy;
  url.tls_ = tls;
  std::string host;
  if (!part(u.get(), CURLUPART_HOST, host) || host.empty()) {
    return fail(ErrorCode::kInvalidArgument, "'{}': the host is empty", text);
  }
  url.authority_ = port.empty() ? host : host + ":" + port;
  if (!part(u.get(), CURLUPART_URL, url.url_)) return fail(ErrorCode::kInternal, "'{}': libcurl cannot rebuild it", text);
  if (!part(u.get(), CURLUPART_PATH, url.path_) || url.path_.empty()) url.path_ = "/";
  part(u.get(), CURLUPART_QUERY, url.query_);
  return url;
}

Result<CurlUrl> CurlUrl::withTarget(std::string_view path, std::string_view query) const {
  UrlHandle u(curl_url());
  if (!u) return fail(ErrorCode::kInternal, "'{}': libcurl cannot allocate a URL", text_);
  const std::string p(path.empty() ? "/" : path);
  const std::string q(query);
  CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url_.c_str(), 0);
  if (rc == CURLUE_OK) rc = curl_url_set(u.get(), CURLUPART_PATH, p.c_str(), 0);
  if (rc == CURLUE_OK) rc = curl_url_set(u.get(), CURLUPART_QUERY, q.empty() ? nullptr : q.c_str(), 0);
  if (rc != CURLUE_OK) {
    return fail(ErrorCode::kInvalidArgument, "'{}' with path '{}' and query '{}' is not a valid URL: {}", text_, path,
                query, curl_url_strerror(rc));
  }
  std::string rebuilt;
  if (!part(u.get(), CURLUPART_URL, rebuilt)) return fail(ErrorCode::kInternal, "'{}': libcurl cannot rebuild it", text_);
  // Setting a part checks less than parsing a whole URL: parse what came out.
  auto out = parse(rebuilt);
  if (!out) {
    return fail(ErrorCode::kInvalidArgument, "'{}' with path '{}' and query '{}' is not a valid URL ({})", text_, path,
                query, out.error().message);
  }
  out->text_ = text_;
  return out;
}

std::string urlEncode(std::string_view text) {
  char* raw = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (raw == nullptr) return {};
  std::unique_ptr<char, CurlFree> owned(raw);
  return std::string(raw);
}

}  // namespace rollway::analysis
