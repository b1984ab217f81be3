#include "env_args.h"

namespace rollway::cli {

Result<nlohmann::json> envChanges(const std::vector<std::string>& args) {
  nlohmann::json env = nlohmann::json::object();
  for (const auto& arg : args) {
    auto eq = arg.find('=');
    if (eq == std::string::npos && arg.size() > 1 && arg.back() == '-') {
      env[arg.substr(0, arg.size() - 1)] = nullptr;
    } else if (eq != std::string::npos && eq > 0) {
      env[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else {
      return fail(ErrorCode::kInvalidArgument, "'{}': use KEY=VALUE to set a variable or KEY- to remove it", arg);
    }
  }
  if (env.empty()) return fail(ErrorCode::kInvalidArgument, "set env needs at least one KEY=VALUE or KEY-");
  return env;
}

}  // namespace rollway::cli
