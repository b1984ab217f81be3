#pragma once

// Syntax check for analysis successCondition strings (private to spec; the analysis
// module owns evaluation). Accepted:
//   absolute:  OP value            "< 0.01", "<= 300ms", ">= 0.98", "> 5", "== 0"
//   relative:  expr OP expr        "canary.errorRate <= stable.errorRate + 0.005"
// OP is one of < <= > >= == !=; expr uses numbers (optionally with a unit ms, s, m, h
// or %), canary.<metric> / stable.<metric>, + - * / and parentheses.

#include <string>
#include <string_view>

namespace rollway::spec {

// "" when `text` is a well-formed condition, else the reason.
std::string checkConditionSyntax(std::string_view text);

}  // namespace rollway::spec
