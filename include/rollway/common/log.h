#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "rollway/common/result.h"

namespace rollway {

using Logger = std::shared_ptr<spdlog::logger>;

// A named logger writing to stderr (path empty) or to a file. Loggers are passed to
// the components that log; nothing registers them globally.
// level: trace, debug, info, warn, error, off.
Result<Logger> makeLogger(const std::string& name, const std::string& level, const std::string& path = "");

// A logger that drops everything (tests).
Logger nullLogger();

}  // namespace rollway
