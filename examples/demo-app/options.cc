#include "options.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>

namespace demo {
namespace {

using rollway::ErrorCode;
using rollway::fail;
using rollway::Result;

constexpr Duration kMaxDuration = std::chrono::hours(24 * 365);

Result<double> parseNumber(std::string_view text, std::string_view what) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return fail(ErrorCode::kInvalidArgument, "{}: '{}' is not a number", what, text);
  }
  return value;
}

template <class Int>
Result<Int> parseInteger(std::string_view text, std::string_view flag, Int min, Int max) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return fail(ErrorCode::kInvalidArgument, "{}: '{}' is not an integer in [{}, {}]", flag, text, min, max);
  }
  return value;
}

}  // namespace

Result<Duration> parseDuration(std::string_view text) {
  double scale = 1000.0;  // bare number: seconds
  std::string_view number = text;
  auto endsWith = [&](std::string_view suffix) {
    return number.size() > suffix.size() && number.substr(number.size() - suffix.size()) == suffix;
  };
  if (endsWith("ms")) {
    scale = 1.0;
    number.remove_suffix(2);
  } else if (endsWith("s")) {
    number.remove_suffix(1);
  } else if (endsWith("m")) {
    scale = 60'000.0;
    number.remove_suffix(1);
  } else if (endsWith("h")) {
    scale = 3'600'000.0;
    number.remove_suffix(1);
  }
  auto value = parseNumber(number, "duration");
  if (!value || *value < 0 || *value * scale > static_cast<double>(kMaxDuration.count())) {
    return fail(ErrorCode::kInvalidArgument,
                "'{}' is not a duration (examples: 500ms, 2s, 1.5s, 1m; a bare number is seconds)", text);
  }
  return Duration(static_cast<int64_t>(std::llround(*value * scale)));
}

std::string formatDuration(Duration d) {
  auto ms = d.count();
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  if (ms > 1000) return fmt::format("{:.3g}s", static_cast<double>(ms) / 1000.0);
  return std::to_string(ms) + "ms";
}

Result<Options> parseOptions(const std::vector<std::string>& args) {
  Options o;
  using Setter = std::function<Result<void>(std::string_view)>;
  auto duration = [](Duration& target) -> Setter {
    return [&target](std::string_view v) -> Result<void> {
      auto d = parseDuration(v);
      if (!d) return fail(d.error());
      target = *d;
      return {};
    };
  };
  auto optionalDuration = [](std::optional<Duration>& target) -> Setter {
    return [&target](std::string_view v) -> Result<void> {
      auto d = parseDuration(v);
      if (!d) return fail(d.error());
      target = *d;
      return {};
    };
  };
  auto text = [](std::string& target) -> Setter {
    return [&target](std::string_view v) -> Result<void> {
      target = std::string(v);
      return {};
    };
  };
  const std::map<std::string, Setter, std::less<>> valued = {
      {"--port",
       [&o](std::string_view v) -> Result<void> {
         auto p = parseInteger<int>(v, "--port", 0, 65535);
         if (!p) return fail(p.error());
         o.port = *p;
         return {};
       }},
      {"--host", text(o.host)},
      {"--version", text(o.version)},
      {"--instance", text(o.instance)},
      {"--startup-delay", duration(o.startupDelay)},
      {"--ready-delay", duration(o.readyDelay)},
      {"--fail-ready-after", optionalDuration(o.failReadyAfter)},
      {"--error-rate",
       [&o](std::string_view v) -> Result<void> {
         auto r = parseNumber(v, "--error-rate");
         if (!r || *r < 0.0 || *r > 1.0) {
           return fail(ErrorCode::kInvalidArgument, "--error-rate: '{}' is not a fraction in [0, 1]", v);
         }
         o.errorRate = *r;
         return {};
       }},
      {"--seed",
       [&o](std::string_view v) -> Result<void> {
         auto s = parseInteger<uint64_t>(v, "--seed", 0, UINT64_MAX);
         if (!s) return fail(s.error());
         o.seed = *s;
         return {};
       }},
      {"--latency", duration(o.latency)},
      {"--crash-after", optionalDuration(o.crashAfter)},
      {"--hang-healthz-after", optionalDuration(o.hangHealthzAfter)},
      {"--shutdown-delay", duration(o.shutdownDelay)},
      {"--drain-timeout", duration(o.drainTimeout)},
  };

  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      return o;
    }
    if (arg == "--ignore-sigterm") {
      o.ignoreSigterm = true;
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto it = valued.find(name);
    if (it == valued.end()) {
      return fail(ErrorCode::kInvalidArgument, "unknown argument '{}'", arg);
    }
    if (!value) {
      if (i + 1 >= args.size()) return fail(ErrorCode::kInvalidArgument, "{} needs a value", name);
      value = args[++i];
    }
    auto set = it->second(*value);
    if (!set) {
      auto message = set.error().message;
      if (!message.starts_with("--")) message = fmt::format("{}: {}", name, message);
      return fail(ErrorCode::kInvalidArgument, "{}", message);
    }
  }
  if (o.port < 0) return fail(ErrorCode::kInvalidArgument, "--port is required (0 picks a free port)");
  if (o.host.empty()) return fail(ErrorCode::kInvalidArgument, "--host: must not be empty");
  if (o.version.empty()) return fail(ErrorCode::kInvalidArgument, "--version: must not be empty");
  return o;
}

