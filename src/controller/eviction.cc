// Evictions (issue 15): one instance leaves through its service's disruption budget, as
// Kubernetes' pods/NAME/eviction — but its replacement comes first.
//
// - evict(): refused (kTooManyRequests, HTTP 429) when the instance is available and the
//   available instances not already leaving (terminating or evicted) minus this one would
//   be fewer than the budget requires (requiredAvailable); otherwise the instance is marked
//   (Instance::eviction, recorded with its state so that it survives a daemon restart).
// - reconcileEvictions(), before each plan: a replacement on the evicted instance's own
//   revision is started (one beyond the desired count); once it is available — or at once
//   when the evicted instance serves nothing — the evicted instance runs the normal
//   termination sequence and the replacement becomes an ordinary instance. A replacement
//   that cannot become available (crash loop) leaves the evicted instance running.
// - The strategies never see a pending replacement: the evicted instance stays the slot
//   (its own availability, its own age), so their counts and bounds are what they would be
//   without the eviction, and the real availability is never below what they see. When the
//   plan stops the evicted instance itself (a rollout replacing it, a scale down), its
//   replacement (not available, or it would have taken the slot already) is stopped too:
//   after the plan.
#include <algorithm>

#include <fmt/format.h>

#include "controller_state.h"
#include "rollway/controller/disruption_budget.h"

