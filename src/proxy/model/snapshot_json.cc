#include "rollway/proxy/snapshot_json.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "rollway/common/host_pattern.h"
#include "rollway/common/listen_address.h"

namespace rollway::proxy {

namespace {

using nlohmann::json;

json endpointJson(const Endpoint& e) {
  return {{"instance", e.instance}, {"address", e.address}, {"state", endpointStateName(e.state)}};
}

// Collects field errors while walking the document.
class Reader {
 public:
  std::vector<FieldError> errors;

  void error(const std::string& path, std::string reason) { errors.push_back({"", path, std::move(reason)}); }

  bool isObject(const json& j, const std::string& path) {
    if (j.is_object()) return true;
    error(path, "must be an object");
    return false;
  }

  void checkKeys(const json& j, const std::string& path, std::initializer_list<const char*> known) {
    for (const auto& item : j.items()) {
      const std::string& key = item.key();  // not a structured binding: clang 14 (make fuzz) cannot capture those
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
        error(path + "." + key, "unknown field");
      }
    }
  }

  std::string str(const json& j, const std::string& path, const char* key, bool required = false) {
    auto it = j.find(key);
    if (it == j.end()) {
      if (required) error(path + "." + key, "is required");
      return {};
    }
    if (!it->is_string()) {
      error(path + "." + key, "must be a string");
      return {};
    }
    return it->get<std::string>();
  }

  int64_t integer(const json& j, const std::string& path, const char* key, int64_t fallback, int64_t lo, int64_t hi) {
    auto it = j.find(key);
    if (it == j.end()) return fallback;
    if (!it->is_number_integer()) {
      error(path + "." + key, "must be an integer");
      return fallback;
    }
    int64_t v = it->get<int64_t>();
    if (v < lo || v > hi) {
      error(path + "." + key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
      return fallback;
    }
    return v;
  }

  bool boolean(const json& j, const std::string& path, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return false;
    if (!it->is_boolean()) {
      error(path + "." + key, "must be true or false");
      return false;
    }
    return it->get<bool>();
  }

  const json* array(const json& j, const std::string& path, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return nullptr;
    if (!it->is_array()) {
      error(path + "." + key, "must be a list");
      return nullptr;
    }
    return &*it;
  }

  void address(const std::string& value, const std::string& path) {
    auto colon = value.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0) {
      error(path, "'" + value + "' is not host:port");
      return;
    }
    auto digits = std::string_view(value).substr(colon + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || p != digits.data() + digits.size() || port < 1 || port > 65535) {
      error(path, "'" + value + "' has no valid port (1-65535)");
    }
  }
};

Endpoint readEndpoint(Reader& r, const json& j, const std::string& path) {
  Endpoint e;
  if (!r.isObject(j, path)) return e;
  r.checkKeys(j, path, {"instance", "address", "state"});
  e.instance = r.str(j, path, "instance");
  e.address = r.str(j, path, "address", true);
  if (!e.address.empty()) r.address(e.address, path + ".address");
  std::string state = r.str(j, path, "state");
  if (state.empty() || state == "ready") {
    e.state = EndpointState::kReady;
  } else if (state == "draining") {
    e.state = EndpointState::kDraining;
  } else {
    r.error(path + ".state", "must be ready or draining, not '" + state + "'");
  }
  return e;
}

// RFC 9110 token (header and cookie names). The proxy writes the sticky cookie's name
// into responses, so a snapshot from a file must not smuggle CR/LF or separators in.
bool isToken(std::string_view s) {
  constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || kExtra.find(c) != std::string_view::npos;
  });
}

RevisionRoute readRevision(Reader& r, const json& j, const std::string& path) {
  RevisionRoute rev;
  if (!r.isObject(j, path)) return rev;
  r.checkKeys(j, path, {"revision", "weight", "canary", "endpoints"});
  rev.revision = r.integer(j, path, "revision", 0, 0, INT64_MAX);
  rev.weight = static_cast<int>(r.integer(j, path, "weight", 0, 0, 100));
  rev.canary = r.boolean(j, path, "canary");
  if (const json* eps = r.array(j, path, "endpoints")) {
    for (size_t i = 0; i < eps->size(); ++i) {
      rev.endpoints.push_back(readEndpoint(r, (*eps)[i], path + ".endpoints[" + std::to_string(i) + "]"));
    }
  }
  return rev;
}

