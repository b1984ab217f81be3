#include "rollway/common/host_pattern.h"

#include <algorithm>

namespace rollway {

namespace {

bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

}  // namespace

bool isHostPattern(std::string_view s) {
  if (s.starts_with("*.")) s.remove_prefix(2);
  if (s.ends_with('.')) s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) dot = s.size();
    std::string_view label = s.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (!isAlnum(label.front()) || !isAlnum(label.back())) return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return isAlnum(c) || c == '-'; })) return false;
    start = dot + 1;
  }
  return true;
}

std::string normalizeHostPattern(std::string_view pattern) {
  if (pattern.ends_with('.')) pattern.remove_suffix(1);
  return lowered(pattern);
}

std::string normalizeHostHeader(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.ends_with('.')) host.remove_suffix(1);
  return lowered(host);
}

bool wildcardMatches(std::string_view pattern, std::string_view host) {
  if (!pattern.starts_with("*.")) return false;
  std::string_view suffix = pattern.substr(1);  // ".example.com"
  // At least one non-empty label before the suffix.
  return host.size() > suffix.size() && host.ends_with(suffix) && host[host.size() - suffix.size() - 1] != '.';
}

bool hostPatternsClash(std::string_view a, std::string_view b) {
  return normalizeHostPattern(a) == normalizeHostPattern(b);
}

}  // namespace rollway
