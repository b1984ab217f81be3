// The controller's side of the proxy: the routing view of each service, the snapshot
// pushed (one at a time, again when it changed meanwhile), finding or starting the proxy,
// and what a refused snapshot means (an event, every status's routingError, drains held).
#include <algorithm>

#include "controller_state.h"

namespace rollway::controller {

namespace {

using std::chrono::seconds;

}  // namespace

ServiceView Controller::viewFor(const Service& s) const {
  ServiceView v;
  v.name = s.name;
  v.listen = s.spec.listen;
  v.hosts = s.spec.hosts;
  v.connectTimeoutMs = static_cast<int>(s.spec.timeouts.connect.count());
  v.responseTimeoutMs = static_cast<int>(s.spec.timeouts.response.count());
  v.bodyTimeoutMs = static_cast<int>(s.spec.timeouts.body.count());
  v.idleTimeoutMs = static_cast<int>(s.spec.timeouts.idle.count());
  v.holdTimeoutMs = static_cast<int>(s.spec.timeouts.hold.count());
  v.preferLocal = s.spec.preferLocal;
  const ServiceStatus& st = s.status;
  bool steps = s.spec.strategy.type != spec::StrategyType::kRollingUpdate && !st.stableHash.empty() &&
               s.revisionByHash.contains(st.stableHash) &&
               (st.rolloutStrategy != "RollingUpdate" || st.stableHash == s.currentHash);
  if (steps) {
    v.weighted = true;
    v.stableRevision = s.revisionByHash.at(st.stableHash);
    if (st.stableHash != s.currentHash) {
      v.canaryRevision = s.currentRevision;
      v.canaryWeight = st.aborted ? 0 : st.canaryWeight;
    }
    if (s.spec.strategy.type == spec::StrategyType::kCanary) {
      v.stickyHeader = s.spec.strategy.canary.stickiness.header;
      v.stickyCookie = s.spec.strategy.canary.stickiness.cookie;
      for (const auto& r : s.spec.strategy.canary.routes) {
        if (!r.headerName.empty()) v.routes.push_back(proxy::RouteMatch{r.headerName, "", r.headerValue});
        if (!r.cookieName.empty()) v.routes.push_back(proxy::RouteMatch{"", r.cookieName, r.cookieValue});
      }
    } else {
      const auto& preview = s.spec.strategy.blueGreen.previewRoute;
      if (!preview.headerName.empty()) v.routes.push_back(proxy::RouteMatch{preview.headerName, "", preview.headerValue});
      if (!preview.cookieName.empty()) v.routes.push_back(proxy::RouteMatch{"", preview.cookieName, preview.cookieValue});
      if (v.canaryRevision != 0 && !st.aborted) v.previewListen = s.spec.strategy.blueGreen.previewListen;
    }
  }
  for (const auto& [name, inst] : instances_.all()) {
    if (inst->service != s.name) continue;
    // Terminating, or stopping for a restart (failed liveness): draining either way.
    if (!inst->inRotation() && !inst->draining()) continue;
    v.endpoints.push_back(EndpointView{name, inst->address(), revisionNumber(*inst), inst->draining()});
  }
  return v;
}

void Controller::pushSnapshot() {
  std::vector<ServiceView> views;
  for (const auto& [name, s] : services_) {
    ServiceView v = viewFor(*s);
    bool anyDraining = std::any_of(v.endpoints.begin(), v.endpoints.end(), [](const EndpointView& e) { return e.draining; });
    if (!s->exists && !anyDraining) continue;
    views.push_back(std::move(v));
  }
  auto snapshot = buildRoutingSnapshot(views);
  bool same = lastPushed_ && lastPushed_->listeners == snapshot.listeners;
  if (!same) {
    // One push at a time: when it is done, it pushes again if the snapshot changed meanwhile.
    if (pushing_) return;
    // After a failure, one attempt a second.
    if (!pushError_.empty() && clock_.now() - lastPushAttempt_ < seconds(1)) return;
    lastPushAttempt_ = clock_.now();
    if (!proxy_->running()) {
      // A proxy being found or started gets the snapshot once it answers (ensureProxy pokes).
      if (!proxy_->starting()) setPushError("no proxy is running to take the routing snapshot");
      return;
    }
    pushing_ = true;
    proxy_->push(snapshot, [this, alive = std::weak_ptr<int>(alive_), snapshot](Result<uint64_t> pushed) {
      if (alive.expired()) return;
      auto batch = store_.beginBatch();  // like every entry point: its records in one transaction
      pushing_ = false;
      if (!pushed) {
        setPushError(pushed.error().message);
        return;
      }
      logger_->debug("routing snapshot {} sent", *pushed);
      lastPushed_ = snapshot;
      pushSnapshot();  // marks the drains it carried, or sends the newer snapshot
    });
    return;
  }
  setPushError("");
  terminator_.snapshotLanded();
}

void Controller::ensureProxy() {
  if (proxy_->running() || proxy_->starting() || proxyStopping_) return;
  proxy_->ensureRunning([this, alive = std::weak_ptr<int>(alive_)](Result<bool> started) {
    if (alive.expired()) return;
    auto batch = store_.beginBatch();
    if (!started) {
      logger_->error("proxy: {}", started.error().message);
      return;
    }
    if (*started) {
      events_.record("", "proxy", kNormal, "ProxyStarted", "Started the proxy on " + proxy_->socketPath());
      lastPushed_.reset();
    }
    poke();  // the routing snapshot goes out now
  });
}

void Controller::setPushError(const std::string& error) {
  if (error == pushError_) return;
  bool recovered = error.empty();
  pushError_ = error;
  if (recovered) {
    events_.record("", "proxy", kNormal, "RoutingSnapshotApplied", "The proxy took the routing snapshot");
  } else {
    events_.record("", "proxy", kWarning, "RoutingSnapshotFailed", error);
  }
  // Seen in every service's status (the snapshot is one for all services).
  if (reconciling_) return;  // reconcileAll updates the statuses after the push
  for (auto& [name, s] : services_) {
    if (s->exists) updateStatus(*s);
  }
}

}  // namespace rollway::controller