ServiceRoute readService(Reader& r, const json& j, const std::string& path) {
  ServiceRoute s;
  if (!r.isObject(j, path)) return s;
  r.checkKeys(j, path, {"name", "hosts", "split", "stickyHeader", "stickyCookie", "routes", "revisions",
                        "holdTimeoutMs", "connectTimeoutMs", "responseTimeoutMs", "bodyTimeoutMs", "idleTimeoutMs",
                        "preferLocal"});
  s.name = r.str(j, path, "name", true);
  if (const json* hosts = r.array(j, path, "hosts")) {
    for (size_t i = 0; i < hosts->size(); ++i) {
      if (!(*hosts)[i].is_string()) {
        r.error(path + ".hosts[" + std::to_string(i) + "]", "must be a string");
        continue;
      }
      if (!isHostPattern((*hosts)[i].get_ref<const std::string&>())) {
        r.error(path + ".hosts[" + std::to_string(i) + "]",
                "'" + (*hosts)[i].get<std::string>() + "' is not a host name or a wildcard such as *.example.com");
      }
      s.hosts.push_back((*hosts)[i].get<std::string>());
    }
  }
  std::string split = r.str(j, path, "split");
  if (split.empty() || split == "endpoints") {
    s.split = SplitMode::kEndpoints;
  } else if (split == "weights") {
    s.split = SplitMode::kWeights;
  } else {
    r.error(path + ".split", "must be endpoints or weights, not '" + split + "'");
  }
  s.stickyHeader = r.str(j, path, "stickyHeader");
  s.stickyCookie = r.str(j, path, "stickyCookie");
  if (!s.stickyHeader.empty() && !isToken(s.stickyHeader)) r.error(path + ".stickyHeader", "is not a header name");
  if (!s.stickyCookie.empty() && !isToken(s.stickyCookie)) r.error(path + ".stickyCookie", "is not a cookie name");
  s.holdTimeoutMs = static_cast<int>(r.integer(j, path, "holdTimeoutMs", 10'000, 0, 3'600'000));
  s.preferLocal = r.boolean(j, path, "preferLocal");
  s.connectTimeoutMs = static_cast<int>(r.integer(j, path, "connectTimeoutMs", 0, 0, 3'600'000));
  s.responseTimeoutMs = static_cast<int>(r.integer(j, path, "responseTimeoutMs", 0, 0, 3'600'000));
  s.bodyTimeoutMs = static_cast<int>(r.integer(j, path, "bodyTimeoutMs", 0, 0, 3'600'000));
  s.idleTimeoutMs = static_cast<int>(r.integer(j, path, "idleTimeoutMs", 0, 0, 3'600'000));
  if (const json* routes = r.array(j, path, "routes")) {
    for (size_t i = 0; i < routes->size(); ++i) {
      std::string rp = path + ".routes[" + std::to_string(i) + "]";
      const json& rj = (*routes)[i];
      if (!r.isObject(rj, rp)) continue;
      r.checkKeys(rj, rp, {"header", "cookie", "value"});
      RouteMatch m{r.str(rj, rp, "header"), r.str(rj, rp, "cookie"), r.str(rj, rp, "value")};
      if (m.header.empty() == m.cookie.empty()) r.error(rp, "needs exactly one of header or cookie");
      s.routes.push_back(std::move(m));
    }
  }
  if (const json* revs = r.array(j, path, "revisions")) {
    for (size_t i = 0; i < revs->size(); ++i) {
      s.revisions.push_back(readRevision(r, (*revs)[i], path + ".revisions[" + std::to_string(i) + "]"));
    }
  }
  int canaries = 0, total = 0;
  bool anyEndpoint = false;
  std::set<std::string> instances;
  for (size_t i = 0; i < s.revisions.size(); ++i) {
    canaries += s.revisions[i].canary ? 1 : 0;
    total += s.revisions[i].weight;
    for (size_t k = 0; k < s.revisions[i].endpoints.size(); ++k) {
      const auto& e = s.revisions[i].endpoints[k];
      anyEndpoint = true;
      if (!e.instance.empty() && !instances.insert(e.instance).second) {
        r.error(path + ".revisions[" + std::to_string(i) + "].endpoints[" + std::to_string(k) + "].instance",
                "instance '" + e.instance + "' appears twice");
      }
    }
  }
  if (canaries > 1) r.error(path + ".revisions", "at most one revision may be the canary");
  if (s.split == SplitMode::kWeights && anyEndpoint && total != 100) {
    r.error(path + ".revisions", "weights add up to " + std::to_string(total) + ", not 100");
  }
  return s;
}

}  // namespace

json toJson(const RoutingSnapshot& snapshot) {
  json listeners = json::array();
  for (const auto& l : snapshot.listeners) {
    json services = json::array();
    for (const auto& s : l.services) {
      json revisions = json::array();
      for (const auto& rev : s.revisions) {
        json endpoints = json::array();
        for (const auto& e : rev.endpoints) endpoints.push_back(endpointJson(e));
        revisions.push_back(
            {{"revision", rev.revision}, {"weight", rev.weight}, {"canary", rev.canary}, {"endpoints", endpoints}});
      }
      json routes = json::array();
      for (const auto& m : s.routes) {
        json rj = {{"value", m.value}};
        if (!m.header.empty()) rj["header"] = m.header;
        if (!m.cookie.empty()) rj["cookie"] = m.cookie;
        routes.push_back(rj);
      }
      json service = {{"name", s.name},
                      {"hosts", s.hosts},
                      {"split", splitModeName(s.split)},
                      {"stickyHeader", s.stickyHeader},
                      {"stickyCookie", s.stickyCookie},
                      {"holdTimeoutMs", s.holdTimeoutMs},
                      {"routes", routes},
                      {"revisions", revisions}};
      // Written when set (0 = the proxy's default), so that older snapshots read the same.
      if (s.connectTimeoutMs != 0) service["connectTimeoutMs"] = s.connectTimeoutMs;
      if (s.responseTimeoutMs != 0) service["responseTimeoutMs"] = s.responseTimeoutMs;
      if (s.bodyTimeoutMs != 0) service["bodyTimeoutMs"] = s.bodyTimeoutMs;
      if (s.idleTimeoutMs != 0) service["idleTimeoutMs"] = s.idleTimeoutMs;
      if (s.preferLocal) service["preferLocal"] = true;
      services.push_back(std::move(service));
    }
    listeners.push_back({{"address", l.address}, {"services", services}});
  }
  return {{"format", kSnapshotFormat}, {"version", snapshot.version}, {"listeners", listeners}};
}

Result<RoutingSnapshot> snapshotFromJson(const json& j) {
  Reader r;
  RoutingSnapshot snapshot;
  if (!j.is_object()) return fail(ErrorCode::kInvalidArgument, "routing snapshot must be a JSON object");
  r.checkKeys(j, "", {"format", "version", "listeners"});
  int64_t format = r.integer(j, "", "format", 0, 0, INT32_MAX);
  if (format != kSnapshotFormat) {
    r.error("format", "unsupported snapshot format " + std::to_string(format) + " (this proxy reads " +
                          std::to_string(kSnapshotFormat) + ")");
  }
  snapshot.version = static_cast<uint64_t>(r.integer(j, "", "version", 0, 0, INT64_MAX));
  std::vector<std::pair<ListenAddress, size_t>> bound;  // valid listener addresses so far
  if (const json* listeners = r.array(j, "", "listeners")) {
    for (size_t i = 0; i < listeners->size(); ++i) {
      std::string path = "listeners[" + std::to_string(i) + "]";
      const json& lj = (*listeners)[i];
      Listener l;
      if (!r.isObject(lj, path)) continue;
      r.checkKeys(lj, path, {"address", "services"});
      l.address = r.str(lj, path, "address", true);
      if (!l.address.empty()) {
        auto listen = parseListenAddress(l.address);
        if (!listen) {
          r.error(path + ".address", listen.error().message);
        } else {
          for (const auto& [other, index] : bound) {
            if (other == *listen) {
              r.error(path + ".address", "listener " + l.address + " is " + other.str() + ", the same socket as listeners[" +
                                             std::to_string(index) + "]");
              break;
            }
            if (listenOverlaps(other, *listen)) {
              r.error(path + ".address", "listener " + l.address + " overlaps listeners[" + std::to_string(index) +
                                             "] (" + other.str() + "): both would accept the same connections");
              break;
            }
          }
          bound.emplace_back(*listen, i);
        }
      }
      std::set<std::string> hostKeys;
      if (const json* services = r.array(lj, path, "services")) {
        for (size_t k = 0; k < services->size(); ++k) {
          std::string sp = path + ".services[" + std::to_string(k) + "]";
          ServiceRoute s = readService(r, (*services)[k], sp);
          std::vector<std::string> keys = s.hosts.empty() ? std::vector<std::string>{"*"} : s.hosts;
          for (auto key : keys) {
            key = normalizeHostPattern(key);
            if (!hostKeys.insert(key).second) {
              r.error(sp + ".hosts", "host '" + key + "' is already served by another service on " + l.address);
            }
          }
          l.services.push_back(std::move(s));
        }
      }
      snapshot.listeners.push_back(std::move(l));
    }
  }
  for (auto& e : r.errors) {
    if (!e.path.empty() && e.path.front() == '.') e.path.erase(0, 1);
  }
  if (!r.errors.empty()) {
    return fail(Error{ErrorCode::kInvalidArgument,
                      "routing snapshot rejected: " + std::to_string(r.errors.size()) + " error(s)", std::move(r.errors)});
  }
  return snapshot;
}

}  // namespace rollway::proxy
