#include "rollway/spec/listen_conflict.h"

#include <fmt/format.h>

#include "rollway/common/host_pattern.h"
#include "rollway/common/listen_address.h"

namespace rollway::spec {

namespace {

struct Claim {
  const char* field;
  std::string text;
};

std::vector<Claim> claimsOf(const ServiceSpec& s) {
  std::vector<Claim> out;
  if (!s.listen.empty()) out.push_back({"spec.listen", s.listen});
  if (!s.strategy.blueGreen.previewListen.empty()) {
    out.push_back({"spec.strategy.blueGreen.previewListen", s.strategy.blueGreen.previewListen});
  }
  return out;
}

bool hostsOverlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.empty() || b.empty()) return true;
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (hostPatternsClash(x, y)) return true;
    }
  }
  return false;
}

std::string hostsText(const std::vector<std::string>& hosts) {
  return hosts.empty() ? "every host" : fmt::format("hosts {}", fmt::join(hosts, ", "));
}

}  // namespace

std::string listenConflict(const ServiceSpec& a, const ServiceSpec& b) {
  for (const auto& ca : claimsOf(a)) {
    auto la = parseListenAddress(ca.text);
    if (!la) continue;  // reported by validate()
    for (const auto& cb : claimsOf(b)) {
      auto lb = parseListenAddress(cb.text);
      if (!lb) continue;
      if (*la == *lb) {
        if (!hostsOverlap(a.hosts, b.hosts)) continue;
        return fmt::format("{} {} is the listener {} of service \"{}\" ({} {}), and both serve {}", ca.field, ca.text,
                           lb->str(), b.metadata.name, cb.field, cb.text,
                           a.hosts.empty() || b.hosts.empty() ? "every host" : "a host in common");
      }
      if (listenOverlaps(*la, *lb)) {
        return fmt::format("{} {} overlaps {} {} of service \"{}\" ({}): both sockets would take the same "
                           "connections; use one address (and hosts to share it) or different ports",
                           ca.field, ca.text, cb.field, cb.text, b.metadata.name, hostsText(b.hosts));
      }
    }
  }
  return "";
}

}  // namespace rollway::spec
