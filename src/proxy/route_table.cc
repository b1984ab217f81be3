#include "route_table.h"

#include <algorithm>
#include <charconv>

#include "rollway/common/host_pattern.h"
#include "rollway/common/listen_address.h"

namespace rollway::proxy {


Result<std::pair<std::string, uint16_t>> splitHostPort(std::string_view address) {
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail(ErrorCode::kInvalidArgument, "'{}' is not host:port", address);
  }
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  auto digits = address.substr(colon + 1);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || p != digits.data() + digits.size() || port > 65535) {
    return fail(ErrorCode::kInvalidArgument, "'{}' has no valid port", address);
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

Result<std::shared_ptr<const RouteTable>> RouteTable::build(std::shared_ptr<const RoutingSnapshot> snapshot) {
  auto table = std::make_shared<RouteTable>();
  table->snapshot_ = std::move(snapshot);
  for (const auto& l : table->snapshot_->listeners) {
    ListenerInfo li;
    auto listen = parseListenAddress(l.address);
    if (!listen) return fail(listen.error());
    li.address = listen->str();
    li.host = listen->ip;
    li.port = listen->port;
    for (const auto& s : l.services) {
      int serviceIndex = static_cast<int>(table->services_.size());
      ServiceInfo si;
      si.route = &s;
      for (size_t r = 0; r < s.revisions.size(); ++r) {
        RevisionInfo ri;
        ri.number = s.revisions[r].revision;
        for (const auto& e : s.revisions[r].endpoints) {
          auto ehp = splitHostPort(e.address);
          if (!ehp) return fail(ehp.error());
          EndpointInfo ei{e.address, ehp->first, ehp->second, e.instance, e.state == EndpointState::kReady,
                          serviceIndex, static_cast<int>(r)};
          auto id = static_cast<uint32_t>(table->endpoints_.size());
          if (ei.ready) {
            ri.ready.push_back(id);
            si.ready.push_back(id);
          }
          table->endpoints_.push_back(std::move(ei));
        }
        si.revisions.push_back(std::move(ri));
      }
      if (s.hosts.empty()) {
        li.anyHost = serviceIndex;
      } else {
        for (const auto& h : s.hosts) {
          std::string pattern = normalizeHostPattern(h);
          auto& list = pattern.starts_with("*.") ? li.wildcards : li.byHost;
          list.emplace_back(std::move(pattern), serviceIndex);
        }
      }
      table->services_.push_back(std::move(si));
    }
    std::stable_sort(li.wildcards.begin(), li.wildcards.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    table->listeners_.push_back(std::move(li));
  }
  return std::shared_ptr<const RouteTable>(std::move(table));
}

int RouteTable::findListener(std::string_view address) const {
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i].address == address) return static_cast<int>(i);
  }
  std::string canonical = canonicalListen(address);
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i].address == canonical) return static_cast<int>(i);
  }
  return -1;
}

int RouteTable::findService(int listener, std::string_view hostHeader) const {
  if (listener < 0 || static_cast<size_t>(listener) >= listeners_.size()) return -1;
  const auto& l = listeners_[static_cast<size_t>(listener)];
  if ((!l.byHost.empty() || !l.wildcards.empty()) && !hostHeader.empty()) {
    std::string host = normalizeHostHeader(hostHeader);
    for (const auto& [name, index] : l.byHost) {
      if (name == host) return index;
    }
    for (const auto& [pattern, index] : l.wildcards) {
      if (wildcardMatches(pattern, host)) return index;
    }
  }
  return l.anyHost;
}

int RouteTable::findEndpoint(int service, std::string_view address) const {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (endpoints_[i].service == service && endpoints_[i].address == address) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace rollway::proxy
