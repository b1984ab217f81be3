// The invariants of a torture sequence (the rules are in torture_model.h and
// tests/e2e/README.md).
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "http_client.h"
#include "torture_sequence.h"

namespace rollway::e2e::torture {

using namespace std::chrono_literals;

bool Sequence::fail(const std::string& what) {
  if (failure_.empty()) failure_ = what;
  note("FAILED: " + what);
  return false;
}

nlohmann::json Sequence::cliJson(const std::vector<std::string>& args) {
  auto r = daemon_->run(args, 15s);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (r.exitCode != 0 || j.is_discarded()) {
    fail(fmt::format("`rollway {}` exit {}{}: {}{}", fmt::join(args, " "), r.exitCode, r.timedOut ? " (timed out)" : "",
                     r.out, r.err));
    return nullptr;
  }
  return j;
}

bool Sequence::gap(std::chrono::milliseconds length) {
  auto end = std::chrono::steady_clock::now() + length;
  do {
    if (!sample() || !checkLoad()) return false;
    std::this_thread::sleep_for(150ms);
  } while (std::chrono::steady_clock::now() < end);
  return true;
}

std::vector<nlohmann::json> Sequence::instancesNow() {
  std::vector<nlohmann::json> all;
  auto j = cliJson({"get", "instances", "web", "-o", "json"});
  if (j.is_null()) return all;
  for (const auto& i : j["items"]) {
    pid_t pid = i.value("pid", 0);
    if (pid > 0) pids_.insert(pid);
    all.push_back(i);
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.value("name", "") < b.value("name", ""); });
  return all;
}

std::vector<nlohmann::json> Sequence::liveInstances() {
  auto live = instancesNow();
  std::erase_if(live, [](const nlohmann::json& i) { return i.value("phase", "") == "Terminating"; });
  return live;
}

// One sample of the ready floor. Every ready instance that is not terminating counts,
// whatever its revision: the proxy sends a request to the revision its weights pick, and
// to any revision with a ready instance when that one has none.
bool Sequence::sample() {
  auto all = instancesNow();
  if (!failure_.empty()) return false;
  std::set<pid_t> readyPids;
  std::set<std::string> readyNames, liveNames;
  std::string list;
  names_.clear();
  for (const auto& i : all) {
    bool live = i.value("phase", "") != "Terminating";
    names_[i.value("pid", 0)] = i.value("name", "");
    if (live) liveNames.insert(i.value("name", ""));
    if (live && i.value("ready", false)) {
      readyPids.insert(i.value("pid", 0));
      readyNames.insert(i.value("name", ""));
    }
    list += fmt::format("\n    {} rev {} {} {} ready={}", i.value("name", ""), i.value("revision", 0),
                        i.value("version", ""), i.value("phase", ""), i.value("ready", false));
  }
  int ready = static_cast<int>(readyPids.size());
  lastReady_ = readyPids;
  if (ready < model_.bar()) {
    auto svc = cliJson({"get", "services", "web", "-o", "json"});
    return fail(fmt::format("{} ready instance(s), fewer than the {}; status: {}:{}", ready, model_.floorText(),
                            svc.is_null() ? "?" : svc["status"].dump(), list));
  }
  model_.sample(readyNames, liveNames);
  return checkPaused(all, list);
}

// While paused "instances stay as they are until resume": from the first sample after
// the pause took effect, no instance is started (a crashed one restarts in place, under
// its name) and none begins its termination.
bool Sequence::checkPaused(const std::vector<nlohmann::json>& all, const std::string& list) {
  if (!model_.paused()) {
    pausedLive_.reset();
    return true;
  }
  std::set<std::string> live, known;
  for (const auto& i : all) {
    known.insert(i.value("name", ""));
    if (i.value("phase", "") != "Terminating") live.insert(i.value("name", ""));
  }
  if (!pausedLive_) {
    pausedLive_ = live;
    pausedKnown_ = known;
    return true;
  }
  for (const auto& name : known) {
    if (!pausedKnown_.contains(name)) return fail("the rollout is paused, yet " + name + " was started:" + list);
  }
  for (const auto& name : *pausedLive_) {
    if (known.contains(name) && !live.contains(name)) {
      return fail("the rollout is paused, yet " + name + " began its termination:" + list);
    }
  }
  return true;
}

bool Sequence::checkLoad() {
  if (!load_) return true;
  auto t = load_->totals();
  if (t.failures() - t.appServerErrors == 0) return true;
  std::string first;
  for (const auto& f : t.firstFailures) first += "\n    " + f;
  return fail("the load client saw failed requests: " + loadSummary() + first);
}

