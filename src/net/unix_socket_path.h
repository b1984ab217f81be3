#pragma once

#include <sys/un.h>

#include <string>

#include "rollway/common/result.h"

namespace rollway::net {

// A sockaddr_un for `path`, or kInvalidArgument when the path does not fit in sun_path.
Result<sockaddr_un> unixSocketAddress(const std::string& path);

// Makes `path` ready for bind(): creates a missing parent directory (mode 0700), removes
// a stale socket file (connect refused), and refuses a live one (kConflict) or a file
// that is not a socket.
Result<void> prepareUnixSocketPath(const std::string& path);

}  // namespace rollway::net
