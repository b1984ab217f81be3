#include "handler.h"

#include <charconv>

#include <fmt/format.h>

namespace demo {
namespace {

using rollway::SteadyTime;
using rollway::http::Request;
using rollway::http::Response;

constexpr int64_t kMaxSleepMs = 10 * 60 * 1000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<int64_t> toInt(std::string_view s) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

rollway::SeededRandom makeRandom(const Options& options) {
  return options.seed ? rollway::SeededRandom(*options.seed) : rollway::SeededRandom();
}

}  // namespace

Handler::Handler(const Options& options, SteadyTime processStart)
    : options_(options),
      processStart_(processStart),
      listenStart_(processStart),
      random_(makeRandom(options)) {}

void Handler::listening(int port, std::string instance, SteadyTime now) {
  port_ = port;
  instance_ = std::move(instance);
  listenStart_ = now;
}

bool Handler::ready(SteadyTime now) const {
  if (forcedReady_) return *forcedReady_;
  if (now < listenStart_ + options_.readyDelay) return false;
  if (options_.failReadyAfter && now >= processStart_ + *options_.failReadyAfter) return false;
  return true;
}

bool Handler::healthzHangs(SteadyTime now) const {
  if (forcedHang_) return *forcedHang_;
  return options_.hangHealthzAfter && now >= processStart_ + *options_.hangHealthzAfter;
}

void Handler::decorate(Response& response) const {
  response.headers.push_back({"X-Version", options_.version});
  response.headers.push_back({"X-Instance", instance_});
}

Reply Handler::text(int status, std::string body) const {
  Reply reply;
  reply.response.status = status;
  reply.response.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  reply.response.body = std::move(body);
  return reply;
}

Reply Handler::handle(const Request& request, SteadyTime now) {
  std::string_view path = request.path();
  if (path == "/healthz") {
    Reply reply = text(200, "ok\n");
    reply.hang = healthzHangs(now);
    return reply;
  }
  if (path == "/ready") return ready(now) ? text(200, "ready\n") : text(503, "not ready\n");
  if (path == "/admin/ready") return adminReady(request);
  if (path == "/admin/healthz") return adminHealthz(request);
  if (path == "/admin/exit") return adminExit(request);
  if (path == "/echo") return echo(request);
  if (path == "/sleep") return sleep(request);
  if (path == "/status") return status(request);
  return root(request);
}

Reply Handler::root(const Request& request) {
  // A uniform draw in [0, 1) from the top 53 bits: rate 1.0 always fails, 0.0 never.
  double draw = static_cast<double>(random_.next() >> 11) * 0x1.0p-53;
  bool fail = draw < options_.errorRate;
  std::string body;
  if (fail) body = "injected error (--error-rate)\n";
  body += fmt::format("version={} instance={} port={} method={} path={}", options_.version, instance_, port_,
                      request.method, request.path());
  if (!request.query().empty()) body += fmt::format(" query={}", request.query());
  body += '\n';
  for (const auto& header : request.headers) body += fmt::format("{}: {}\n", header.name, header.value);
  Reply reply = text(fail ? 500 : 200, std::move(body));
  reply.delay = options_.latency;
  return reply;
}

Reply Handler::adminReady(const Request& request) {
  if (request.method != "POST") return text(405, "use POST with a body of on, off or auto\n");
  auto body = trim(request.body);
  if (body == "on") {
    forcedReady_ = true;
  } else if (body == "off") {
    forcedReady_ = false;
  } else if (body == "auto") {
    forcedReady_.reset();
  } else {
    return text(400, "body must be on, off or auto\n");
  }
  return text(200, fmt::format("readiness {}\n", body));
}

Reply Handler::adminHealthz(const Request& request) {
  if (request.method != "POST") return text(405, "use POST with a body of ok, hang or auto\n");
  auto body = trim(request.body);
  if (body == "ok") {
    forcedHang_ = false;
  } else if (body == "hang") {
    forcedHang_ = true;
  } else if (body == "auto") {
    forcedHang_.reset();
  } else {
    return text(400, "body must be ok, hang or auto\n");
  }
  return text(200, fmt::format("healthz {}\n", body));
}

Reply Handler::adminExit(const Request& request) {
  if (request.method != "POST") return text(405, "use POST with the exit status as the body\n");
  auto code = toInt(trim(request.body));
  if (!code || *code < 0 || *code > 255) return text(400, "body must be an exit status 0..255\n");
  Reply reply = text(200, fmt::format("exiting with status {}\n", *code));
  reply.exitStatus = static_cast<int>(*code);
  return reply;
}

Reply Handler::echo(const Request& request) {
  if (request.method != "POST" && request.method != "PUT") return text(405, "use POST or PUT\n");
  Reply reply;
  reply.response.status = 200;
  const std::string* type = request.header("Content-Type");
  reply.response.headers.push_back({"Content-Type", type ? *type : "application/octet-stream"});
  reply.response.body = request.body;
  return reply;
}

Reply Handler::sleep(const Request& request) {
  auto ms = toInt(request.queryParam("ms"));
  if (!ms || *ms < 0 || *ms > kMaxSleepMs) {
    return text(400, fmt::format("ms must be an integer in [0, {}]\n", kMaxSleepMs));
  }
  Reply reply = text(200, fmt::format("slept {} ms\n", *ms));
  reply.delay = Duration(*ms);
  return reply;
}

Reply Handler::status(const Request& request) {
  auto code = toInt(request.queryParam("code"));
  if (!code || *code < 200 || *code > 599) return text(400, "code must be an HTTP status in [200, 599]\n");
  return text(static_cast<int>(*code), fmt::format("status {}\n", *code));
}

}  // namespace demo
