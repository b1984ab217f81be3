#pragma once

// Peers of the daemon for the analysis end-to-end tests: a JSON HTTP server standing in
// for a webhook metric provider or a notification receiver, and the spec lines that
// point a service at them.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "rollway/net/endpoint.h"
#include "rollway/net/json_reply.h"
#include "rollway/net/server.h"

namespace rollway::e2e {

// An HTTP peer of the daemon on 127.0.0.1 (a webhook metric provider, a notification
// receiver): answers each request with the JSON answer(request), `delay` after it came,
// from a thread of its own (the server keeps taking requests meanwhile); keeps the bodies.
class JsonPeer {
 public:
  using Answer = std::function<nlohmann::json(const http::Request&)>;

  explicit JsonPeer(std::chrono::milliseconds delay = std::chrono::milliseconds(0),
                    Answer answer = [](const http::Request&) { return nlohmann::json{{"ok", true}}; })
      : delay_(delay), answer_(std::move(answer)) {
    port_ = freePort();
    net::ServerOptions o;
    o.tcp = *net::Endpoint::parse("127.0.0.1:" + std::to_string(port_));
    o.openTcp = true;
    auto server = net::Server::start(o, [this](http::Request r, net::Responder respond) {
      std::lock_guard lock(mutex_);
      bodies_.push_back(r.body);
      pending_.push_back({std::chrono::steady_clock::now() + delay_, answer_(r), std::move(respond)});
      wake_.notify_all();
    });
    if (server) server_ = std::move(*server);
    answerer_ = std::thread([this] { answerLoop(); });
  }
  ~JsonPeer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    answerer_.join();
    if (server_) server_->stop();
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    nlohmann::json body;
    net::Responder respond;
  };

  void answerLoop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (pending_.empty()) {
        wake_.wait(lock);
        continue;
      }
      if (wake_.wait_until(lock, pending_.front().due) == std::cv_status::no_timeout) continue;
      Pending p = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      p.respond(net::jsonReply(200, p.body));
      lock.lock();
    }
  }

  std::chrono::milliseconds delay_;
  Answer answer_;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;
  std::vector<std::string> bodies_;
  bool stopping_ = false;
  std::thread answerer_;
  std::unique_ptr<net::Server> server_;
};

// Lines under spec: (DemoService::extraSpec) for an analysis of one webhook metric
// "external" that passes above 0.9, checked every second, aborting at the first failure
// with minRequests 0, and an abort notification to `notifyUrl`.
inline std::string webhookAnalysisSpec(const std::string& metricUrl, const std::string& notifyUrl) {
  return "  analysis:\n"
         "    interval: 1s\n"
         "    failureLimit: 1\n"
         "    minRequests: 0\n"
         "    metrics:\n"
         "      - name: external\n"
         "        successCondition: \"> 0.9\"\n"
         "        provider: {webhook: {url: \"" + metricUrl + "\"}}\n"
         "  notifications: {webhooks: [{url: \"" + notifyUrl + "\"}]}\n";
}

}  // namespace rollway::e2e
