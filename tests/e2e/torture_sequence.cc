// The sequence and its steps; the invariants are in torture_checks.cc.
#include "torture_sequence.h"

#include <signal.h>

#include <algorithm>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "http_client.h"

namespace rollway::e2e::torture {

using namespace std::chrono_literals;

namespace {

// "service/web configured (revision 7, new)" -> 7; 0 when absent.
int64_t revisionIn(const std::string& out) {
  std::smatch m;
  static const std::regex re(R"(\(revision (\d+))");
  return std::regex_search(out, m, re) ? std::stoll(m[1]) : 0;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string outputOf(const CommandResult& r) {
  return fmt::format("exit {}{}: {}", r.exitCode, r.timedOut ? " (timed out)" : "", trimmed(r.out + r.err));
}

}  // namespace

Sequence::Sequence(Plan plan) : plan_(std::move(plan)), model_(plan_) {}

Sequence::~Sequence() {
  if (load_) load_->stop();
  // A sequence that failed half-way: the Daemon's destructor runs `down --all` and kills
  // by PID what it saw; what only the /proc scan saw goes here.
  // Only processes that are still ours (a PID may have been reused since).
  daemon_.reset();
  for (pid_t pid : pids_) {
    if (processAlive(pid) && ours(pid)) ::kill(pid, SIGKILL);
  }
}

void Sequence::note(const std::string& line) {
  double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
  log_.push_back(fmt::format("{:7.2f}s {}", t, line));
}

bool Sequence::execute() {
  begin_ = std::chrono::steady_clock::now();
  if (!start()) return false;
  for (size_t i = 0; i < plan_.steps.size(); ++i) {
    const Step& s = plan_.steps[i];
    note(fmt::format("step {}: {}", i + 1, describe(s)));
    if (!step(s) || !checkLoad() || !checkGeneration() || !gap(std::chrono::milliseconds(s.gapMs))) return false;
  }
  note("final: converge");
  return converge() && finish();
}

bool Sequence::start() {
  daemon_ = std::make_unique<Daemon>(tmp_ / "data");
  if (!daemon_->waitReady()) return fail("the daemon did not answer within 20 s");
  port_ = freePort();
  note("initial: " + describe(plan_));
  if (!applyModel("initial", true)) return false;
  if (!converge()) return false;
  // 6 keep-alive connections and 2 threads opening a connection per request, every
  // request an idempotent GET /: nothing is retried by the client.
  load_ = std::make_unique<LoadClient>(port_, 6, 2, 10ms, 600s);
  if (!waitFor([&] { return load_->requests() >= 50; }, 10s)) return fail("the load client got no answers");
  return checkLoad();
}

bool Sequence::applyModel(const std::string& why, bool newTemplate, const Model* before) {
  auto r = daemon_->apply(model_.service(port_), tmp_.path());
  note(fmt::format("  apply ({}): {}", why, outputOf(r)));
  if (r.exitCode != 0) return fail("apply failed: " + outputOf(r));
  // A strategy drawn equal to the one in force: nothing to change, no revision printed.
  if (!newTemplate && r.out.find("unchanged") != std::string::npos) return true;
  if (int64_t got = revisionIn(r.out); got != model_.currentRevision()) {
    if (replayRollback(before ? *before : model_, model_.current().version, got)) return true;
    return fail(fmt::format("apply answered revision {}, the model expects {} ({})", got, model_.currentRevision(),
                            model_.current().version));
  }
  return true;
}

// A CLI verb that may be refused (exit 1: nothing to promote, abort, retry or undo) but
// must never crash, hang or fail otherwise. Returns the exit code, or -1 after fail().
int Sequence::verb(const std::vector<std::string>& args, bool mayRefuse) {
  auto r = daemon_->run(args, 30s);
  note("  " + args[0] + (args.size() > 1 ? " " + args[1] : "") + ": " + outputOf(r));
  if (r.exitCode == 0) return 0;
  if (mayRefuse && r.exitCode == 1 && !r.err.empty() && r.err.find("error") != std::string::npos) return 1;
  fail(fmt::format("`rollway {}` {}", fmt::join(args, " "), outputOf(r)));
  return -1;
}

bool Sequence::step(const Step& s) {
  switch (s.kind) {
    case StepKind::kApplyVersion: {
      if (!syncTemplate()) return false;
      const std::string version = model_.newTemplate(s.bad, s.appErrors, s.readyDelayMs).version;
      Model before = model_;
      model_.applyTemplate(version);
      return applyModel("new version " + version, true, &before) && checkHistory();
    }
    case StepKind::kScale:
      if (verb({"scale", "web", "--replicas", std::to_string(s.replicas)}, false) != 0) return false;
      model_.setReplicas(s.replicas);
      return true;
    case StepKind::kPause:
      if (verb({"rollout", "pause", "web"}, false) != 0) return false;
      model_.setPaused(true);
      return true;
    case StepKind::kResume:
      if (verb({"rollout", "resume", "web"}, false) != 0) return false;
      model_.setPaused(false);
      return true;
    case StepKind::kUndo:
    case StepKind::kUndoToRevision: return undo(s);
    case StepKind::kRestart: return verb({"rollout", "restart", "web"}, false) == 0;
    case StepKind::kPromote: return verb({"rollout", "promote", "web"}, true) >= 0;
    case StepKind::kRetry: return verb({"rollout", "retry", "web"}, true) >= 0;
    case StepKind::kAbort: {
      int code = verb({"rollout", "abort", "web"}, true);
      if (code != 0) return code == 1;
      model_.aborted();
      // Traffic back on stable at once: the status says aborted with weight 0.
      nlohmann::json st;
      bool ok = waitFor(
          [&] {
            st = daemon_->status("web");
            return !st.is_null() && st.value("aborted", false) && st.value("canaryWeight", -1) == 0;
          },
          5s);
      return ok || fail("after `rollout abort` (exit 0) the status is not aborted with weight 0: " + st.dump());
    }
    case StepKind::kChangeStrategy:
      if (!syncTemplate()) return false;
      model_.setStrategy(s.strategy);
      {
        Model before = model_;
        return applyModel("strategy " + describe(s.strategy), false, &before);
      }
    case StepKind::kKillDaemon: return killDaemon(s);
    case StepKind::kKillInstance: return killInstance(s.pick, false);
    case StepKind::kConverge: return converge();
  }
  return true;
}

// Plain undo goes to the newest earlier revision not marked Failed; --to-revision to the
// one the step picks among those the model knows (the current one is refused: 409).
bool Sequence::undo(const Step& s) {
  if (!syncTemplate() || !checkHistory()) return false;
  if (s.kind == StepKind::kUndoToRevision) {
    std::vector<int64_t> numbers;
    for (const auto& [number, version] : model_.revisions()) numbers.push_back(number);
    return undoTo(numbers[s.pick % numbers.size()], true);
  }
  int64_t target = 0;
  for (const auto& r : history()) {  // newest first
    int64_t n = r.value("number", int64_t{0});
    if (n < model_.currentRevision() && r.value("phase", "") != "Failed") {
      target = n;
      break;
    }
  }
  return failure_.empty() && undoTo(target, false);
}

bool Sequence::undoTo(int64_t target, bool named) {
  std::vector<std::string> args = {"rollout", "undo", "web"};
  if (named) args.insert(args.end(), {"--to-revision", std::to_string(target)});
  auto r = daemon_->run(args, 30s);
  note(fmt::format("  undo to {}: {}", target, outputOf(r)));
  if (target == 0 || target == model_.currentRevision()) {
    if (r.exitCode == 1) return true;
    return fail(fmt::format("undo to {} (current {}) should be refused with exit 1: {}", target,
                            model_.currentRevision(), outputOf(r)));
  }
  Model before = model_;
  const std::string version = model_.revisions().at(target);
  if (r.exitCode != 0) {
    // The target was the stable template, re-numbered by an automatic rollback a moment ago.
    if (r.exitCode == 1 && version == rolledBackTo() && replayRollback(before, "", 0)) return checkHistory();
    return fail(fmt::format("undo to revision {}: {}", target, outputOf(r)));
  }
  int64_t now = model_.applyTemplate(version);
  if (int64_t got = revisionIn(r.out); got != now && !replayRollback(before, version, got)) {
    return fail(fmt::format("undo to revision {} answered revision {}, the model expects {}", target, got, now));
  }
  return checkHistory();
}

bool Sequence::killDaemon(const Step& s) {
  std::this_thread::sleep_for(std::chrono::milliseconds(s.delayMs));
  daemon_->kill();
  note(fmt::format("  daemon SIGKILLed"));
  if (s.killWhileDown && !killInstance(s.pick, true)) return false;
  std::this_thread::sleep_for(std::chrono::milliseconds(s.downMs));
  daemon_->start();
  if (!daemon_->waitReady()) return fail("the daemon did not come back within 20 s after a SIGKILL");
  note("  daemon started again");
  // Everything applied survived in the store.
  return syncTemplate() && checkHistory();
}

// The last ready instance is spared: with none left the proxy has nowhere to send a
// request (it holds requests only while the snapshot has no ready endpoint), so the
// zero-failure invariant could not hold for any product.
bool Sequence::killInstance(uint64_t pick, bool daemonDown) {
  pid_t pid = 0;
  bool ready = true;
  std::string name, killedName;
  if (daemonDown) {
    auto live = scanProcesses();
    std::erase_if(live, [](pid_t p) {  // instances only: the proxy is not a target
      return readFile("/proc/" + std::to_string(p) + "/cmdline").find("demo-app") == std::string::npos;
    });
    if (live.empty()) return true;
    std::sort(live.begin(), live.end());
    pid = live[pick % live.size()];
    ready = lastReady_.contains(pid);
    name = fmt::format("{} pid {} ({})", names_.contains(pid) ? names_[pid] : "?", pid,
                       ready ? "ready at the last sample" : "not ready at the last sample");
    killedName = names_.contains(pid) ? names_[pid] : "pid " + std::to_string(pid);
  } else {
    if (!sample()) return false;  // lastReady_: the ready instances now
    auto live = liveInstances();
    if (live.empty()) return failure_.empty();
    const auto& i = live[pick % live.size()];
    pid = i.value("pid", 0);
    ready = lastReady_.contains(pid);
    name = i.value("name", "") + " (" + i.value("version", "") + (ready ? ", ready" : ", not ready") + ")";
    killedName = i.value("name", "");
  }
  if (pid <= 0) return true;
  std::erase_if(lastReady_, [](pid_t p) { return !processAlive(p); });
  // With the daemon down its readiness is a guess: spare it unless another instance was
  // ready at the last sample, and count it as ready (it may have become so since).
  bool last = daemonDown ? (lastReady_.size() - (lastReady_.contains(pid) ? 1 : 0)) == 0
                         : ready && lastReady_.size() <= 1;
  if (last) {
    note("  spared " + name + ": the last ready instance");
    return true;
  }
  if (daemonDown) ready = true;
  ::kill(pid, SIGKILL);
  lastReady_.erase(pid);
  if (ready) model_.killedReady(killedName);
  note("  SIGKILL instance " + name);
  return true;
}

bool Sequence::finish() {
  if (!checkHistory()) return false;
  load_->stop();
  if (!checkLoad()) return false;
  scanProcesses();
  daemon_->instances();  // the harness remembers these PIDs too
  auto r = daemon_->run({"down", "--all"}, 120s);
  note("down --all: " + outputOf(r));
  if (r.exitCode != 0) return fail("`rollway down --all` " + outputOf(r));
  // 0, also under the sanitizers (a leak report or an error makes it something else).
  int code = daemon_->process().wait(15s);
  if (code < 0) return fail("the daemon still runs 15 s after `down --all`");
  if (code != 0) return fail(fmt::format("the daemon exited with {} after `down --all`", code));
  return checkNoLeftovers();
}

std::string Sequence::loadSummary() const {
  if (!load_) return "no load";
  auto t = load_->totals();
  return fmt::format("{} requests, {} failed ({} socket errors, {} non-2xx of which {} the app's own 500s)", t.requests,
                     t.failures() - t.appServerErrors, t.socketErrors, t.non2xx, t.appServerErrors);
}

std::string Sequence::steps() const {
  std::string text;
  for (const auto& line : log_) text += "  " + line + "\n";
  return text;
}

void Sequence::saveDaemonLog(const std::string& path) const {
  if (daemon_) writeFile(path, daemon_->log());
}

std::string Sequence::report() const {
  std::string text = fmt::format("torture seed {} FAILED: {}\nrerun: ROLLWAY_TORTURE_SEED={}\nsteps so far:\n",
                                 plan_.seed, failure_, plan_.seed);
  text += steps();
  if (load_) text += "load: " + loadSummary() + "\n";
  if (daemon_) {
    std::string log = daemon_->log();
    size_t from = log.size();
    for (int lines = 0; lines < 80 && from > 0; ++lines) {
      from = log.rfind('\n', from - 1);
      if (from == std::string::npos) {
        from = 0;
        break;
      }
    }
    text += "daemon log (tail):\n" + log.substr(from) + "\n";
  }
  return text;
}

}  // namespace rollway::e2e::torture