bool Sequence::checkGeneration() {
  nlohmann::json svc;
  bool ok = waitFor(
      [&] {
        svc = cliJson({"get", "services", "web", "-o", "json"});
        return svc.is_null() || svc.value("generation", -1) == svc["status"].value("observedGeneration", -2);
      },
      10s);
  if (svc.is_null()) return false;
  if (!ok) {
    return fail("the controller did not act on generation " + std::to_string(svc.value("generation", -1)) +
                " within 10 s: " + svc["status"].dump());
  }
  const auto& st = svc["status"];
  if (!completeIsConsistent(st)) return false;
  if (model_.current().bad && st.value("revision", int64_t{0}) == model_.currentRevision() &&
      st.value("phase", "") == "Complete") {
    return fail("revision " + std::to_string(model_.currentRevision()) + " (" + model_.current().version +
                ") never passes its readiness probe, yet the rollout is Complete: " + st.dump());
  }
  return true;
}

// A status that says Complete says it of its own counts: every replica updated and
// available (docs/api.md: "updatedReplicas == availableReplicas == replicas").
bool Sequence::completeIsConsistent(const nlohmann::json& st) {
  if (st.value("phase", "") != "Complete") return true;
  int r = st.value("replicas", -1);
  if (st.value("updatedReplicas", -2) == r && st.value("updatedAvailableReplicas", -2) == r &&
      st.value("availableReplicas", -2) >= r) {
    return true;
  }
  return fail("the status says Complete without every replica updated and available: " + st.dump());
}

// The template the daemon runs is the model's, or the model missed an automatic rollback
// (autoRollback after the progress deadline), which a RolledBack event then names.
bool Sequence::syncTemplate() {
  auto svc = cliJson({"get", "services", "web", "-o", "json"});
  if (svc.is_null()) return false;
  int64_t revision = svc.value("revision", int64_t{0});
  std::string version = svc["spec"]["spec"]["template"].value("version", "");
  if (revision == model_.currentRevision() && version == model_.current().version) return true;
  auto events = cliJson({"events", "web", "--limit", "1000", "-o", "json"});
  if (events.is_null()) return false;
  std::string rolledBack;
  for (const auto& e : events["items"]) {
    int64_t id = e.value("id", int64_t{0});
    if (id <= lastEventId_) continue;
    lastEventId_ = id;
    if (e.value("reason", "") == "RolledBack") rolledBack = e.value("message", "");
  }
  const Template* target = model_.byVersion(version);
  if (!plan_.autoRollback || rolledBack.empty() || !target || target->bad) {
    return fail(fmt::format("the daemon runs revision {} ({}), the model revision {} ({}), and no automatic rollback "
                            "explains it (last RolledBack event: \"{}\")",
                            revision, version, model_.currentRevision(), model_.current().version, rolledBack));
  }
  const std::string failed = model_.current().version;
  if (int64_t now = model_.applyTemplate(version); now != revision) {
    return fail(fmt::format("automatic rollback to {} made revision {}, the model expects {}", version, revision, now));
  }
  note(fmt::format("  automatic rollback seen: {} -> {} (revision {}): {}", failed, version, revision, rolledBack));
  return true;
}

namespace {

// "5 v3 (current), 4 v4 Failed, 2 v2": a history for failure messages.
std::string brief(const nlohmann::json& items) {
  std::string text;
  for (const auto& r : items) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {}{}", r.value("number", int64_t{0}), r.value("version", ""),
                        r.value("current", false) ? " (current)" : "");
    if (!r.value("phase", "").empty()) text += " " + r.value("phase", "");
  }
  return text;
}

std::string brief(const std::map<int64_t, std::string>& revisions, int64_t current) {
  std::string text;
  for (auto it = revisions.rbegin(); it != revisions.rend(); ++it) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {}{}", it->first, it->second, it->first == current ? " (current)" : "");
  }
  return text;
}

}  // namespace

// The template of the newest RolledBack event not yet taken into the model ("" if none).
std::string Sequence::rolledBackTo() {
  auto events = cliJson({"events", "web", "--limit", "1000", "-o", "json"});
  if (events.is_null()) return "";
  std::string version;
  for (const auto& e : events["items"]) {
    if (e.value("id", int64_t{0}) <= lastEventId_ || e.value("reason", "") != "RolledBack") continue;
    std::smatch m;
    static const std::regex re(R"(template \(([^)]*)\), now revision (\d+))");
    std::string message = e.value("message", "");
    if (std::regex_search(message, m, re)) version = m[1];
  }
  return version;
}

