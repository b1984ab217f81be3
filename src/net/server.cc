#include "rollway/net/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include <asio.hpp>

#include "net/connection.h"
#include "net/unix_socket_path.h"

namespace rollway::net {

namespace {
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
}

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context io{1};
  std::shared_ptr<PostGate> gate = std::make_shared<PostGate>(io);
  ConnectionContext context;
  asio::local::stream_protocol::acceptor unixAcceptor{io};
  asio::ip::tcp::acceptor tcpAcceptor{io};
  asio::steady_timer acceptRetry{io};
  uint16_t tcpPort = 0;
  struct Open {
    std::weak_ptr<Connection> connection;
    bool tcp = false;
  };
  std::unordered_map<Connection*, Open> connections;
  size_t openCount[2] = {0, 0};  // per listener: [0] unix, [1] TCP
  std::thread thread;
  std::mutex stopMutex;
  std::mutex joinMutex;
  bool stopped = false;
  bool socketBound = false;
  ino_t socketInode = 0;
  dev_t socketDevice = 0;

  Result<void> bindUnix();
  Result<void> bindTcp();
  void acceptUnix();
  void acceptTcp();
  void adopt(Connection::Socket socket, bool requireToken, bool tcp);
  void forget(Connection* connection);
  void retryAccept(bool unix);
  void closeAll();
  void removeSocketFile();
};

Result<void> Server::Impl::bindUnix() {
  const std::string& path = options.unixPath;
  if (auto prepared = prepareUnixSocketPath(path); !prepared) return prepared;
  asio::error_code ec;
  asio::local::stream_protocol::endpoint endpoint(path);
  unixAcceptor.open(endpoint.protocol(), ec);
  if (!ec) unixAcceptor.bind(endpoint, ec);
  if (ec) {
    if (ec == asio::error::address_in_use) {
      return fail(ErrorCode::kConflict, "another daemon is running on unix:{} (the socket appeared while starting)",
                  path);
    }
    return fail(ErrorCode::kIo, "cannot bind unix:{}: {}", path, ec.message());
  }
  socketBound = true;
  // Not listening yet, so nobody can connect before the mode is right (umask-proof).
  if (::chmod(path.c_str(), 0600) != 0) {
    return fail(ErrorCode::kIo, "cannot chmod 0600 {}: {}", path, std::strerror(errno));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    socketInode = st.st_ino;
    socketDevice = st.st_dev;
  }
  unixAcceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot listen on unix:{}: {}", path, ec.message());
  return {};
}

Result<void> Server::Impl::bindTcp() {
  const Endpoint& endpoint = *options.tcp;
  if (endpoint.kind != Endpoint::Kind::kTcp) {
    return fail(ErrorCode::kInvalidArgument, "the TCP listener needs a host:port endpoint, not {}", endpoint.str());
  }
  if (options.token.empty() && !options.openTcp) {
    return fail(ErrorCode::kInvalidArgument,
                "refusing to serve the API on TCP {} without a token: set one (the unix socket needs none)",
                endpoint.str());
  }
  asio::error_code ec;
  asio::ip::tcp::endpoint bindTo;
  asio::ip::address address = asio::ip::make_address(endpoint.host, ec);
  if (!ec) {
    bindTo = asio::ip::tcp::endpoint(address, endpoint.port);
  } else {
    asio::ip::tcp::resolver resolver(io);
    auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
    if (ec || results.empty()) {
      return fail(ErrorCode::kInvalidArgument, "cannot resolve {}: {}", endpoint.host,
                  ec ? ec.message() : std::string("no address"));
    }
    bindTo = results.begin()->endpoint();
  }
  tcpAcceptor.open(bindTo.protocol(), ec);
  if (!ec) tcpAcceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) tcpAcceptor.bind(bindTo, ec);
  if (!ec) tcpAcceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(ec == asio::error::address_in_use ? ErrorCode::kConflict : ErrorCode::kIo,
                "cannot listen on {}: {}", endpoint.str(), ec.message());
  }
  tcpPort = tcpAcceptor.local_endpoint(ec).port();
  return {};
}

void Server::Impl::adopt(Connection::Socket socket, bool requireToken, bool tcp) {
  size_t& count = openCount[tcp ? 1 : 0];
  if (count >= options.maxConnections) {
    // Over the cap: closed at once, nothing read (the client sees EOF or a reset).
    options.logger->warn("api: refusing a connection on {}: {} open already (the limit)",
                         tcp ? "TCP port " + std::to_string(tcpPort) : "unix:" + options.unixPath, count);
    asio::error_code ignored;
    socket.shutdown(asio::socket_base::shutdown_both, ignored);
    socket.close(ignored);
    return;
  }
  ++count;
  auto connection = std::make_shared<Connection>(std::move(socket), context, requireToken);
  connections.emplace(connection.get(), Open{connection, tcp});
  connection->start();
}

void Server::Impl::forget(Connection* connection) {
  auto it = connections.find(connection);
  if (it == connections.end()) return;
  --openCount[it->second.tcp ? 1 : 0];
  connections.erase(it);
}

