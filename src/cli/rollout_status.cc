#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "rollout_progress.h"
#include "rollway/common/duration.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kMaxWait{30000};     // waitMs of one long-poll
constexpr milliseconds kCallSlack{15000};   // the client waits this much longer than waitMs
constexpr milliseconds kMinInterval{1000};  // between replies that changed nothing (a daemon that ignores waitMs)

struct StatusOptions {
  std::string name;
  std::string timeout = "10m";
  bool watch = true;
};

// Where the output goes: plain lines, or on a terminal the same lines plus a bar
// redrawn in place on the last line.
class StatusPrinter {
 public:
  explicit StatusPrinter(bool tty) : tty_(tty) {}
  void lines(const std::vector<std::string>& lines) {
    for (const auto& line : lines) std::cout << clear() << line << '\n';
  }
  void bar(const RolloutStatus& status) {
    if (!tty_) return;
    std::cout << "\r\x1b[K" << progressBar(status, 24) << std::flush;
    barShown_ = true;
  }
  void done() { std::cout << clear() << std::flush; }

 private:
  std::string clear() {
    if (!barShown_) return "";
    barShown_ = false;
    return "\r\x1b[K";
  }
  bool tty_;
  bool barShown_ = false;
};

int runStatus(const StatusOptions& opts, const Context& ctx) {
  auto timeout = parseDuration(opts.timeout);
  if (!timeout) {
    std::cerr << "error: --timeout " << opts.timeout << ": " << timeout.error().message << '\n';
    return 2;
  }
  auto format = ctx.format();
  if (!format) return reportError(format.error());
  const std::string path = "/v1/services/" + urlEncode(opts.name);
  auto service = ctx.call("GET", path);
  if (!service) return reportError(service.error());

  RolloutWatch watch(opts.name, service->value("generation", int64_t{0}));
  StatusPrinter printer(*format == OutputFormat::kTable && ::isatty(STDOUT_FILENO) == 1);
  const bool forever = timeout->count() == 0;
  const Clock::time_point deadline = Clock::now() + *timeout;
  int64_t seq = -1;  // -1: the first call, answered at once
  for (;;) {
    std::string target = path + "/status";
    milliseconds wait{0};
    if (seq >= 0) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (!forever && left.count() <= 0) {
        printer.done();
        std::cerr << "error: timed out waiting for the rollout of service/" << opts.name << " after "
                  << formatDuration(*timeout) << '\n';
        return 2;
      }
      wait = forever ? kMaxWait : std::min(left, kMaxWait);
      target += "?after=" + std::to_string(seq) + "&waitMs=" + std::to_string(wait.count());
    }
    const Clock::time_point asked = Clock::now();
    auto reply = ctx.call("GET", target, "", "application/json", wait + kCallSlack);
    if (!reply) {
      printer.done();
      return reportError(reply.error());
    }
    const int64_t replySeq = reply->value("seq", int64_t{0});
    auto status = api::parseStatusReply(reply->value("status", nlohmann::json::object()));
    if (!status) {
      printer.done();
      return reportError(status.error());
    }
    RolloutStep step = watch.observe(*status);
    if (*format != OutputFormat::kTable) {
      if (replySeq != seq) printStructured(*reply, *format);
    } else {
      printer.lines(step.lines);
    }
    if (step.verdict != RolloutVerdict::kWaiting || !opts.watch) {
      printer.done();
      if (!step.error.empty()) std::cerr << "error: " << step.error << '\n';
      return exitCodeFor(step.verdict);
    }
    printer.bar(*status);
    if (replySeq == seq && Clock::now() - asked < wait / 2) std::this_thread::sleep_for(kMinInterval);
    seq = replySeq;
  }
}

}  // namespace

void addRolloutStatus(CLI::App& rollout, Context& ctx, int& exitCode) {
  auto opts = std::make_shared<StatusOptions>();
  auto* cmd = rollout.add_subcommand(
      "status", "Watch a service's rollout until it completes, fails, is aborted or rolled back, or waits for a person");
  cmd->add_option("name", opts->name, "The service")->required();
  cmd->add_option("--timeout", opts->timeout, "Give up after this long (exit 2); 0 waits forever")
      ->capture_default_str();
  cmd->add_flag("-w,--watch", opts->watch,
                "Wait for the end (default), or with --watch=false print the current state once");
  cmd->footer(
      "Exit codes: 0 rolled out; 1 failed, aborted (phase Degraded) or rolled back (or, with --watch=false,\n"
      "not complete yet); 2 timed out; 3 paused waiting for a person (a `pause: {}` step, a blue-green preview,\n"
      "inconclusive analysis or `rollout pause`): the reason is printed and it returns at once.\n"
      "Canary rollouts show the step and the canary's share of traffic, blue-green ones the preview, and\n"
      "each new analysis window is printed (one value per metric, with the stable revision's).\n"
      "A revision applied while watching is followed.\n\n"
      "Examples:\n"
      "  rollway apply -f web.yaml && rollway rollout status web\n"
      "  rollway rollout status web --timeout 2m\n"
      "  rollway rollout status web --watch=false\n"
      "  rollway rollout status web; [ $? -eq 3 ] && rollway rollout promote web");
  cmd->callback([opts, &ctx, &exitCode] { exitCode = runStatus(*opts, ctx); });
}

}  // namespace rollway::cli
