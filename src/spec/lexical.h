#pragma once

// Small lexical checks shared by the parser and the validator (private to spec).

#include <string>
#include <string_view>
#include <vector>

namespace rollway::spec {

// [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters (RFC 1123 label).
bool isDnsLabel(std::string_view s);
// [A-Za-z_][A-Za-z0-9_]*
bool isEnvName(std::string_view s);
// RFC 9110 token (header names, cookie names).
bool isHttpToken(std::string_view s);
// A host name for Host-header matching: isHostPattern (labels of [A-Za-z0-9-] joined by
// '.', optionally starting with "*." (wildcard), optional trailing '.'); no port.
bool isHostName(std::string_view s);
// "http://..." or "https://..." with something after the scheme.
bool isHttpUrl(std::string_view s);

// Well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points beyond
// U+10FFFF). Returns the offset of the first bad byte, or npos when all is well.
std::size_t firstInvalidUtf8(std::string_view s);

// "ip:port", "[v6]:port", "localhost:port" or ":port" (all IPv4 interfaces); port
// 1-65535; no other host names (parseListenAddress). "" when valid, else the reason.
std::string checkListen(std::string_view s);
// Canonical form used to compare listen addresses (canonicalListen).
std::string normalizeListen(std::string_view s);

// The candidate closest to `word` when it is close enough to be a likely typo, else "".
std::string closestMatch(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace rollway::spec
