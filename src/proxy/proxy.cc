#include "proxy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "rollway/net/json_reply.h"
#include "rollway/proxy/snapshot_json.h"

namespace rollway::proxy {

namespace {

using nlohmann::json;

// Write to a temporary file, fsync, rename: the state file is always whole.
Result<void> writeFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot write {}: {}", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return fail(ErrorCode::kIo, "cannot write {}: {}", tmp, std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return fail(ErrorCode::kIo, "cannot sync {}: {}", tmp, std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(ErrorCode::kIo, "cannot rename {} to {}: {}", tmp, path, std::strerror(errno));
  }
  return {};
}

json totalsJson(const RevisionTotals& t) {
  json classes = json::object();
  static constexpr const char* kNames[] = {"error", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (size_t i = 0; i < t.byClass.size(); ++i) classes[kNames[i]] = t.byClass[i];
  json buckets = json::array();
  for (auto c : t.latency.counts) buckets.push_back(c);
  return {{"requests", t.requests()},
          {"byClass", classes},
          {"upstreamErrors", t.upstreamErrors},
          {"retries", t.retries},
          {"held", t.held},
          {"inFlight", t.inFlight},
          {"latencyBuckets", buckets},
          {"p50Ms", t.latency.quantileMicros(0.50) / 1000.0},
          {"p99Ms", t.latency.quantileMicros(0.99) / 1000.0}};
}

}  // namespace

Proxy::Proxy(ProxyOptions options, Logger logger) : options_(std::move(options)), logger_(std::move(logger)) {}

Proxy::~Proxy() {
  if (admin_) admin_->stop();
  if (metrics_) metrics_->stop();
}

Result<std::unique_ptr<Proxy>> Proxy::create(ProxyOptions options, Logger logger) {
  if (options.config.workers < 1 || options.config.workers > 256) {
    return fail(ErrorCode::kInvalidArgument, "--workers must be between 1 and 256, not {}", options.config.workers);
  }
  std::unique_ptr<Proxy> proxy(new Proxy(std::move(options), std::move(logger)));
  std::random_device seed;
  for (int i = 0; i < proxy->options_.config.workers; ++i) {
    uint64_t s = (static_cast<uint64_t>(seed()) << 32) ^ seed();
    proxy->workers_.push_back(std::make_unique<Worker>(i, proxy->options_.config, proxy->logger_, s));
  }
  if (!proxy->options_.adminSocket.empty()) {
    net::ServerOptions admin;
    admin.unixPath = proxy->options_.adminSocket;
    admin.logger = proxy->logger_;
    admin.maxBodyBytes = 64 * 1024 * 1024;
    Proxy* raw = proxy.get();
    auto server = net::Server::start(admin, [raw](http::Request r, net::Responder respond) {
      raw->handleAdmin(std::move(r), std::move(respond));
    });
    if (!server) return fail(server.error());
    proxy->admin_ = std::move(*server);
  }
  if (!proxy->options_.metricsAddress.empty()) {
    auto endpoint = net::Endpoint::parse(proxy->options_.metricsAddress);
    if (!endpoint || endpoint->kind != net::Endpoint::Kind::kTcp) {
      return fail(ErrorCode::kInvalidArgument, "--metrics {}: expected HOST:PORT", proxy->options_.metricsAddress);
    }
    net::ServerOptions metrics;
    metrics.tcp = *endpoint;
    metrics.openTcp = true;
    metrics.logger = proxy->logger_;
    Proxy* raw = proxy.get();
    auto server = net::Server::start(metrics, [raw](http::Request r, net::Responder respond) {
      if (r.path() != "/metrics") {
        respond(net::errorReply(Error{ErrorCode::kNotFound, "only /metrics is served here", {}}));
        return;
      }
      http::Response response;
      response.headers.push_back({"Content-Type", "text/plain; version=0.0.4; charset=utf-8"});
      response.body = raw->prometheusText();
      respond(std::move(response));
    });
    if (!server) return fail(server.error());
    proxy->metrics_ = std::move(*server);
  }
  return proxy;
}

