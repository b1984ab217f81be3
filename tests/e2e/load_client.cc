#include "load_client.h"

#include <memory>

#include "http_client.h"

namespace rollway::e2e {

LoadClient::LoadClient(uint16_t port, int keepAlive, int fresh, std::chrono::milliseconds pause,
                       std::chrono::seconds maxDuration)
    : port_(port), pause_(pause), deadline_(std::chrono::steady_clock::now() + maxDuration) {
  for (int i = 0; i < keepAlive; ++i) threads_.emplace_back([this] { runKeepAlive(); });
  for (int i = 0; i < fresh; ++i) threads_.emplace_back([this] { runFresh(); });
}

LoadClient::~LoadClient() { stop(); }

void LoadClient::stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

LoadTotals LoadClient::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

uint64_t LoadClient::requests() const {
  std::lock_guard lock(mutex_);
  return totals_.requests;
}

void LoadClient::count(int status, const std::string& version, const std::string& failure) {
  std::lock_guard lock(mutex_);
  ++totals_.requests;
  if (status >= 200 && status < 300) {
    ++totals_.ok;
    ++totals_.byVersion[version];
    return;
  }
  bool appError = status >= 500 && !version.empty();
  if (status == 0) {
    ++totals_.socketErrors;
  } else {
    ++totals_.non2xx;
    if (appError) ++totals_.appServerErrors;
  }
  if (totals_.firstFailures.size() < 20 && !appError) totals_.firstFailures.push_back(failure);
}

namespace {

std::string header(const http::Response& r, const char* name) {
  auto v = http::findHeader(r.headers, name);
  return v ? std::string(*v) : std::string();
}

}  // namespace

void LoadClient::runKeepAlive() {
  std::unique_ptr<HttpConnection> conn;
  while (!stop_ && std::chrono::steady_clock::now() < deadline_) {
    if (!conn) {
      conn = std::make_unique<HttpConnection>(port_, std::chrono::seconds(15));
      if (!conn->connected()) {
        count(0, "", "keep-alive: connect failed");
        conn.reset();
        std::this_thread::sleep_for(pause_);
        continue;
      }
    }
    auto r = conn->request("GET", "/");
    if (!r) {
      count(0, "", "keep-alive: no response (reset, close or timeout)");
      conn.reset();
    } else {
      count(r->status, header(*r, "X-Version"), "keep-alive: status " + std::to_string(r->status) + " " + r->body);
      auto c = http::findHeader(r->headers, "Connection");
      if (c && http::equalsIgnoreCase(*c, "close")) conn.reset();
    }
    std::this_thread::sleep_for(pause_);
  }
}

void LoadClient::runFresh() {
  while (!stop_ && std::chrono::steady_clock::now() < deadline_) {
    auto r = httpGet(port_, "/");
    if (!r) {
      count(0, "", "new connection: no response");
    } else {
      count(r->status, header(*r, "X-Version"), "new connection: status " + std::to_string(r->status) + " " + r->body);
    }
    std::this_thread::sleep_for(pause_);
  }
}

}  // namespace rollway::e2e
