// probe_bench: CPU cost of the prober.
//
// One asio HTTP responder (its own thread) on 127.0.0.1 serves /healthz; a Prober on
// another thread probes N instances (all pointing at it) every second for S seconds.
// Prints the prober thread's CPU time (getrusage RUSAGE_THREAD) per 1 000 probes, and
// the same for a bare timer loop (N steady_timers re-armed every second, no probe) to
// show what the one-timer-per-instance scheduling costs by itself.
//
//   probe_bench [--instances 1000] [--seconds 10] [--kind http|tcp]

#include <sys/resource.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "rollway/common/clock.h"
#include "rollway/probe/prober.h"

namespace {

using rollway::probe::ProbeEvent;
using rollway::probe::ProbeEventKind;

double threadCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Answers every request with 200 and closes (the probes send Connection: close).
class Responder {
 public:
  explicit Responder(asio::io_context& io)
      : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    acceptor_.listen(4096);
    accept();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  struct Session {
    explicit Session(asio::ip::tcp::socket s) : socket(std::move(s)) {}
    asio::ip::tcp::socket socket;
    std::array<char, 2048> buffer{};
    std::string received;
  };
  void accept() {
    acceptor_.async_accept([this](const std::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec) return;
      read(std::make_shared<Session>(std::move(socket)));
      accept();
    });
  }
  static void read(const std::shared_ptr<Session>& s) {
    s->socket.async_read_some(asio::buffer(s->buffer), [s](const std::error_code& ec, size_t n) {
      if (ec) return;
      s->received.append(s->buffer.data(), n);
      if (s->received.find("\r\n\r\n") == std::string::npos) return read(s);
      static const std::string kResponse =
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      asio::async_write(s->socket, asio::buffer(kResponse), [s](const std::error_code&, size_t) {
        std::error_code ignored;
        s->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        s->socket.close(ignored);
      });
    });
  }
  asio::ip::tcp::acceptor acceptor_;
};

struct Args {
  int instances = 1000;
  int seconds = 10;
  std::string kind = "http";
};

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--instances") args.instances = std::atoi(argv[i + 1]);
    else if (flag == "--seconds") args.seconds = std::atoi(argv[i + 1]);
    else if (flag == "--kind") args.kind = argv[i + 1];
  }
  return args;
}

// N timers, each re-armed every second on its own grid: the Prober's scheduling without probes.
double bareTimers(int count, int seconds, uint64_t& fired) {
  asio::io_context io;
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::seconds(seconds);
  std::function<void(size_t, std::chrono::steady_clock::time_point)> arm =
      [&](size_t i, std::chrono::steady_clock::time_point at) {
        if (at >= end) return;
        timers[i]->expires_at(at);
        timers[i]->async_wait([&, i, at](const std::error_code& ec) {
          if (ec) return;
          ++fired;
          arm(i, at + std::chrono::seconds(1));
        });
      };
  for (int i = 0; i < count; ++i) {
    timers.push_back(std::make_unique<asio::steady_timer>(io));
    arm(static_cast<size_t>(i), start + std::chrono::milliseconds(i * 1000 / count));
  }
  double cpu0 = threadCpuSeconds();
  io.run();
  return threadCpuSeconds() - cpu0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  asio::io_context serverIo;
  Responder responder(serverIo);
  std::thread server([&] { serverIo.run(); });

  asio::io_context io;
  rollway::SystemClock clock;
  uint64_t notReady = 0;
  uint64_t ready = 0;
  rollway::probe::Prober prober(io, clock, [&](const std::string&, const ProbeEvent& event) {
    if (event.kind == ProbeEventKind::kNotReady) ++notReady;
    if (event.kind == ProbeEventKind::kReady) ++ready;
  });

  rollway::spec::Template tmpl;
  rollway::spec::Probe probe;
  probe.kind = args.kind == "tcp" ? rollway::spec::ProbeKind::kTcpSocket : rollway::spec::ProbeKind::kHttpGet;
  probe.httpGet.path = "/healthz";
  probe.periodSeconds = 1;
  probe.timeoutSeconds = 1;
  probe.failureThreshold = 1;  // every failure shows as NotReady
  tmpl.readinessProbe = probe;

  double cpu = 0;
  double wallCpu0 = processCpuSeconds();
  std::thread proberThread([&] {
    // Instances spread over the first second, as real start times are.
    auto now = clock.now();
    for (int i = 0; i < args.instances; ++i) {
      auto start = now + std::chrono::microseconds(static_cast<int64_t>(i) * 1'000'000 / args.instances);
      auto added = prober.add("bench-" + std::to_string(i), "127.0.0.1", responder.port(), tmpl, start);
      if (!added) {
        std::fprintf(stderr, "add: %s\n", added.error().message.c_str());
        std::exit(1);
      }
    }
    asio::steady_timer stop(io, std::chrono::seconds(args.seconds));
    stop.async_wait([&](const std::error_code&) {
      for (int i = 0; i < args.instances; ++i) prober.remove("bench-" + std::to_string(i));
      io.stop();
    });
    double cpu0 = threadCpuSeconds();
    io.run();
    cpu = threadCpuSeconds() - cpu0;
  });
  proberThread.join();
  double processCpu = processCpuSeconds() - wallCpu0;
  serverIo.stop();
  server.join();

  uint64_t attempts = prober.attempts();
  std::printf("probe_bench: %d instances, %s probes every 1s for %ds\n", args.instances, args.kind.c_str(),
              args.seconds);
  std::printf("  probe attempts started:        %llu (ready events %llu, not-ready events %llu)\n",
              static_cast<unsigned long long>(attempts), static_cast<unsigned long long>(ready),
              static_cast<unsigned long long>(notReady));
  std::printf("  prober thread CPU:             %.3f s  = %.1f ms per 1000 probes\n", cpu,
              attempts ? cpu * 1e6 / static_cast<double>(attempts) : 0.0);
  std::printf("  whole process CPU (+responder): %.3f s  = %.1f ms per 1000 probes\n", processCpu,
              attempts ? processCpu * 1e6 / static_cast<double>(attempts) : 0.0);

  uint64_t fired = 0;
  double timerCpu = bareTimers(args.instances, args.seconds, fired);
  std::printf("  bare timers (%d x 1/s, no probe): %.3f s for %llu firings = %.2f ms per 1000\n", args.instances,
              timerCpu, static_cast<unsigned long long>(fired),
              fired ? timerCpu * 1e6 / static_cast<double>(fired) : 0.0);
  return 0;
}