Result<bool> Proxy::loadState() {
  if (options_.stateFile.empty()) return false;
  std::ifstream in(options_.stateFile, std::ios::binary);
  if (!in) return false;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kInvalidArgument, "state file {} is not JSON", options_.stateFile);
  auto snapshot = snapshotFromJson(j);
  if (!snapshot) {
    Error e = snapshot.error();
    e.message = "state file " + options_.stateFile + ": " + e.message;
    return fail(e);
  }
  if (auto ok = applySnapshot(std::move(*snapshot), /*force=*/true); !ok) return fail(ok.error());
  return true;
}

Result<void> Proxy::applySnapshot(RoutingSnapshot snapshot, bool force) {
  std::lock_guard lock(mutex_);
  if (!force && snapshot_ && snapshot.version < snapshot_->version) {
    return fail(ErrorCode::kConflict, "snapshot version {} is older than the current {}", snapshot.version,
                snapshot_->version);
  }
  auto shared = std::make_shared<const RoutingSnapshot>(std::move(snapshot));
  auto table = RouteTable::build(shared);
  if (!table) return fail(table.error());
  if (!options_.stateFile.empty()) {
    if (auto ok = writeFileAtomically(options_.stateFile, toJson(*shared).dump()); !ok) return ok;
  }
  snapshot_ = shared;
  table_ = *table;
  publishToWorkers();
  logger_->info("routing snapshot {} applied: {} listener(s), {} service(s), {} endpoint(s)", snapshot_->version,
                table_->listeners().size(), table_->services().size(), table_->endpoints().size());
  return {};
}

// Hands the table to every worker. Once the workers run, waits (bounded) until each has
// installed it, so that when the admin PUT answers, no worker routes by the old table:
// the control plane signals an instance only after its removal is in effect everywhere.
void Proxy::publishToWorkers() {
  if (!started_) {
    for (auto& w : workers_) w->publish(table_);
    return;
  }
  struct Pending {
    std::mutex mutex;
    std::condition_variable cv;
    size_t remaining = 0;
  };
  auto pending = std::make_shared<Pending>();
  pending->remaining = workers_.size();
  for (auto& w : workers_) {
    w->publish(table_, [pending] {
      std::lock_guard lock(pending->mutex);
      if (--pending->remaining == 0) pending->cv.notify_all();
    });
  }
  std::unique_lock lock(pending->mutex);
  if (!pending->cv.wait_for(lock, std::chrono::seconds(2), [&] { return pending->remaining == 0; })) {
    logger_->warn("routing snapshot {}: {} worker(s) did not install it within 2s", snapshot_->version,
                  pending->remaining);
  }
}

void Proxy::start() {
  for (auto& w : workers_) w->start();
  std::lock_guard lock(mutex_);
  started_ = true;
}

void Proxy::stop() {
  auto deadline = std::chrono::steady_clock::now() + options_.config.drainTimeout;
  for (auto& w : workers_) w->beginStop(deadline);
  for (auto& w : workers_) w->join();
}

uint64_t Proxy::snapshotVersion() const {
  std::lock_guard lock(mutex_);
  return snapshot_ ? snapshot_->version : 0;
}

json Proxy::metricsJson() const {
  std::map<MetricsShard::Key, RevisionTotals> totals;
  for (const auto& w : workers_) w->metrics().collect(totals);
  json services = json::object();
  for (const auto& [key, t] : totals) {
    if (key.first.empty()) continue;
    services[key.first]["revisions"][std::to_string(key.second)] = totalsJson(t);
  }
  uint64_t connections = 0;
  for (const auto& w : workers_) connections += w->connectionCount();
  return {{"snapshotVersion", snapshotVersion()}, {"connections", connections}, {"services", services}};
}

json Proxy::endpointsJson() const {
  std::map<std::string, uint64_t> inFlight;
  for (const auto& w : workers_) w->collectInFlight(inFlight);
  json items = json::array();
  for (const auto& [address, n] : inFlight) items.push_back({{"address", address}, {"inFlight", n}});
  return {{"items", items}};
}

