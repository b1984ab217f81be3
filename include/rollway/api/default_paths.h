#pragma once

#include <string>

namespace rollway::api {

// Where a daemon keeps its state when --data-dir is not given:
// root: /var/lib/rollway; others: $XDG_STATE_HOME/rollway or ~/.local/state/rollway.
std::string defaultDataDir();

// The default control socket, where `rollway serve` (without --data-dir) listens and a
// client looks first: root: /run/rollway/rollway.sock; others:
// $XDG_RUNTIME_DIR/rollway/rollway.sock, or /tmp/rollway-<uid>/rollway.sock when
// XDG_RUNTIME_DIR is unset.
std::string defaultSocketPath();

}  // namespace rollway::api
