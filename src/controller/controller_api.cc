// What the API asks of the controller: status (and long-polls on it), instances, and
// the verbs — restart, promote, abort, retry, undo's skipSteps.
#include <algorithm>

#include <fmt/format.h>

#include "controller_state.h"

namespace rollway::controller {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;


}  // namespace

Controller::Service* Controller::find(const std::string& service) {
  auto it = services_.find(service);
  return it == services_.end() ? nullptr : it->second.get();
}

Result<Controller::Service*> Controller::existing(const std::string& service) {
  Service* s = find(service);
  if (s == nullptr || !s->exists) return fail(ErrorCode::kNotFound, "no service named {}", service);
  return s;
}

int64_t Controller::revisionNumber(const Instance& inst) const {
  if (auto sit = services_.find(inst.service); sit != services_.end()) {
    const Service& s = *sit->second;
    if (auto it = s.revisionByHash.find(inst.hash); it != s.revisionByHash.end()) return it->second;
  }
  return inst.revision;
}

Result<json> Controller::status(const std::string& service) const {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second->exists) return fail(ErrorCode::kNotFound, "no service named {}", service);
  const Service& s = *it->second;
  json st = toJson(s.status);
  // Bookkeeping, not part of the API's status.
  for (const char* key : {"stableHash", "failedHash", "observedHash", "previousHash", "skipStepsHash", "rolloutStrategy"}) {
    st.erase(key);
  }
  return json{{"name", service}, {"generation", s.generation}, {"seq", s.seq}, {"status", st}};
}

void Controller::watchStatus(const std::string& service, uint64_t after, milliseconds wait,
                             std::function<void(Result<json>)> reply) {
  Service* s = find(service);
  if (s == nullptr || !s->exists || s->seq > after || wait <= milliseconds(0)) {
    reply(status(service));
    return;
  }
  Service::Waiter w;
  w.id = ++nextWaiter_;
  w.after = after;
  w.reply = std::move(reply);
  w.timer = timers_.make();
  // The timer belongs to the waiter: once the waiter is answered, it is gone and never fires.
  w.timer->expireAfter(std::min(wait, milliseconds(60'000)), [this, service, id = w.id] {
    Service* svc = find(service);
    if (svc == nullptr) return;
    auto& waiters = svc->waiters;
    auto found = std::find_if(waiters.begin(), waiters.end(), [&](const Service::Waiter& x) { return x.id == id; });
    if (found == waiters.end()) return;
    auto fn = std::move(found->reply);
    auto timer = std::move(found->timer);  // destroyed after this callback returns
    waiters.erase(found);
    fn(status(service));
  });
  s->waiters.push_back(std::move(w));
}

json Controller::instances(const std::string& service) const {
  json items = json::array();
  for (const auto& [name, inst] : instances_.all()) {
    if (service.empty() || inst->service == service) items.push_back(instances_.toJson(*inst));
  }
  return {{"items", items}};
}

Result<int64_t> Controller::restart(const std::string& service) {
  auto s = existing(service);
  if (!s) return fail(s.error());
  int64_t at = nowMs();
  (*s)->status.restartedAtMs = at;
  (*s)->status.observedHash.clear();  // counts as a new rollout
  event(**s, kNormal, "RestartRequested", "Replacing every instance (rollout restart)");
  updateStatus(**s);
  poke();
  return at;
}

Result<void> Controller::promote(const std::string& service) {
  auto s = existing(service);
  if (!s) return fail(s.error());
  if ((!stepsActive(**s) && (*s)->status.pauseReason.empty()) || (*s)->status.aborted) {
    return fail(ErrorCode::kConflict, "service {} has no rollout waiting to be promoted", service);
  }
  (*s)->promoteRequested = true;
  event(**s, kNormal, "PromoteRequested", "Promotion requested by hand");
  poke();
  return {};
}

Result<void> Controller::abort(const std::string& service) {
  auto s = existing(service);
  if (!s) return fail(s.error());
  if (!stepsActive(**s)) {
    return fail(ErrorCode::kConflict,
                "service {} has no canary or blue-green rollout in progress (a rolling update goes back with "
                "`rollway rollout undo {}`)",
                service, service);
  }
  if ((*s)->status.aborted) return fail(ErrorCode::kConflict, "the rollout of {} is already aborted", service);
  abortRollout(**s, "aborted by hand");
  updateStatus(**s);
  return {};
}

Result<void> Controller::retry(const std::string& service) {
  auto found = existing(service);
  if (!found) return fail(found.error());
  Service& s = **found;
  if (!s.status.aborted) return fail(ErrorCode::kConflict, "the rollout of {} was not aborted; nothing to retry", service);
  ServiceStatus& st = s.status;
  st.aborted = false;
  st.abortReason.clear();
  st.stepIndex = 0;
  st.canaryWeight = 0;
  st.canaryReplicas = 0;
  st.stepStartedMs = st.lastProgressMs = st.rolloutStartedMs = nowMs();
  st.phase = RolloutPhase::kProgressing;
  st.analysis = nullptr;
  gate_.forget(service);
  (void)store_.setRevisionPhase(service, s.currentRevision, "");
  event(s, kNormal, "RolloutRetried", fmt::format("Retrying revision {} from its first step", s.currentRevision));
  updateStatus(s);
  poke();
  return {};
}

void Controller::skipSteps(const std::string& service) {
  if (find(service) == nullptr) return;
  refreshServices();
  find(service)->status.skipStepsHash = find(service)->currentHash;
  poke();
}

}  // namespace rollway::controller
