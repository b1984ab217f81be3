#include "worker.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client_connection.h"

namespace rollway::proxy {

namespace {
constexpr auto kTick = std::chrono::milliseconds(100);
}

Worker::Worker(int index, const ProxyConfig& config, Logger logger, uint64_t seed)
    : index_(index),
      config_(config),
      logger_(std::move(logger)),
      work_(asio::make_work_guard(io_)),
      ticker_(io_),
      tableChanged_(io_),
      rng_(seed | 1) {
  unrouted_ = &metrics_.counters("", 0);
  if (config_.accessLog == "-") {
    accessFd_ = 2;
  } else if (!config_.accessLog.empty()) {
    accessFd_ = ::open(config_.accessLog.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    ownsAccessFd_ = accessFd_ >= 0;
    if (accessFd_ < 0) logger_->error("cannot open access log {}: {}", config_.accessLog, std::strerror(errno));
  }
}

void Worker::flushAccessLog() {
  if (accessFd_ < 0 || accessBuffer_.empty()) return;
  // O_APPEND writes of whole lines: workers' lines never interleave mid-line.
  size_t done = 0;
  while (done < accessBuffer_.size()) {
    ssize_t n = ::write(accessFd_, accessBuffer_.data() + done, accessBuffer_.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  accessBuffer_.clear();
}

Worker::~Worker() {
  flushAccessLog();
  if (ownsAccessFd_) ::close(accessFd_);
  if (thread_.joinable()) {
    io_.stop();
    thread_.join();
  }
}

void Worker::start() {
  tick();
  thread_ = std::thread([this] { io_.run(); });
}

uint64_t Worker::random() {
  // xorshift64*: per worker, no shared state.
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545F4914F6CDD1DULL;
}

bool Worker::retryAllowed() const {
  double budget = config_.retryMinConcurrency + config_.retryBudgetPercent / 100.0 * activeRequests_;
  return retriesInFlight_ < budget;
}

void Worker::add(ClientConnection* c) {
  connections_.push_back(c);
  connectionCount_.fetch_add(1, std::memory_order_relaxed);
}

void Worker::remove(ClientConnection* c) {
  auto it = std::find(connections_.begin(), connections_.end(), c);
  if (it != connections_.end()) connections_.erase(it);
  connectionCount_.fetch_sub(1, std::memory_order_relaxed);
  if (stopping_) maybeFinish();
}

void Worker::publish(std::shared_ptr<const RouteTable> table, std::function<void()> installed) {
  asio::post(io_, [this, table = std::move(table), installed = std::move(installed)]() mutable {
    apply(std::move(table));
    if (installed) installed();
  });
}

void Worker::apply(std::shared_ptr<const RouteTable> table) {
  table_ = std::move(table);
  if (stopping_) return;

  // Listeners: open the new ones, close those gone, re-index the rest.
  std::vector<std::unique_ptr<Acceptor>> kept;
  for (auto& a : acceptors_) {
    int li = table_->findListener(a->address);
    if (li < 0) {
      asio::error_code ec;
      a->acceptor->close(ec);
      logger_->info("worker {}: stopped listening on {}", index_, a->address);
      // Destroyed once its pending accept handler has run (it holds the pointer).
      asio::post(io_, [dead = std::shared_ptr<Acceptor>(std::move(a))] {});
      continue;
    }
    a->listener = li;
    kept.push_back(std::move(a));
  }
  acceptors_ = std::move(kept);
  for (size_t i = 0; i < table_->listeners().size(); ++i) {
    const auto& l = table_->listeners()[i];
    bool have = std::any_of(acceptors_.begin(), acceptors_.end(), [&](const auto& a) { return a->address == l.address; });
    if (!have) openAcceptor(l, static_cast<int>(i));
  }

  // Endpoint runtimes: by address, surviving swaps; draining/removed ones lose their
  // idle connections now and are forgotten once nothing is in flight. The admin thread
  // reads endpoints_ under inFlightMutex_, so membership changes happen under it.
  std::unique_lock lock(inFlightMutex_);
  for (auto& [address, rt] : endpoints_) {
    rt->inTable = false;
    rt->accepting = false;
  }
  endpointsById_.assign(table_->endpoints().size(), nullptr);
  for (size_t id = 0; id < table_->endpoints().size(); ++id) {
    const auto& e = table_->endpoints()[id];
    auto& slot = endpoints_[e.address];
    if (!slot) {
      asio::error_code ec;
      auto address = asio::ip::make_address(e.host, ec);
      slot = std::make_unique<EndpointRuntime>(e.address, asio::ip::tcp::endpoint(address, e.port));
    }
    slot->inTable = true;
    slot->accepting = slot->accepting || e.ready;
    endpointsById_[id] = slot.get();
  }
  for (auto it = endpoints_.begin(); it != endpoints_.end();) {
    auto& rt = it->second;
    if (!rt->accepting) rt->closeIdle();
    if (!rt->inTable && rt->outstanding() == 0) {
      it = endpoints_.erase(it);
    } else {
      ++it;
    }
  }
  lock.unlock();

  // Counters per (service, revision) of this table.
  countersByRevision_.clear();
  for (const auto& s : table_->services()) {
    std::vector<RevisionCounters*> row;
    for (const auto& r : s.revisions) row.push_back(&metrics_.counters(s.route->name, r.number));
    if (row.empty()) row.push_back(&metrics_.counters(s.route->name, 0));
    countersByRevision_.push_back(std::move(row));
  }

  for (auto* c : connections_) c->wakeHold();
}

void Worker::openAcceptor(const RouteTable::ListenerInfo& listener, int index) {
  auto a = std::make_unique<Acceptor>();
  a->address = listener.address;
  a->listener = index;
  a->acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
  asio::error_code ec;
  auto address = asio::ip::make_address(listener.host, ec);
  if (ec) {
    logger_->error("worker {}: cannot listen on {}: {}", index_, listener.address, ec.message());
    return;
  }
  asio::ip::tcp::endpoint endpoint(address, listener.port);
  a->acceptor->open(endpoint.protocol(), ec);
  if (!ec) a->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    int one = 1;
    if (::setsockopt(a->acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec = asio::error_code(errno, asio::system_category());
    }
  }
  if (!ec) a->acceptor->bind(endpoint, ec);
  if (!ec) a->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    logger_->error("worker {}: cannot listen on {}: {}", index_, listener.address, ec.message());
    return;
  }
  logger_->info("worker {}: listening on {}", index_, listener.address);
  Acceptor* raw = a.get();
  acceptors_.push_back(std::move(a));
  accept(raw);
}

void Worker::accept(Acceptor* a) {
  a->acceptor->async_accept([this, a](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !a->acceptor->is_open()) return;
    if (!ec) {
      if (stopping_ || connections_.size() >= config_.maxConnections) {
        asio::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<ClientConnection>(*this, std::move(socket), a->address)->start();
      }
    } else {
      logger_->warn("worker {}: accept on {}: {}", index_, a->address, ec.message());
    }
    accept(a);
  });
}

void Worker::tick() {
  ticker_.expires_after(kTick);
  ticker_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    flushAccessLog();
    auto now = std::chrono::steady_clock::now();
    // Copy: a deadline may end a connection, which removes itself from the list.
    std::vector<ClientConnection*> current(connections_.begin(), connections_.end());
    for (auto* c : current) {
      if (std::find(connections_.begin(), connections_.end(), c) != connections_.end()) c->checkDeadline(now);
    }
    if (stopping_) {
      if (now >= stopDeadline_) {
        for (auto* c : std::vector<ClientConnection*>(connections_.begin(), connections_.end())) c->checkDeadline(now);
        io_.stop();
        return;
      }
      maybeFinish();
    }
    tick();
  });
}

void Worker::beginStop(std::chrono::steady_clock::time_point deadline) {
  asio::post(io_, [this, deadline] {
    stopping_ = true;
    stopDeadline_ = deadline;
    for (auto& a : acceptors_) {
      asio::error_code ec;
      a->acceptor->close(ec);
    }
    for (auto* c : std::vector<ClientConnection*>(connections_.begin(), connections_.end())) c->stopGracefully();
    for (auto& [address, rt] : endpoints_) rt->closeIdle();
    maybeFinish();
  });
}

void Worker::maybeFinish() {
  if (stopping_ && connections_.empty()) {
    work_.reset();
    ticker_.cancel();
    for (auto& [address, rt] : endpoints_) rt->closeIdle();
    io_.stop();
  }
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::collectInFlight(std::map<std::string, uint64_t>& out) const {
  std::lock_guard lock(inFlightMutex_);
  for (const auto& [address, rt] : endpoints_) out[address] += rt->inFlight.get();
}

}  // namespace rollway::proxy
