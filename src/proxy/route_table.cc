#include "route_table.h"

#include <algorithm>
#include <charconv>

namespace rollway::proxy {

namespace {

std::string lowerHost(std::string_view host) {
  // Host header: strip the port, lowercase.
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

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
    li.address = l.address;
    auto hp = splitHostPort(l.address);
    if (!hp) return fail(hp.error());
    li.host = hp->first;
    li.port = hp->second;
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
        for (const auto& h : s.hosts) li.byHost.emplace_back(lowerHost(h), serviceIndex);
      }
      table->services_.push_back(std::move(si));
    }
    table->listeners_.push_back(std::move(li));
  }
  return std::shared_ptr<const RouteTable>(std::move(table));
}

int RouteTable::findListener(std::string_view address) const {
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i].address == address) return static_cast<int>(i);
  }
  return -1;
}

int RouteTable::findService(int listener, std::string_view hostHeader) const {
  if (listener < 0 || static_cast<size_t>(listener) >= listeners_.size()) return -1;
  const auto& l = listeners_[static_cast<size_t>(listener)];
  if (!l.byHost.empty() && !hostHeader.empty()) {
    std::string host = lowerHost(hostHeader);
    for (const auto& [name, index] : l.byHost) {
      if (name == host) return index;
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
