#include <unistd.h>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "log_lines.h"
#include "rollway/common/signal_waiter.h"
#include "rollway/net/json_reply.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

using std::chrono::milliseconds;

constexpr int kFollowWaitMs = 10000;              // waitMs of one long-poll
constexpr milliseconds kFollowCallTimeout{20000};  // the client's bound on it
constexpr milliseconds kRelist{2000};              // how often -f SERVICE looks for new instances
constexpr int64_t kBytesPerLine = 512;             // --tail N asks for N * this many bytes

struct LogsOptions {
  std::string service;
  std::string instance;
  bool follow = false;
  int tail = 100;
};

// stdout and stderr shared by the follow threads; stdout is written with write(2), so a
// reader that went away (EPIPE) is noticed and nothing is left in a buffer at exit.
class Output {
 public:
  void out(std::string_view bytes) {
    std::lock_guard lock(mu_);
    while (!bytes.empty() && !broken_) {
      ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) broken_ = true;
      if (n > 0) bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  void note(const std::string& line) {
    std::lock_guard lock(mu_);
    std::cerr << line << '\n';
  }
  bool broken() const { return broken_; }

 private:
  std::mutex mu_;
  std::atomic<bool> broken_{false};
};

struct Chunk {
  std::string data;
  uint64_t next = 0;
  bool gone = false;  // 404: the instance no longer exists
};

Result<Chunk> fetchLog(const api::Client& client, const std::string& instance, const std::string& query,
                       milliseconds timeout = std::chrono::seconds(30)) {
  auto response = client.call("GET", "/v1/instances/" + urlEncode(instance) + "/logs?" + query, "",
                              "application/json", timeout);
  if (!response) return fail(response.error());
  if (response->status == 404) return Chunk{"", 0, true};
  if (response->status < 200 || response->status >= 300) return fail(net::errorFromReply(*response));
  Chunk chunk;
  const std::string* offset = response->header("X-Rollway-Offset");
  if (offset == nullptr ||
      std::from_chars(offset->data(), offset->data() + offset->size(), chunk.next).ec != std::errc()) {
    return fail(ErrorCode::kInternal, "the log reply for instance {} has no valid X-Rollway-Offset header", instance);
  }
  chunk.data = std::move(response->body);
  return chunk;
}

// What the follow threads share. Threads are detached: the verb ends the process.
struct Shared {
  Output output;
  std::atomic<bool> failed{false};
  std::atomic<int> active{0};
};

void follow(api::Client client, std::string instance, uint64_t offset, LinePrefixer prefixer,
            std::shared_ptr<Shared> shared) {
  while (!shared->output.broken()) {
    auto started = std::chrono::steady_clock::now();
    auto chunk = fetchLog(client, instance,
                          "offset=" + std::to_string(offset) + "&waitMs=" + std::to_string(kFollowWaitMs),
                          kFollowCallTimeout);
    if (!chunk) {
      shared->output.note("error: " + chunk.error().message);
      shared->failed = true;
      break;
    }
    if (chunk->gone) {
      shared->output.out(prefixer.flush());
      shared->output.note("note: instance " + instance + " is gone; no longer following it");
      break;
    }
    shared->output.out(prefixer.feed(chunk->data));
    offset = chunk->next;
    // Never busy-poll, even against a daemon that answers at once with nothing.
    if (chunk->data.empty() && std::chrono::steady_clock::now() - started < milliseconds(500)) {
      std::this_thread::sleep_for(milliseconds(1000));
    }
  }
  --shared->active;
}

Result<std::vector<std::string>> instancesOf(const Context& ctx, const std::string& service) {
  auto reply = ctx.call("GET", "/v1/instances?service=" + urlEncode(service));
  if (!reply) return fail(reply.error());
  std::vector<std::string> names;
  for (const auto& i : (*reply)["items"]) names.push_back(i.value("name", ""));
  return names;
}

// Prints the last --tail lines of one instance; returns the offset to follow from
// (nullopt when the instance is gone).
Result<std::optional<uint64_t>> printTail(const api::Client& client, const std::string& instance, int tail,
                                          LinePrefixer& prefixer, Output& output) {
  if (tail < 0) {  // everything, in the daemon's chunks
    uint64_t offset = 0;
    for (;;) {
      auto chunk = fetchLog(client, instance, "offset=" + std::to_string(offset));
      if (!chunk) return fail(chunk.error());
      if (chunk->gone) return std::optional<uint64_t>();
      output.out(prefixer.feed(chunk->data));
      if (chunk->data.empty() || chunk->next == offset) return std::optional<uint64_t>(chunk->next);
      offset = chunk->next;
    }
  }
  int64_t bytes = std::min<int64_t>(int64_t{tail} * kBytesPerLine, int64_t{64} << 20);
  auto chunk = fetchLog(client, instance, "tailBytes=" + std::to_string(bytes));
  if (!chunk) return fail(chunk.error());
  if (chunk->gone) return std::optional<uint64_t>();
  output.out(prefixer.feed(lastLines(chunk->data, tail)));
  return std::optional<uint64_t>(chunk->next);
}

int runLogs(const LogsOptions& opts, const Context& ctx) {
  auto client = ctx.client();
  if (!client) return reportError(client.error());
  std::vector<std::string> instances{opts.instance};
  if (opts.instance.empty()) {
    auto listed = instancesOf(ctx, opts.service);
    if (!listed) return reportError(listed.error());
    instances = std::move(*listed);
    if (instances.empty()) {
      auto service = ctx.call("GET", "/v1/services/" + urlEncode(opts.service));
      if (!service) return reportError(service.error());
      if (!opts.follow) {
        std::cerr << "error: service/" << opts.service << " has no instances\n";
        return 1;
      }
      std::cerr << "note: service/" << opts.service << " has no instances yet; waiting for some\n";
    }
  }
  // A service followed gains instances during a rollout: label lines whenever there may be several.
  const bool prefixed = opts.instance.empty() && (instances.size() > 1 || opts.follow);
  auto prefixFor = [&](const std::string& name) { return LinePrefixer(prefixed ? "[" + name + "] " : ""); };

  // Signals before any thread: they inherit the mask. SIGPIPE is ignored: stdout reports EPIPE.
  std::optional<SignalWaiter> signals;
  if (opts.follow) signals.emplace(std::initializer_list<int>{SIGINT, SIGTERM});
  auto shared = std::make_shared<Shared>();
  std::set<std::string> followed;
  auto startFollowing = [&](const std::string& name, uint64_t offset, LinePrefixer prefixer) {
    followed.insert(name);
    ++shared->active;
    std::thread(follow, *client, name, offset, std::move(prefixer), shared).detach();
  };
  for (const auto& name : instances) {
    LinePrefixer prefixer = prefixFor(name);
    auto offset = printTail(*client, name, opts.tail, prefixer, shared->output);
    if (!offset) return reportError(offset.error());
    if (!*offset) {
      if (!opts.instance.empty()) {
        std::cerr << "error: instance " << name << " not found\n";
        return 1;
      }
      std::cerr << "note: instance " << name << " is gone\n";
      continue;
    }
    if (opts.follow) {
      startFollowing(name, **offset, std::move(prefixer));
    } else {
      shared->output.out(prefixer.flush());
    }
  }
  if (!opts.follow) return 0;

  for (;;) {
    int sig = signals->waitFor(kRelist);
    int code = sig != 0 || shared->output.broken() ? 0 : shared->failed ? 1 : -1;
    if (code < 0 && !opts.instance.empty() && shared->active == 0) code = 0;
    if (code < 0 && opts.instance.empty()) {
      auto listed = instancesOf(ctx, opts.service);
      if (!listed) {
        shared->output.note("error: " + listed.error().message);
        code = 1;
      } else {
        for (const auto& name : *listed) {
          if (!followed.contains(name)) startFollowing(name, 0, prefixFor(name));
        }
      }
    }
    if (code >= 0) std::_Exit(code);  // the followers may be inside a long-poll: do not wait for them
  }
}

}  // namespace

void addLogs(CLI::App& app, Context& ctx, int& exitCode) {
  auto opts = std::make_shared<LogsOptions>();
  auto* cmd = app.add_subcommand("logs", "Print the logs (stdout and stderr) of a service's instances");
  cmd->add_option("service", opts->service, "The service")->required();
  cmd->add_option("instance", opts->instance, "Only this instance (see: rollway get instances SERVICE)");
  cmd->add_flag("-f,--follow", opts->follow,
                "Keep printing new lines until interrupted; with a service, new instances are followed too");
  cmd->add_option("--tail", opts->tail, "Lines to print from the end of each log first; -1 prints everything")
      ->capture_default_str()
      ->check(CLI::Range(-1, 1000000));
  cmd->footer(
      "Lines are prefixed with [instance] when a service has several instances, and always with -f\n"
      "on a whole service (instances come and go during a rollout).\n\n"
      "Examples:\n  rollway logs web\n  rollway logs web -f --tail 0\n  rollway logs web web-3 --tail -1");
  cmd->callback([opts, &ctx, &exitCode] { exitCode = runLogs(*opts, ctx); });
}

}  // namespace rollway::cli