std::string usage() {
  return R"(demo-app: a small, predictable HTTP/1.1 service for rollway's examples and tests.

Usage: demo-app --port N [flags]

Durations: 500ms, 2s, 1.5s, 1m, 1h; a bare number is seconds.
"from start" = from process start.

Listening
  --port N                  port to listen on (required); 0 picks a free one. The
                            address is printed on stdout: "listening on HOST:PORT"
  --host H                  address to listen on (default 127.0.0.1)
  --version V               version reported in bodies and the X-Version header (default v1)
  --instance NAME           reported in the X-Instance header (default $ROLLWAY_INSTANCE,
                            else HOST:PORT)

Behaviour to test probes and rollouts against
  --startup-delay D         do not listen until D has passed (connections are refused)
  --ready-delay D           /ready answers 503 until D after the listener opened
  --fail-ready-after D      /ready answers 503 from D after start onwards
  --error-rate F            fraction (0..1) of / requests answered 500
  --seed N                  seed for --error-rate: the same seed gives the same sequence
  --latency D               delay before answering / (a timer: other requests go on)
  --crash-after D           exit with status 3 at D after start (a crash)
  --hang-healthz-after D    from D after start, /healthz never answers
  --ignore-sigterm          ignore SIGTERM entirely (SIGINT still stops gracefully)

Shutdown (SIGTERM, SIGINT)
  --shutdown-delay D        keep serving normally for D after the signal, then drain
  --drain-timeout D         drain bound (default 30s): close the listener, answer requests
                            in flight with "Connection: close", close idle connections,
                            exit 0 when nothing is in flight, or exit 1 at the bound

  -h, --help                this text

Endpoints (every response has X-Version and X-Instance)
  GET  /healthz             200 "ok" (or hangs: --hang-healthz-after, /admin/healthz)
  GET  /ready               200 "ready" or 503 "not ready"
  POST /admin/ready         body on | off | auto: force readiness, or back to the flags
  POST /admin/healthz       body ok | hang | auto: force liveness, or back to the flags
  POST /admin/exit          body N: answer, then exit with status N
  POST /echo                answers the request body (up to 8 MiB)
  *    /sleep?ms=N          answers 200 after N ms
  *    /status?code=N       answers status N (200..599)
  *    / and anything else  200: "version=V instance=NAME port=N method=M path=P" and one
                            line per request header; --error-rate and --latency apply

Exit status: 0 drained, 1 drain timeout or listen failure, 2 bad flags, 3 --crash-after,
N from /admin/exit. At exit it logs "served N requests" on stderr.
)";
}

}  // namespace demo
