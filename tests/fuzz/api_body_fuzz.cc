// The control API's request handling past the HTTP codec: ControlApi::handle with a
// fresh SQLite store (a file in a private temp dir: the store needs WAL) and a
// controller that is constructed but never started (its io_context never runs, so no
// process is ever spawned), so the runtime routes (scale, set, pause, undo, shutdown,
// status) decode their bodies and query parameters too. The service "web" exists
// before each input (kPreloaded).
//
// Input: one or more requests separated by a line "%%"; each is a first line
// "METHOD TARGET" followed by the body, e.g.
//   POST /v1/apply?filename=a.yaml
//   <YAML>
//   %%
//   POST /v1/services/web/set
//   {"env": {"A": "1"}}
// Every request gets exactly one answer, with a status the API documents.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>

#include "fuzz_input.h"
#include "rollway/api/control_api.h"
#include "rollway/common/timer.h"
#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/common/random.h"
#include "rollway/analysis/provider.h"
#include "rollway/common/blocking_pool.h"
#include "rollway/controller/controller.h"
#include "rollway/controller/proxy_link.h"
#include "rollway/probe/prober.h"
#include "rollway/supervisor/supervisor.h"
#include "rollway/store/store.h"

namespace {

namespace fs = std::filesystem;

// The harness's one piece of process state: a scratch dir made once, removed at exit.
// A plain char array: it must outlive the atexit handler (a static std::string is
// destroyed before a handler registered during its own initialization runs).
char gScratch[] = "/tmp/rollway-fuzz-api-XXXXXX";

const char* scratchDir() {
  static const bool made = [] {
    if (::mkdtemp(gScratch) == nullptr) std::abort();
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(gScratch, ec);
    });
    return true;
  }();
  (void)made;
  return gScratch;
}

std::vector<rollway::http::Request> splitRequests(std::string_view text) {
  std::vector<rollway::http::Request> requests;
  while (!text.empty() && requests.size() < 16) {
    size_t sep = text.find("\n%%\n");
    std::string_view one = text.substr(0, sep);
    text = sep == std::string_view::npos ? std::string_view() : text.substr(sep + 4);
    size_t eol = one.find('\n');
    std::string_view line = one.substr(0, eol);
    std::string_view body = eol == std::string_view::npos ? std::string_view() : one.substr(eol + 1);
    rollway::http::Request r;
    size_t space = line.find(' ');
    r.method = std::string(line.substr(0, space));
    r.target = space == std::string_view::npos ? "/" : std::string(line.substr(space + 1));
    r.body = std::string(body);
    requests.push_back(std::move(r));
  }
  return requests;
}

constexpr std::string_view kPreloaded = R"(apiVersion: rollway.dev/v1
kind: Service
metadata: {name: web}
spec:
  listen: 127.0.0.1:8080
  template:
    command: ["./demo-app", "--port", "${PORT}"]
)";

bool documentedStatus(int status) {
  switch (status) {
    case 200: case 201: case 400: case 404: case 405: case 409: case 500: case 503:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rollway;
  auto requests = splitRequests(std::string_view(reinterpret_cast<const char*>(data), size));
  if (requests.empty()) return 0;

  static const bool verbose = std::getenv("ROLLWAY_FUZZ_VERBOSE") != nullptr;  // answers on stderr
  const std::string dir = std::string(scratchDir()) + "/run";
  std::error_code ec;
  fs::remove_all(dir, ec);
  FakeClock clock;
  SeededRandom random(1);
  auto store = store::Store::open(dir + "/state.db", clock);
  if (!store) std::abort();  // the harness's own environment is broken
  {
    asio::io_context io;  // never run: nothing the controller schedules ever happens
    supervisor::SupervisorOptions supervisorOptions;
    supervisorOptions.logDir = dir;
    supervisor::Supervisor supervisor(io, supervisorOptions);
    probe::Prober prober(io, clock);
    controller::ProxyLinkOptions proxyOptions;
    proxyOptions.dir = dir + "/proxy";
    proxyOptions.manage = false;
    controller::ProxyLink proxy(io, supervisor, proxyOptions, nullLogger());
    auto prometheus = analysis::makePrometheusProvider();
    auto webhook = analysis::makeWebhookProvider();
    BlockingPool pool({"fuzz pool", 1, 4});
    controller::ControllerOptions options;
    options.dataDir = dir;
    AsioTimers timers(io);
    controller::Controller ctl(
        controller::ControllerDeps{io, **store, clock, timers, random, supervisor, prober, proxy, *prometheus, *webhook, pool},
        options,
        nullLogger());
    api::ControlApi api(**store, clock, nullLogger(), api::ApiRuntime{&ctl, &io, {}});
    // One service exists before the input runs, and the controller knows it (start()
    // reads the store once; with manageProxy off it starts nothing), so that status,
    // promote, abort, retry and restart reach the controller.
    if (!api.apply(kPreloaded, "preloaded.yaml")) std::abort();
    if (!ctl.start()) std::abort();
    for (auto& request : requests) {
      std::string method = request.method;
      std::string target = request.target;
      struct Answer {
        int count = 0;
        int status = 0;
      };
      auto answer = std::make_shared<Answer>();  // a long-poll may answer after this loop
      api.handle(std::move(request), [answer](http::Response response) {
        ++answer->count;
        answer->status = response.status;
      });
      // A long-poll (status?after=N&waitMs=M) answers when its timer fires, which never
      // happens here (or when the controller goes away); the rest answer at once.
      if (verbose) std::fprintf(stderr, "  %s %s -> %d\n", method.c_str(), target.c_str(), answer->status);
      ROLLWAY_FUZZ_CHECK(answer->count <= 1);
      ROLLWAY_FUZZ_CHECK(answer->count == 0 || documentedStatus(answer->status));
    }
  }
  store->reset();
  fs::remove_all(dir, ec);
  return 0;
}