// An automatic rollback (progress deadline) landed between the sync before a step and
// the step itself: replayed in that order on `before`, the model must agree with `got`
// (the revision the step's template then got; "" = the step changed nothing).
bool Sequence::replayRollback(Model before, const std::string& applied, int64_t got) {
  std::string version = rolledBackTo();
  if (version.empty() || !plan_.autoRollback) return false;
  auto svc = cliJson({"get", "services", "web", "-o", "json"});
  if (svc.is_null()) return false;
  int64_t rolledBack = before.applyTemplate(version);
  if (!applied.empty() && before.applyTemplate(applied) != got) return false;
  if (applied.empty() && rolledBack != svc.value("revision", int64_t{0})) return false;
  note(fmt::format("  an automatic rollback to {} (revision {}) came just before the step", version, rolledBack));
  model_ = before;
  // The events up to now are accounted for.
  auto events = cliJson({"events", "web", "--limit", "1000", "-o", "json"});
  for (const auto& e : events.is_null() ? nlohmann::json::array() : events["items"]) {
    lastEventId_ = std::max(lastEventId_, e.value("id", int64_t{0}));
  }
  return true;
}

nlohmann::json Sequence::history() {
  auto j = cliJson({"rollout", "history", "web", "-o", "json"});
  return j.is_null() ? nlohmann::json::array() : j["items"];
}

// Every listed revision is one the model made, with the template as applied; the current
// one is the model's; nothing is missing unless revisionHistoryLimit pruned it.
bool Sequence::checkHistory() {
  auto items = history();
  if (!failure_.empty()) return false;
  std::map<int64_t, std::string> seen;
  for (const auto& r : items) {
    int64_t n = r.value("number", int64_t{0});
    std::string version = r.value("version", "");
    seen[n] = version;
    auto known = model_.revisions().find(n);
    if (known == model_.revisions().end() || known->second != version) {
      return fail(fmt::format("history lists revision {} ({}), which the model does not know; history: {}; model: {}",
                              n, version, brief(items), brief(model_.revisions(), model_.currentRevision())));
    }
    std::vector<std::string> command = r["template"].value("command", std::vector<std::string>{});
    std::vector<std::string> args(command.begin() + std::min<size_t>(5, command.size()), command.end());
    if (args != model_.byVersion(version)->appArgs) {
      return fail(fmt::format("revision {} ({}) has the arguments {}, applied were {}", n, version,
                              fmt::join(args, " "), fmt::join(model_.byVersion(version)->appArgs, " ")));
    }
    if (r.value("current", false) != (n == model_.currentRevision())) {
      return fail(fmt::format("history marks revision {} current={}, the model's current is {}", n,
                              r.value("current", false), model_.currentRevision()));
    }
  }
  if (!seen.contains(model_.currentRevision())) {
    return fail(fmt::format("the current revision {} is missing from the history", model_.currentRevision()));
  }
  std::vector<int64_t> missing;
  for (const auto& [n, version] : model_.revisions()) {
    if (!seen.contains(n)) missing.push_back(n);
  }
  if (!missing.empty() && plan_.revisionHistoryLimit >= 100) {
    return fail(fmt::format("revisions {} are missing from the history (nothing is pruned with the limit at {})",
                            fmt::join(missing, ", "), plan_.revisionHistoryLimit));
  }
  for (int64_t n : missing) model_.forget(n);
  return true;
}

// The daemon and the proxy name the test's directory (--data-dir); instances run in it
// (the spec file's directory). A process of another test, even one left in the same
// port window, is never ours.
bool Sequence::ours(pid_t pid) const {
  std::string proc = "/proc/" + std::to_string(pid);
  std::string cmdline = readFile(proc + "/cmdline");
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  if (cmdline.find(tmp_.path()) != std::string::npos) return true;
  std::error_code ec;
  auto cwd = std::filesystem::read_symlink(proc + "/cwd", ec).string();
  return !ec && cwd.starts_with(tmp_.path());
}

std::vector<pid_t> Sequence::scanProcesses() {
  std::vector<pid_t> found;
  DIR* dir = ::opendir("/proc");
  if (!dir) return found;
  while (dirent* e = ::readdir(dir)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0 || pid == ::getpid() || !processAlive(pid) || !ours(pid)) continue;
    found.push_back(pid);
    pids_.insert(pid);
  }
  ::closedir(dir);
  return found;
}

// After `down --all`: every process this sequence ever saw is gone, and /proc holds none.
bool Sequence::checkNoLeftovers() {
  std::vector<pid_t> left;
  waitFor(
      [&] {
        left = scanProcesses();
        for (pid_t pid : pids_) {
          if (processAlive(pid) && ours(pid) && std::find(left.begin(), left.end(), pid) == left.end()) left.push_back(pid);
        }
        return left.empty();
      },
      5s);
  if (left.empty()) {
    note(fmt::format("no process left of the {} seen", pids_.size()));
    return true;
  }
  std::string list;
  for (pid_t pid : left) {
    std::string cmdline = readFile("/proc/" + std::to_string(pid) + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    list += fmt::format("\n    pid {}: {}", pid, cmdline);
  }
  return fail("processes left after `down --all`:" + list);
}

}  // namespace rollway::e2e::torture
