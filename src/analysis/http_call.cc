// callUrl over libcurl: http:// and https:// for the providers and notifications.
#include <curl/curl.h>

#include <cctype>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "http_call.h"

namespace rollway::analysis {

namespace {

constexpr size_t kMaxBody = 4 << 20;  // a provider's answer is a small JSON document

struct Sink {
  std::string body;
  bool tooLarge = false;
};

size_t appendBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  if (sink->body.size() + n > kMaxBody) {
    sink->tooLarge = true;
    return 0;  // libcurl stops with CURLE_WRITE_ERROR
  }
  sink->body.append(data, n);
  return n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::string lowered(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

Result<http::Response> callUrl(const CurlUrl& url, std::string_view peer, std::string_view method,
                               std::string_view body, std::chrono::milliseconds timeout, const HttpOptions& http) {
  // Everything the handle points at is declared first, so that it outlives the handle.
  const std::string& full = url.url();
  const std::string verb(method);
  const long ms = static_cast<long>(std::max<int64_t>(timeout.count(), 1));
  Sink sink;
  char errorText[CURL_ERROR_SIZE] = {0};
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  list = list ? curl_slist_append(list, "Accept: application/json") : nullptr;
  list = list ? curl_slist_append(list, "Expect:") : nullptr;  // no 100-continue round trip
  std::unique_ptr<curl_slist, SlistDeleter> headers(list);
  if (!headers) return fail(ErrorCode::kInternal, "{} {}: out of memory", peer, url.text());
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle) return fail(ErrorCode::kInternal, "{} {}: cannot initialise libcurl", peer, url.text());
  CURL* c = handle.get();

  bool ok = curl_easy_setopt(c, CURLOPT_URL, full.c_str()) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_PROXY, "") == CURLE_OK &&  // never a proxy from the environment
            curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorText) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_USERAGENT, "rollway") == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &appendBody) == CURLE_OK &&
            curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink) == CURLE_OK;
  if (ok && !http.caFile.empty()) ok = curl_easy_setopt(c, CURLOPT_CAINFO, http.caFile.c_str()) == CURLE_OK;
  if (ok && verb == "POST") {
    ok = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size())) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data()) == CURLE_OK;
  } else if (ok && verb != "GET") {
    ok = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, verb.c_str()) == CURLE_OK;
  }
  if (!ok) return fail(ErrorCode::kInternal, "{} {}: libcurl refused an option", peer, url.text());

  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    std::string why = errorText[0] != '\0' ? errorText : curl_easy_strerror(rc);
    long osErrno = 0;
    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &osErrno);
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return fail(ErrorCode::kTimeout, "{} at {} did not answer within {} ms ({})", peer, url.authority(), ms, url.text());
      case CURLE_COULDNT_CONNECT:
        return fail(ErrorCode::kUnavailable, "cannot reach {} at {}: {}", peer, url.authority(),
                    osErrno != 0 ? lowered(std::strerror(static_cast<int>(osErrno))) : why);
      case CURLE_WRITE_ERROR:
        if (sink.tooLarge) {
          return fail(ErrorCode::kUnavailable, "{} {} sent an answer larger than {} bytes", peer, url.text(), kMaxBody);
        }
        break;
      default:
        break;
    }
    // TLS failures say what was wrong with the certificate ("SSL certificate problem: ...").
    return fail(ErrorCode::kUnavailable, "{} {}: {}", peer, url.text(), why);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  http::Response response;
  response.status = static_cast<int>(status);
  response.body = std::move(sink.body);
  return response;
}

Result<std::optional<double>> fetchJson(const CurlUrl& url, std::string_view peer, std::string_view method,
                                        std::string_view body, std::chrono::milliseconds timeout,
                                        const HttpOptions& http, const JsonReader& read) {
  auto response = callUrl(url, peer, method, body, timeout, http);
  if (!response) return fail(response.error());
  auto reply = nlohmann::json::parse(response->body, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "{} {} answered HTTP {} that is not a JSON object: {}", peer, url.text(),
                response->status, response->body.substr(0, 200));
  }
  try {
    return read(response->status, reply);
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kInvalidArgument, "{} {} sent an unexpected answer: {}", peer, url.text(), e.what());
  }
}

}  // namespace rollway::analysis
