#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "context.h"

namespace rollway::cli {

// The line apply and set print for one outcome: "service/web configured (revision 4, new)",
// "service/web unchanged".
std::string outcomeLine(const nlohmann::json& outcome);

// POST /v1/services/{name}/{action} with a JSON body.
Result<nlohmann::json> postToService(const Context& ctx, std::string_view name, std::string_view action,
                                     const nlohmann::json& body = nlohmann::json::object());

// How the verbs that change one thing finish: an error is reported (exit 1), -o json|yaml
// prints the raw reply, a table format prints line(reply). Returns the exit code.
int finishChange(const Context& ctx, const Result<nlohmann::json>& reply,
                 const std::function<std::string(const nlohmann::json&)>& line);

// "service/NAME <done>", or "service/NAME unchanged" when the outcome's action says so.
std::string doneOrUnchanged(const nlohmann::json& outcome, std::string_view done);

}  // namespace rollway::cli
