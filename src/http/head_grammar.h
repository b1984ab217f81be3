#pragma once

#include <optional>
#include <string_view>

#include "rollway/http/parse_result.h"

// The HTTP/1.1 message grammar (RFC 9110 §5.1, §5.5, §7.2; RFC 9112 §2-§7) that llhttp
// leaves to its caller or checks only in part. Pure functions over the exact bytes
// received; StreamParser is their only caller (the buffered parsers wrap StreamParser).
namespace rollway::http::detail {

enum class HeadKind { kRequest, kResponse };

bool isTchar(unsigned char c);

// A whole head: optional empty lines (requests), the start line, the field lines, the
// empty line; every line ends in CRLF (no bare CR, no bare LF), no obs-fold.
std::optional<ParseError> checkHead(std::string_view head, HeadKind kind);

// `method SP request-target SP HTTP-version` (no CRLF).
std::optional<ParseError> checkRequestLine(std::string_view line);
// `HTTP-version SP 3DIGIT [SP reason-phrase]` (no CRLF).
std::optional<ParseError> checkStatusLine(std::string_view line);
// `field-name ":" OWS field-value OWS` (no CRLF): name = 1*tchar, value without CTLs
// other than HTAB (obs-text allowed).
std::optional<ParseError> checkFieldLine(std::string_view line);

// The request-target form allowed for this method: origin-form, absolute-form (http or
// https, an authority without userinfo), asterisk-form for OPTIONS only; authority-form
// (CONNECT) is refused by the caller. `authority` receives the absolute-form authority.
std::optional<ParseError> checkTarget(std::string_view method, std::string_view target,
                                      std::string_view* authority);

// Host = uri-host [ ":" port ], uri-host a reg-name of ALPHA / DIGIT / "-" "." "_" "~"
// "%" or an IP-literal in brackets; empty is allowed (RFC 9112 §3.2).
bool isValidHost(std::string_view host);

// Content-Length = 1*DIGIT that fits in 63 bits (no sign, no list, no whitespace inside).
bool parseContentLength(std::string_view value, unsigned long long* out);

std::string_view trimOws(std::string_view value);

}  // namespace rollway::http::detail
