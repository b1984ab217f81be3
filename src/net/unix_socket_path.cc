#include "net/unix_socket_path.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rollway::net {
namespace {

std::string errnoText(int err) { return std::strerror(err); }

Result<void> makeDirs(const std::string& dir) {
  if (dir.empty() || dir == "/") return {};
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::kIo, "cannot create the socket directory {}: it exists and is not a directory", dir);
    }
    return {};
  }
  auto slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto parent = makeDirs(dir.substr(0, slash)); !parent) return parent;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(ErrorCode::kIo, "cannot create the socket directory {}: {}", dir, errnoText(errno));
  }
  // mkdir's mode is filtered by the umask; make it exactly 0700.
  if (::chmod(dir.c_str(), 0700) != 0) {
    return fail(ErrorCode::kIo, "cannot chmod 0700 {}: {}", dir, errnoText(errno));
  }
  return {};
}

}  // namespace

Result<sockaddr_un> unixSocketAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty()) return fail(ErrorCode::kInvalidArgument, "the unix socket path is empty");
  if (path.size() >= sizeof(address.sun_path)) {
    return fail(ErrorCode::kInvalidArgument,
                "unix socket path {} is {} bytes long; the limit is {} bytes (use a shorter path)", path,
                path.size(), sizeof(address.sun_path) - 1);
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

Result<void> prepareUnixSocketPath(const std::string& path) {
  auto address = unixSocketAddress(path);
  if (!address) return fail(address.error());
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    if (auto dirs = makeDirs(path.substr(0, slash)); !dirs) return dirs;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail(ErrorCode::kIo, "cannot stat {}: {}", path, errnoText(errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return fail(ErrorCode::kConflict, "{} exists and is not a socket; remove it or choose another path", path);
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(ErrorCode::kIo, "socket(): {}", errnoText(errno));
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof(sockaddr_un));
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
    return fail(ErrorCode::kConflict, "another daemon is running on unix:{} (it accepted a connection)", path);
  }
  if (err != ECONNREFUSED) {
    return fail(ErrorCode::kIo, "cannot check whether unix:{} is in use: {}", path, errnoText(err));
  }
  // Nobody listens: a stale socket from a daemon that died.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return fail(ErrorCode::kIo, "cannot remove the stale socket {}: {}", path, errnoText(errno));
  }
  return {};
}

}  // namespace rollway::net
