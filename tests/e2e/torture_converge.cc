// Convergence: drive the rollout to its end as a person would (resume, promote, undo a
// version that never gets ready), then compare status, instances and routing with the
// spec. Every wait is bounded; a state that does not settle is a failure.
#include <thread>

#include <fmt/format.h>

#include "http_client.h"
#include "torture_sequence.h"

namespace rollway::e2e::torture {

using namespace std::chrono_literals;

namespace {

constexpr auto kConvergeBound = 90s;

}  // namespace

bool Sequence::converge() {
  auto start = std::chrono::steady_clock::now();
  auto failedSince = std::chrono::steady_clock::time_point{};
  std::string why = "nothing read yet";
  while (std::chrono::steady_clock::now() - start < kConvergeBound) {
    if (!syncTemplate()) return false;
    if (model_.paused()) {
      if (verb({"rollout", "resume", "web"}, false) != 0) return false;
      model_.setPaused(false);
    }
    auto svc = cliJson({"get", "services", "web", "-o", "json"});
    if (svc.is_null()) return false;
    const auto& st = svc["status"];
    if (!completeIsConsistent(st)) return false;
    std::string phase = st.value("phase", "");
    if (st.value("aborted", false)) {
      if (verifyDegraded(st, why)) return true;
    } else if (model_.current().bad) {
      // Never ready: it must never complete. With autoRollback the daemon goes back by
      // itself after the progress deadline; else (or when it cannot) a person undoes it.
      // (A status of another revision: an automatic rollback since the sync above.)
      if (phase == "Complete" && st.value("revision", int64_t{0}) == model_.currentRevision()) {
        return fail("revision " + std::to_string(model_.currentRevision()) + " (" + model_.current().version +
                    ") never passes its readiness probe, yet the rollout is Complete: " + st.dump());
      }
      why = "waiting for the never-ready revision to fail its progress deadline: " + st.dump();
      if (phase == "Failed") {
        auto now = std::chrono::steady_clock::now();
        if (failedSince == std::chrono::steady_clock::time_point{}) failedSince = now;
        if (!plan_.autoRollback || now - failedSince > 5s) {
          if (!undoToGood()) return false;
          failedSince = {};
        }
      }
    } else if (phase == "Paused" && !st.value("pauseReason", "").empty()) {
      if (verb({"rollout", "promote", "web"}, true) < 0) return false;
      why = "promoted: " + st.dump();
    } else if (phase == "Complete") {
      if (verifyComplete(svc, why)) return true;
    } else if (phase == "Failed") {
      return fail("the rollout of a revision that gets ready failed: " + st.dump());
    } else {
      why = "status: " + st.dump();
    }
    std::this_thread::sleep_for(250ms);
  }
  auto items = liveInstances();
  return fail(fmt::format("no convergence within {} s; last: {}\ninstances: {}", kConvergeBound.count(), why,
                          nlohmann::json(items).dump()));
}

// Back to the newest revision the model knows to get ready; a new good version when the
// history limit pruned them all.
bool Sequence::undoToGood() {
  if (!syncTemplate() || !checkHistory()) return false;
  int64_t target = 0;
  for (const auto& [number, version] : model_.revisions()) {
    if (number != model_.currentRevision() && !model_.byVersion(version)->bad) target = number;
  }
  if (target != 0) return undoTo(target, true);
  const Template& t = model_.newTemplate(false, false, plan_.readyDelayMs);
  model_.applyTemplate(t.version);
  return applyModel("converge: a good version, none left in the history", true);
}

// Complete as the spec says: `replicas` instances, all on the current revision and
// ready, nothing else left but terminating ones, and the proxy sends every request there.
bool Sequence::verifyComplete(const nlohmann::json& svc, std::string& why) {
  const auto& st = svc["status"];
  const Template& t = model_.current();
  int r = model_.replicas();
  if (st.value("revision", int64_t{0}) != model_.currentRevision() || st.value("version", "") != t.version ||
      st.value("replicas", -1) != r || st.value("updatedReplicas", -1) != r || st.value("totalReplicas", -1) != r ||
      st.value("availableReplicas", -1) < r || svc.value("generation", -1) != st.value("observedGeneration", -2)) {
    why = fmt::format("Complete, but the counts are not yet those of revision {} ({}) x {}: {}",
                      model_.currentRevision(), t.version, r, st.dump());
    return false;
  }
  auto live = liveInstances();
  if (!failure_.empty()) return false;
  int ready = 0;
  for (const auto& i : live) {
    if (i.value("revision", int64_t{0}) != model_.currentRevision() || i.value("version", "") != t.version) {
      why = "Complete, but instance " + i.dump() + " is not on the current revision";
      return false;
    }
    ready += i.value("ready", false) ? 1 : 0;
  }
  if (static_cast<int>(live.size()) != r || ready != r) {
    why = fmt::format("Complete, but {} live instances, {} ready (replicas {})", live.size(), ready, r);
    return false;
  }
  for (int i = 0; i < 10; ++i) {
    auto res = httpGet(port_, "/");
    const std::string* v = res ? res->header("X-Version") : nullptr;
    if (!res || !v || *v != t.version) {
      why = fmt::format("Complete, but a request was answered by {}", v ? *v : "nobody");
      return false;
    }
  }
  note(fmt::format("  converged: revision {} ({}) x {}, Complete", model_.currentRevision(), t.version, r));
  return checkHistory();
}

// Aborted (Degraded): the new revision out of traffic and stopped, `replicas` instances of
// the stable revision ready and serving.
bool Sequence::verifyDegraded(const nlohmann::json& st, std::string& why) {
  int64_t stable = st.value("stableRevision", int64_t{0});
  auto stableVersion = model_.revisions().find(stable);
  if (st.value("phase", "") != "Degraded" || st.value("canaryWeight", -1) != 0 || stableVersion == model_.revisions().end()) {
    why = "aborted, but not (yet) Degraded with weight 0 on a known stable revision: " + st.dump();
    return false;
  }
  auto live = liveInstances();
  if (!failure_.empty()) return false;
  int ready = 0;
  for (const auto& i : live) {
    if (i.value("version", "") != stableVersion->second) {
      why = "aborted, but instance " + i.dump() + " is not on the stable revision";
      return false;
    }
    ready += i.value("ready", false) ? 1 : 0;
  }
  if (ready != model_.replicas() || static_cast<int>(live.size()) != model_.replicas()) {
    why = fmt::format("aborted, but {} live instances, {} ready (replicas {})", live.size(), ready, model_.replicas());
    return false;
  }
  for (int i = 0; i < 10; ++i) {
    auto res = httpGet(port_, "/");
    const std::string* v = res ? res->header("X-Version") : nullptr;
    if (!res || !v || *v != stableVersion->second) {
      why = fmt::format("aborted, but a request was answered by {}", v ? *v : "nobody");
      return false;
    }
  }
  note(fmt::format("  converged: aborted, revision {} ({}) x {} serving", stable, stableVersion->second,
                   model_.replicas()));
  return checkHistory();
}

}  // namespace rollway::e2e::torture
