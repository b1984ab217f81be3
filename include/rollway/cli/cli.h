#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

#include "rollway/common/error.h"

namespace rollway::cli {

// Registers one more verb. main.cc adds the daemons this way (the control plane's
// `serve`, the data plane's `proxy`), so that this client library links neither.
using VerbRegistrar = std::function<void(CLI::App& app, int& exitCode)>;

// Verbs from outside the client, in the order `rollway --help` lists them: `first`
// before the client verbs (apply, get, ...), `last` after them.
struct ExtraVerbs {
  std::vector<VerbRegistrar> first;
  std::vector<VerbRegistrar> last;
};

// Parses the command line and runs one verb. Returns the process exit code:
// 0 success, 1 failure (invalid input, server-side error, daemon unreachable),
// 2 usage errors. Every failure prints one clear line (or the list of field errors).
int run(int argc, char** argv, const ExtraVerbs& extraVerbs = {});

// Prints an error the way every verb does: "error: <message>", then one line per field
// error. Returns 1, the exit code of a failure.
int reportError(const Error& error);

}  // namespace rollway::cli
