#include "rollway/supervisor/proc_stat.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "rollway/supervisor/unique_fd.h"

namespace rollway::supervisor {
namespace {

template <class T>
bool parseNumber(std::string_view s, T& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

Result<ProcStat> parseProcStat(std::string_view text) {
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return fail(ErrorCode::kInternal, "malformed /proc stat line: no (comm)");
  }
  ProcStat st;
  auto pid_text = text.substr(0, open);
  while (!pid_text.empty() && pid_text.back() == ' ') {
    pid_text.remove_suffix(1);
  }
  if (!parseNumber(pid_text, st.pid)) {
    return fail(ErrorCode::kInternal, "malformed /proc stat line: bad pid '{}'", pid_text);
  }
  st.comm = std::string(text.substr(open + 1, close - open - 1));

  // Fields 3.. are space-separated after ") ".
  std::vector<std::string_view> fields;  // fields[0] = field 3
  std::string_view rest = text.substr(close + 1);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) {
      ++i;
    }
    size_t start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') {
      ++i;
    }
    if (i > start) {
      fields.push_back(rest.substr(start, i - start));
    }
  }
  constexpr size_t kStartTimeIndex = 22 - 3;
  if (fields.size() <= kStartTimeIndex || fields[0].size() != 1) {
    return fail(ErrorCode::kInternal, "malformed /proc stat line: {} fields after comm", fields.size());
  }
  st.state = fields[0][0];
  if (!parseNumber(fields[1], st.ppid) || !parseNumber(fields[2], st.pgrp) ||
      !parseNumber(fields[3], st.session) || !parseNumber(fields[kStartTimeIndex], st.startTimeTicks)) {
    return fail(ErrorCode::kInternal, "malformed /proc stat line: bad numeric field");
  }
  return st;
}

Result<ProcStat> readProcStat(pid_t pid) {
  if (pid <= 0) {
    return fail(ErrorCode::kInvalidArgument, "invalid pid {}", pid);
  }
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ESRCH) {
      return fail(ErrorCode::kNotFound, "process {} does not exist", pid);
    }
    return fail(ErrorCode::kIo, "cannot open {}: {}", path, std::strerror(errno));
  }
  std::string text;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == ESRCH) {
        return fail(ErrorCode::kNotFound, "process {} does not exist", pid);
      }
      return fail(ErrorCode::kIo, "cannot read {}: {}", path, std::strerror(errno));
    }
    if (n == 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  if (text.empty()) {
    return fail(ErrorCode::kNotFound, "process {} does not exist", pid);
  }
  return parseProcStat(text);
}

std::optional<ProcStat> findInstanceProcess(std::string_view instance) {
  std::string needle = "ROLLWAY_INSTANCE=" + std::string(instance);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    std::ifstream in(entry.path() / "environ", std::ios::binary);
    if (!in) continue;
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t at = 0;
    bool found = false;
    while (at < env.size()) {
      size_t end = env.find('\0', at);
      if (end == std::string::npos) end = env.size();
      if (std::string_view(env).substr(at, end - at) == needle) {
        found = true;
        break;
      }
      at = end + 1;
    }
    if (!found) continue;
    auto st = readProcStat(pid);
    if (st && st->session == pid && !st->zombie()) return *st;
  }
  return std::nullopt;
}

}  // namespace rollway::supervisor
