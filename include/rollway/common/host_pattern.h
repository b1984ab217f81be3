#pragma once

// Host names a service answers for ("web.local", "*.example.com") and the Host header
// values matched against them. Shared by the spec, the control API and the proxy.

#include <string>
#include <string_view>

namespace rollway {

// Labels of [A-Za-z0-9-] (not starting or ending with '-', 1..63 characters) joined by
// '.', at most 253 characters, an optional trailing '.'; a wildcard is "*." followed by
// such a name ("*", "*.", "a*.b", "*example.com" are not host patterns). No port.
bool isHostPattern(std::string_view pattern);

// Lowercase, without a trailing '.': the form patterns are compared in.
std::string normalizeHostPattern(std::string_view pattern);

// A Host header value reduced to the form compared with patterns: the port dropped
// ("a.b:8080", "[::1]:8080"), lowercase, without a trailing '.'.
std::string normalizeHostHeader(std::string_view host);

// Whether a normalized host matches a normalized wildcard pattern "*.suffix": any
// subdomain of suffix at any depth, not suffix itself (nginx server_name semantics).
bool wildcardMatches(std::string_view pattern, std::string_view host);

// Whether one request could be claimed by both patterns with the same precedence:
// the same exact name, or the same wildcard. (An exact name and a wildcard never
// conflict: the exact name wins.)
bool hostPatternsClash(std::string_view a, std::string_view b);

}  // namespace rollway