void Server::Impl::acceptUnix() {
  unixAcceptor.async_accept([this](const asio::error_code& ec, asio::local::stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted || !unixAcceptor.is_open()) return;
    if (ec) {
      options.logger->warn("api: accept on unix:{} failed: {}", options.unixPath, ec.message());
      retryAccept(true);
      return;
    }
    adopt(Connection::Socket(std::move(socket)), false, false);
    acceptUnix();
  });
}

void Server::Impl::acceptTcp() {
  tcpAcceptor.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !tcpAcceptor.is_open()) return;
    if (ec) {
      options.logger->warn("api: accept on TCP port {} failed: {}", tcpPort, ec.message());
      retryAccept(false);
      return;
    }
    asio::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    adopt(Connection::Socket(std::move(socket)), !options.openTcp, true);
    acceptTcp();
  });
}

// Out of file descriptors and the like: wait a little instead of spinning.
void Server::Impl::retryAccept(bool unix) {
  acceptRetry.expires_after(kAcceptRetryDelay);
  acceptRetry.async_wait([this, unix](const asio::error_code& ec) {
    if (ec) return;
    if (unix) {
      acceptUnix();
    } else {
      acceptTcp();
    }
  });
}

void Server::Impl::closeAll() {
  asio::error_code ignored;
  unixAcceptor.close(ignored);
  tcpAcceptor.close(ignored);
  acceptRetry.cancel();
  auto all = std::move(connections);
  connections.clear();
  openCount[0] = openCount[1] = 0;
  for (auto& [raw, open] : all) {
    if (auto connection = open.connection.lock()) connection->close();
  }
}

void Server::Impl::removeSocketFile() {
  if (!socketBound) return;
  socketBound = false;
  // Only our own socket: another daemon may have replaced it since.
  struct stat st {};
  if (::lstat(options.unixPath.c_str(), &st) == 0 && st.st_ino == socketInode && st.st_dev == socketDevice) {
    ::unlink(options.unixPath.c_str());
  }
}

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Handler handler) {
  if (!handler) return fail(ErrorCode::kInvalidArgument, "api server: no handler");
  if (options.unixPath.empty() && !options.tcp) {
    return fail(ErrorCode::kInvalidArgument, "api server: neither a unix socket path nor a TCP endpoint");
  }
  if (!options.unixPath.empty() && options.unixPath.front() != '/') {
    return fail(ErrorCode::kInvalidArgument, "api server: the unix socket path {} must be absolute", options.unixPath);
  }
  if (options.tcp && options.token.empty() && !options.openTcp) {
    return fail(ErrorCode::kInvalidArgument,
                "refusing to serve the API on TCP {} without a token: set one (the unix socket needs none)",
                options.tcp->str());
  }
  if (!options.logger) options.logger = nullLogger();
  if (options.maxConnections == 0) return fail(ErrorCode::kInvalidArgument, "api server: maxConnections must be at least 1");

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  Impl* raw = impl.get();
  impl->context.options = &impl->options;
  impl->context.handler = &impl->handler;
  impl->context.gate = impl->gate;
  impl->context.logger = impl->options.logger;
  impl->context.onClosed = [raw](Connection* connection) { raw->forget(connection); };

  if (!impl->options.unixPath.empty()) {
    if (auto bound = impl->bindUnix(); !bound) {
      impl->removeSocketFile();
      return fail(bound.error());
    }
  }
  if (impl->options.tcp) {
    if (auto bound = impl->bindTcp(); !bound) {
      impl->removeSocketFile();
      return fail(bound.error());
    }
  }
  if (!impl->options.unixPath.empty()) impl->acceptUnix();
  if (impl->options.tcp) impl->acceptTcp();
  impl->options.logger->info("api: listening on unix:{}{}", impl->options.unixPath,
                             impl->options.tcp ? " and TCP port " + std::to_string(impl->tcpPort) : "");
  impl->thread = std::thread([raw] {
    try {
      raw->io.run();
    } catch (const std::exception& e) {
      raw->options.logger->critical("api: event loop stopped by an exception: {}", e.what());
    }
  });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

void Server::stop() {
  if (!impl_) return;
  bool first = false;
  {
    std::lock_guard lock(impl_->stopMutex);
    first = !impl_->stopped;
    impl_->stopped = true;
  }
  if (first) {
    {
      std::lock_guard lock(impl_->gate->mutex);
      impl_->gate->open = false;
    }
    Impl* raw = impl_.get();
    asio::post(impl_->io, [raw] { raw->closeAll(); });
  }
  // From a handler (the io thread) we cannot join ourselves: the loop winds down once
  // everything is closed, and a later stop()/~Server() from another thread joins it.
  if (impl_->thread.get_id() == std::this_thread::get_id()) return;
  std::lock_guard lock(impl_->joinMutex);
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->removeSocketFile();
}

uint16_t Server::tcpPort() const { return impl_ ? impl_->tcpPort : 0; }

}  // namespace rollway::net
