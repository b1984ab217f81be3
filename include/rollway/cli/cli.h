#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace rollway::cli {

// Registers one more verb (e.g. the data plane's `proxy`, wired in by main.cc so that
// this control-plane library never links the proxy).
using VerbRegistrar = std::function<void(CLI::App& app, int& exitCode)>;

// Parses the command line and runs one verb. Returns the process exit code:
// 0 success, 1 failure (invalid input, server-side error, daemon unreachable),
// 2 usage errors. Every failure prints one clear line (or the list of field errors).
int run(int argc, char** argv, const std::vector<VerbRegistrar>& extraVerbs = {});

}  // namespace rollway::cli
