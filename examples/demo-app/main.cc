// demo-app: the small HTTP service that rollway's examples and end-to-end tests run as
// instances. See README.md and --help.

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "options.h"
#include "rollway/common/log.h"
#include "server.h"

int main(int argc, char** argv) {
  try {
    auto processStart = std::chrono::steady_clock::now();
    std::vector<std::string> args(argv + 1, argv + argc);
    auto options = demo::parseOptions(args);
    if (!options) {
      fmt::print(stderr, "demo-app: {}\nRun 'demo-app --help' for the list of flags.\n", options.error().message);
      return 2;
    }
    if (options->help) {
      fmt::print("{}", demo::usage());
      return 0;
    }
    auto log = rollway::makeLogger("demo-app/" + options->version, "info");
    if (!log) {
      fmt::print(stderr, "demo-app: {}\n", log.error().message);
      return 1;
    }
    demo::Server server(*options, *log, processStart);
    return server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "demo-app: fatal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "demo-app: fatal: unknown exception\n");
  }
  return 1;
}
