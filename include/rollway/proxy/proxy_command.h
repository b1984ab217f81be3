#pragma once

#include <CLI/CLI.hpp>

namespace rollway::proxy {

// Registers `rollway proxy` (the data plane) on the command line. Wired in main.cc so
// that the control-plane CLI library never links the proxy.
void addProxyCommand(CLI::App& app, int& exitCode);

}  // namespace rollway::proxy