namespace rollway::controller {

namespace {

using std::chrono::seconds;

constexpr seconds kBlockedEventEvery{10};

// Instance names are service-revision-suffix; services are DNS-like names.
bool plausibleInstanceName(const std::string& name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::string objectOf(const std::string& instance) { return "instance/" + instance; }

}  // namespace

Result<EvictionReply> Controller::evict(const std::string& name) {
  if (!plausibleInstanceName(name)) {
    return fail(ErrorCode::kInvalidArgument,
                "'{}' is not an instance name: instance names are letters, digits, '-', '_' and '.' (see: rollway get "
                "instances)",
                name.substr(0, 80));
  }
  Instance* inst = instances_.find(name);
  if (inst == nullptr) return fail(ErrorCode::kNotFound, "no instance named {} (see: rollway get instances)", name);
  EvictionReply reply{name, inst->service, false, "Terminating", ""};
  Service* s = find(inst->service);
  if (inst->phase == InstancePhase::kTerminating || s == nullptr || !s->exists || inst->hash.empty() ||
      shuttingDownAll_) {
    // As Kubernetes answers for a pod already being deleted: nothing to do, not an error.
    reply.message = fmt::format("{} is already terminating", name);
    return reply;
  }
  if (inst->eviction) {
    reply.state = "Evicting";
    reply.message = inst->eviction->replacement.empty()
                        ? fmt::format("{} is already being evicted", name)
                        : fmt::format("{} is already being evicted: waiting for its replacement {}", name,
                                      inst->eviction->replacement);
    return reply;
  }
  int available = 0;
  int leaving = 0;
  for (const Instance* other : instances_.ofService(s->name)) {
    if (other->phase == InstancePhase::kTerminating) continue;
    if (other->eviction) {
      if (other->eviction->replacement == name) {
        return fail(ErrorCode::kConflict,
                    "{} is the replacement of {}, which is being evicted; it can be evicted once it is available", name,
                    other->name);
      }
      leaving += other->countsAvailable() ? 1 : 0;
      continue;
    }
    available += other->countsAvailable() ? 1 : 0;
  }
  int required = requiredAvailable(s->spec.replicas, s->spec.disruptionBudget);
  auto batch = store_.beginBatch();
  if (!evictionAllowed(inst->countsAvailable(), available, required)) {
    std::string message = fmt::format(
        "cannot evict {} now: service {} has {} available instance(s){} and its disruption budget requires {} to "
        "stay available; retry later",
        name, s->name, available, leaving > 0 ? fmt::format(" besides {} already being evicted", leaving) : "",
        required);
    auto now = clock_.now();
    if (!s->evictionBlockedAt || now - *s->evictionBlockedAt >= kBlockedEventEvery) {
      s->evictionBlockedAt = now;
      events_.record(s->name, objectOf(name), kNormal, "EvictionBlocked", message);
    }
    return fail(ErrorCode::kTooManyRequests, "{}", message);
  }
  inst->eviction = Eviction{nowMs(), "", false};
  instances_.record(*inst);
  s->evicted.insert(name);
  reply.created = true;
  reply.state = "Evicting";
  reply.message = fmt::format("evicting {}: a replacement on revision {} starts first; {} stops once it is available",
                              name, revisionNumber(*inst), name);
  events_.record(s->name, objectOf(name), kNormal, "EvictionRequested", reply.message);
  poke();
  return reply;
}

void Controller::reconcileEvictions(Service& s) {
  for (auto it = s.evicted.begin(); it != s.evicted.end();) {
    if (instances_.contains(*it)) {
      ++it;
      continue;
    }
    events_.record(s.name, objectOf(*it), kNormal, "Evicted", fmt::format("{} was evicted: it has stopped", *it));
    it = s.evicted.erase(it);
  }
  for (Instance* e : instances_.ofService(s.name)) {
    if (!e->eviction) continue;
    s.evicted.insert(e->name);
    Eviction& ev = *e->eviction;
    Instance* r = ev.replacement.empty() ? nullptr : instances_.find(ev.replacement);
    if (e->phase == InstancePhase::kTerminating) {
      // Stopped by the plan (or a deletion) while its replacement was not available: that
      // one is not needed any more.
      if (r != nullptr && r->phase != InstancePhase::kTerminating) {
        terminator_.stop(*r, fmt::format("the instance it was to replace ({}) was stopped by the rollout", e->name));
      }
      ev.replacement.clear();
      continue;
    }
    if (e->hash.empty()) continue;  // its revision is gone: it is being stopped
    if (r == nullptr || r->phase == InstancePhase::kTerminating) {
      // None yet, or lost (it did not survive a daemon restart).
      r = instances_.create(s.name, e->hash, revisionNumber(*e), e->tmpl);
      if (r == nullptr) continue;  // no free port (a FailedCreate event): again on the next pass
      ev.replacement = r->name;
      ev.stalledNoted = false;
      instances_.record(*e);
    }
    if (r->countsAvailable() || !e->inRotation()) {
      std::string why;
      if (r->countsAvailable()) {
        why = fmt::format("its replacement {} is available", r->name);
        events_.record(s.name, objectOf(e->name), kNormal, "EvictionReplacementReady",
                       fmt::format("{}'s replacement {} is available: {} leaves rotation and stops", e->name, r->name,
                                   e->name));
      } else {
        why = fmt::format("it serves no traffic and its replacement {} runs", r->name);
      }
      ev.replacement.clear();  // from now on an ordinary instance of its revision
      terminator_.stop(*e, "evicted: " + why);
      continue;
    }
    if (r->phase == InstancePhase::kBackOff && !ev.stalledNoted) {
      ev.stalledNoted = true;
      events_.record(s.name, objectOf(e->name), kWarning, "EvictionStalled",
                     fmt::format("{}'s replacement {} is not starting ({}); {} keeps running until a replacement is "
                                 "available",
                                 e->name, r->name, r->message.empty() ? r->lastExit : r->message, e->name));
    }
  }
}

bool Controller::budgetAllows(const Service& s, const Instance& inst) {
  int available = 0;
  for (const Instance* other : instances_.ofService(s.name)) {
    if (other->phase == InstancePhase::kTerminating || other->eviction) continue;
    available += other->countsAvailable() ? 1 : 0;
  }
  return evictionAllowed(inst.countsAvailable(), available, requiredAvailable(s.spec.replicas, s.spec.disruptionBudget));
}

void Controller::restartOrHold(Instance& inst, const std::string& reason) {
  Service* s = find(inst.service);
  if (s == nullptr || budgetAllows(*s, inst)) {
    inst.heldRestart.reset();
    terminator_.restart(inst, reason);
    return;
  }
  if (inst.heldRestart) return;
  inst.heldRestart = reason;
  events_.record(s->name, objectOf(inst.name), kNormal, "DisruptionBudget",
                 fmt::format("{} needs a restart ({}) but still serves, and service {}'s disruption budget cannot "
                             "spare it now: it restarts once another instance is available again",
                             inst.name, reason, s->name));
}

void Controller::releaseHeldRestarts(Service& s) {
  for (Instance* inst : instances_.ofService(s.name)) {
    if (!inst->heldRestart) continue;
    if (inst->phase == InstancePhase::kTerminating || inst->phase == InstancePhase::kRestarting ||
        inst->phase == InstancePhase::kBackOff) {
      inst->heldRestart.reset();  // gone, or restarting anyway
      continue;
    }
    if (budgetAllows(s, *inst)) {
      std::string reason = *inst->heldRestart;
      inst->heldRestart.reset();
      terminator_.restart(*inst, reason);
    }
  }
}

}  // namespace rollway::controller
