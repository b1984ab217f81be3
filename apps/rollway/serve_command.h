#pragma once

#include <CLI/CLI.hpp>

namespace rollway::daemon {

// Registers `rollway serve`, the control-plane daemon: store, controller, control API
// and their servers, wired together here (main.cc adds it, so that the CLI library
// never links the control plane).
void addServeCommand(CLI::App& app, int& exitCode);

}  // namespace rollway::daemon