std::string Proxy::prometheusText() const {
  std::map<MetricsShard::Key, RevisionTotals> totals;
  for (const auto& w : workers_) w->metrics().collect(totals);
  std::ostringstream out;
  out << "# HELP rollway_requests_total Requests answered, by service, revision and status class.\n"
      << "# TYPE rollway_requests_total counter\n";
  static constexpr const char* kClasses[] = {"error", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (const auto& [key, t] : totals) {
    if (key.first.empty()) continue;
    for (size_t i = 0; i < t.byClass.size(); ++i) {
      out << "rollway_requests_total{service=\"" << key.first << "\",revision=\"" << key.second << "\",code=\""
          << kClasses[i] << "\"} " << t.byClass[i] << "\n";
    }
  }
  auto simple = [&](const char* name, const char* help, const char* type, auto get) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    for (const auto& [key, t] : totals) {
      if (key.first.empty()) continue;
      out << name << "{service=\"" << key.first << "\",revision=\"" << key.second << "\"} " << get(t) << "\n";
    }
  };
  simple("rollway_upstream_errors_total", "Failed attempts to an endpoint (connect, reset, timeout).", "counter",
         [](const RevisionTotals& t) { return t.upstreamErrors; });
  simple("rollway_retries_total", "Requests retried on another endpoint.", "counter",
         [](const RevisionTotals& t) { return t.retries; });
  simple("rollway_held_requests_total", "Requests that waited for a ready endpoint.", "counter",
         [](const RevisionTotals& t) { return t.held; });
  simple("rollway_in_flight_requests", "Requests in flight.", "gauge",
         [](const RevisionTotals& t) { return t.inFlight; });
  out << "# HELP rollway_request_duration_seconds Time from request head to the end of the response.\n"
      << "# TYPE rollway_request_duration_seconds histogram\n";
  for (const auto& [key, t] : totals) {
    if (key.first.empty()) continue;
    uint64_t cumulative = 0;
    double sum = 0;
    for (int i = 0; i < kLatencyBuckets; ++i) {
      uint64_t c = t.latency.counts[static_cast<size_t>(i)];
      cumulative += c;
      sum += static_cast<double>(c) * (static_cast<double>(latencyBucketLowerMicros(i) + latencyBucketUpperMicros(i)) / 2e6);
      // One bucket line per power of two keeps the exposition short.
      if (i % 4 == 3 && i < kLatencyBuckets - 1) {
        out << "rollway_request_duration_seconds_bucket{service=\"" << key.first << "\",revision=\"" << key.second
            << "\",le=\"" << static_cast<double>(latencyBucketUpperMicros(i)) / 1e6 << "\"} " << cumulative << "\n";
      }
    }
    out << "rollway_request_duration_seconds_bucket{service=\"" << key.first << "\",revision=\"" << key.second
        << "\",le=\"+Inf\"} " << cumulative << "\n";
    out << "rollway_request_duration_seconds_sum{service=\"" << key.first << "\",revision=\"" << key.second << "\"} "
        << sum << "\n";
    out << "rollway_request_duration_seconds_count{service=\"" << key.first << "\",revision=\"" << key.second
        << "\"} " << cumulative << "\n";
  }
  return out.str();
}

void Proxy::handleAdmin(http::Request request, net::Responder respond) {
  auto path = request.path();
  if (path == "/v1/snapshot" && request.method == "GET") {
    std::lock_guard lock(mutex_);
    respond(net::jsonReply(200, snapshot_ ? toJson(*snapshot_) : json::object()));
    return;
  }
  if (path == "/v1/snapshot" && (request.method == "PUT" || request.method == "POST")) {
    auto j = json::parse(request.body, nullptr, false);
    if (j.is_discarded()) {
      respond(net::errorReply(Error{ErrorCode::kInvalidArgument, "snapshot body is not JSON", {}}));
      return;
    }
    auto snapshot = snapshotFromJson(j);
    if (!snapshot) {
      respond(net::errorReply(snapshot.error()));
      return;
    }
    auto ok = applySnapshot(std::move(*snapshot), request.queryParam("force") == "true");
    respond(ok ? net::jsonReply(200, {{"version", snapshotVersion()}}) : net::errorReply(ok.error()));
    return;
  }
  if (path == "/v1/metrics" && request.method == "GET") {
    respond(net::jsonReply(200, metricsJson()));
    return;
  }
  if (path == "/v1/endpoints" && request.method == "GET") {
    respond(net::jsonReply(200, endpointsJson()));
    return;
  }
  if (path == "/healthz") {
    respond(net::jsonReply(200, {{"status", "ok"}, {"snapshotVersion", snapshotVersion()}}));
    return;
  }
  respond(net::errorReply(Error{ErrorCode::kNotFound, "no such admin resource: " + std::string(path), {}}));
}

}  // namespace rollway::proxy
