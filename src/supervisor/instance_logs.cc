#include "rollway/supervisor/instance_logs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "rollway/supervisor/unique_fd.h"

namespace rollway::supervisor {
namespace {

constexpr std::string_view kSuffix = ".log";
constexpr size_t kBlock = 64 * 1024;
constexpr size_t kMaxTailBytes = 16 * 1024 * 1024;

// Instance names come from `rollway logs NAME`: no paths.
Result<void> checkName(std::string_view instance) {
  if (instance.empty() || instance.front() == '.' || instance.find('/') != std::string_view::npos ||
      instance.find('\0') != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "invalid instance name '{}'", instance);
  }
  return {};
}

Result<void> copyFile(const std::string& from, const std::string& to) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    return fail(ErrorCode::kIo, "cannot open {}: {}", from, std::strerror(errno));
  }
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!out.valid()) {
    return fail(ErrorCode::kIo, "cannot create {}: {}", to, std::strerror(errno));
  }
  char buf[kBlock];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail(ErrorCode::kIo, "cannot read {}: {}", from, std::strerror(errno));
    }
    if (n == 0) {
      return {};
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.get(), buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) {
        continue;
      }
      if (w < 0) {
        return fail(ErrorCode::kIo, "cannot write {}: {}", to, std::strerror(errno));
      }
      done += w;
    }
  }
}

Result<std::string> preadAll(int fd, uint64_t offset, size_t length, const std::string& path) {
  std::string data(length, '\0');
  size_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(fd, data.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail(ErrorCode::kIo, "cannot read {}: {}", path, std::strerror(errno));
    }
    if (n == 0) {
      break;  // the file shrank meanwhile
    }
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

}  // namespace

InstanceLogs::InstanceLogs(std::string dir, LogRotationPolicy policy) : dir_(std::move(dir)), policy_(policy) {}

std::string InstanceLogs::pathFor(std::string_view instance) const {
  std::string path = dir_;
  if (!path.empty() && path.back() != '/') {
    path += '/';
  }
  path += instance;
  path += kSuffix;
  return path;
}

Result<bool> InstanceLogs::rotate(std::string_view instance, bool force) const {
  if (auto ok = checkName(instance); !ok) {
    return tl::unexpected(ok.error());
  }
  const std::string live = pathFor(instance);
  struct stat st {};
  if (::stat(live.c_str(), &st) < 0) {
    if (errno == ENOENT) {
      return false;
    }
    return fail(ErrorCode::kIo, "cannot stat {}: {}", live, std::strerror(errno));
  }
  if (st.st_size == 0 || (!force && static_cast<uint64_t>(st.st_size) <= policy_.maxBytes)) {
    return false;
  }
  if (policy_.keep > 0) {
    // .keep-1 -> .keep (replacing the oldest) ... .1 -> .2
    for (int i = policy_.keep - 1; i >= 1; --i) {
      auto from = live + "." + std::to_string(i);
      auto to = live + "." + std::to_string(i + 1);
      if (::rename(from.c_str(), to.c_str()) < 0 && errno != ENOENT) {
        return fail(ErrorCode::kIo, "cannot rename {} to {}: {}", from, to, std::strerror(errno));
      }
    }
    if (auto copied = copyFile(live, live + ".1"); !copied) {
      return tl::unexpected(copied.error());
    }
  }
  if (::truncate(live.c_str(), 0) < 0) {
    return fail(ErrorCode::kIo, "cannot truncate {}: {}", live, std::strerror(errno));
  }
  return true;
}

Result<int> InstanceLogs::rotateAll() const {
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    return fail(ErrorCode::kIo, "cannot open log directory {}: {}", dir_, std::strerror(errno));
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.size() > kSuffix.size() && name.ends_with(kSuffix) && name.front() != '.') {
      names.emplace_back(name.substr(0, name.size() - kSuffix.size()));
    }
  }
  ::closedir(d);
  int rotated = 0;
  std::optional<Error> first_error;
  for (const auto& name : names) {
    auto r = rotate(name);
    if (!r) {
      if (!first_error) {
        first_error = r.error();
      }
    } else if (*r) {
      ++rotated;
    }
  }
  if (first_error) {
    return tl::unexpected(*first_error);
  }
  return rotated;
}

Result<InstanceLogs::OpenedLog> InstanceLogs::openForReading(std::string_view instance) const {
  if (auto ok = checkName(instance); !ok) {
    return tl::unexpected(ok.error());
  }
  OpenedLog log;
  log.path = pathFor(instance);
  log.fd = UniqueFd(::open(log.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!log.fd.valid()) {
    if (errno == ENOENT) {
      return fail(ErrorCode::kNotFound, "no log for instance {} ({})", instance, log.path);
    }
    return fail(ErrorCode::kIo, "cannot open {}: {}", log.path, std::strerror(errno));
  }
  if (::fstat(log.fd.get(), &log.st) < 0) {
    return fail(ErrorCode::kIo, "cannot stat {}: {}", log.path, std::strerror(errno));
  }
  return log;
}

Result<std::string> InstanceLogs::tail(std::string_view instance, size_t lines) const {
  auto opened = openForReading(instance);
  if (!opened) return tl::unexpected(opened.error());
  const std::string& path = opened->path;
  UniqueFd& fd = opened->fd;
  const struct stat& st = opened->st;
  if (lines == 0) {
    return std::string();
  }
  uint64_t pos = static_cast<uint64_t>(st.st_size);
  std::string acc;
  while (pos > 0 && acc.size() < kMaxTailBytes) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(kBlock, pos));
    pos -= chunk;
    auto block = preadAll(fd.get(), pos, chunk, path);
    if (!block) {
      return tl::unexpected(block.error());
    }
    acc.insert(0, *block);
    // The final '\n' ends the last line; it does not start another one.
    size_t end = !acc.empty() && acc.back() == '\n' ? acc.size() - 1 : acc.size();
    size_t found = 0;
    for (size_t i = end; i-- > 0;) {
      if (acc[i] == '\n' && ++found == lines) {
        return acc.substr(i + 1);
      }
    }
  }
  return acc;
}

Result<LogChunk> InstanceLogs::readFrom(std::string_view instance, uint64_t offset, size_t maxBytes) const {
  auto opened = openForReading(instance);
  if (!opened) return tl::unexpected(opened.error());
  const std::string& path = opened->path;
  UniqueFd& fd = opened->fd;
  const struct stat& st = opened->st;
  LogChunk chunk;
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (offset > size) {
    chunk.restarted = true;
    offset = 0;
  }
  size_t length = static_cast<size_t>(std::min<uint64_t>(maxBytes, size - offset));
  auto data = preadAll(fd.get(), offset, length, path);
  if (!data) {
    return tl::unexpected(data.error());
  }
  chunk.data = std::move(*data);
  chunk.nextOffset = offset + chunk.data.size();
  return chunk;
}

}  // namespace rollway::supervisor
