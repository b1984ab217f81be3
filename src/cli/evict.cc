// rollway evict INSTANCE [--wait] [--timeout D]: POST /v1/instances/NAME/eviction (docs/api.md,
// "Evictions"). With --wait it asks again while the disruption budget answers 429 (after the
// reply's Retry-After), then waits until the instance is gone — what `rollway drain` does
// for each instance of a node.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <iostream>
#include <set>
#include <vector>
#include <thread>

#include "rollway/common/duration.h"
#include "rollway/net/json_reply.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kGonePoll{500};
constexpr seconds kDefaultRetry{5};
constexpr seconds kMaxRetry{60};

struct EvictOptions {
  std::string name;
  bool wait = false;
  std::string timeout = "5m";
};

// Retry-After in seconds (RFC 9110 also allows an HTTP date: then, and when absent or
// unreadable, kDefaultRetry), between 1 s and kMaxRetry.
milliseconds retryAfter(const http::Response& response) {
  seconds after = kDefaultRetry;
  if (const std::string* value = response.header("Retry-After")) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec == std::errc() && end == value->data() + value->size()) after = seconds(std::clamp<int64_t>(n, 1, kMaxRetry.count()));
  }
  return after;
}

class Deadline {
 public:
  explicit Deadline(milliseconds timeout) : forever_(timeout.count() == 0), end_(Clock::now() + timeout) {}
  bool passed() const { return !forever_ && Clock::now() >= end_; }
  // Sleeps `d`, or less when the deadline comes first.
  void sleep(milliseconds d) const {
    if (!forever_) d = std::min(d, std::chrono::duration_cast<milliseconds>(end_ - Clock::now()));
    if (d.count() > 0) std::this_thread::sleep_for(d);
  }

 private:
  bool forever_;
  Clock::time_point end_;
};

// Evicts `opts.name`; with opts.wait, through 429s and until it is gone, within `deadline`.
int evictOne(const EvictOptions& opts, const Context& ctx, const Deadline& deadline, milliseconds timeoutForMessages) {
  auto client = ctx.client();
  if (!client) return reportError(client.error());
  const std::string target = "/v1/instances/" + urlEncode(opts.name) + "/eviction";
  std::string lastNote;
  nlohmann::json accepted;
  for (;;) {
    auto response = client->call("POST", target, "");
    if (!response) return reportError(response.error());
    if (response->status == 200 || response->status == 201) {
      accepted = nlohmann::json::parse(response->body, nullptr, false);
      if (!accepted.is_object()) return reportError(Error{ErrorCode::kInternal, "the eviction reply is not a JSON object", {}});
      break;
    }
    Error error = net::errorFromReply(*response);
    if (response->status != 429 || !opts.wait) {
      if (response->status == 429) error.message += " (rollway evict --wait retries until it goes through)";
      return reportError(error);
    }
    if (deadline.passed()) {
      std::cerr << "error: timed out after " << formatDuration(timeoutForMessages) << " waiting for the disruption budget to allow "
                << "evicting " << opts.name << ": " << error.message << '\n';
      return 2;
    }
    if (error.message != lastNote) {
      std::cerr << "waiting: " << error.message << '\n';
      lastNote = error.message;
    }
    deadline.sleep(retryAfter(*response));
  }
  const std::string message = accepted.value("message", "");
  std::cout << "instance/" << opts.name << (accepted.value("created", false) ? " eviction started" : "")
            << (message.empty() ? "" : ": " + message) << '\n';
  if (!opts.wait) return 0;

  const std::string service = accepted.value("service", "");
  for (;;) {
    auto list = ctx.call("GET", "/v1/instances" + (service.empty() ? "" : "?service=" + urlEncode(service)));
    if (!list) return reportError(list.error());
    const nlohmann::json* found = nullptr;
    if (auto items = list->find("items"); items != list->end() && items->is_array()) {
      for (const auto& item : *items) {
        if (item.is_object() && item.value("name", "") == opts.name) found = &item;
      }
    }
    if (found == nullptr) {
      std::cout << "instance/" << opts.name << " evicted\n";
      return 0;
    }
    std::string now = found->value("phase", "") + ": " + found->value("message", "");
    if (deadline.passed()) {
      std::cerr << "error: timed out after " << formatDuration(timeoutForMessages) << " waiting for instance " << opts.name
                << " to go (" << now << ")\n";
      return 2;
    }
    deadline.sleep(kGonePoll);
  }
}

int runEvict(const EvictOptions& opts, const Context& ctx) {
  auto timeout = parseDuration(opts.timeout);
  if (!timeout) {
    std::cerr << "error: --timeout " << opts.timeout << ": " << timeout.error().message << '\n';
    return 2;
  }
  return evictOne(opts, ctx, Deadline(*timeout), *timeout);
}

// --- nodes (cluster mode) ---------------------------------------------------------------

int setCordon(const Context& ctx, const std::string& node, bool cordon) {
  auto reply = ctx.call("POST", "/v1/nodes/" + urlEncode(node) + (cordon ? "/cordon" : "/uncordon"), "");
  if (!reply) return reportError(reply.error());
  std::cout << "node/" << node << (cordon ? " cordoned" : " uncordoned") << '\n';
  return 0;
}

// Cordons the node, then evicts its instances one by one through their services'
// disruption budgets (each replacement starts on another node first), until none is left.
int runDrain(const std::string& node, const std::string& timeoutText, const Context& ctx) {
  auto timeout = parseDuration(timeoutText);
  if (!timeout) {
    std::cerr << "error: --timeout " << timeoutText << ": " << timeout.error().message << '\n';
    return 2;
  }
  const Deadline deadline(*timeout);
  if (int rc = setCordon(ctx, node, true); rc != 0) return rc;
  std::set<std::string> done;
  for (;;) {
    auto list = ctx.call("GET", "/v1/instances");
    if (!list) return reportError(list.error());
    std::vector<std::string> left;
    if (auto items = list->find("items"); items != list->end() && items->is_array()) {
      for (const auto& item : *items) {
        if (item.is_object() && item.value("node", "") == node) left.push_back(item.value("name", ""));
      }
    }
    std::sort(left.begin(), left.end());
    if (left.empty()) {
      std::cout << "node/" << node << " drained\n";
      return 0;
    }
    // One at a time: the next one once this one is gone.
    const std::string& next = left.front();
    if (done.contains(next)) {
      // Evicted but back (the node's instance restarted in place before it went): again.
      done.erase(next);
    }
    EvictOptions one;
    one.name = next;
    one.wait = true;
    if (int rc = evictOne(one, ctx, deadline, *timeout); rc != 0) return rc;
    done.insert(next);
    if (deadline.passed()) {
      std::cerr << "error: timed out after " << formatDuration(*timeout) << " draining node " << node << '\n';
      return 2;
    }
  }
}

}  // namespace

void addNodeVerbs(CLI::App& app, Context& ctx, int& exitCode) {
  auto node = std::make_shared<std::string>();
  auto* cordon = app.add_subcommand("cordon", "Cluster mode: the node takes no new instance (its running ones stay)");
  cordon->add_option("node", *node, "The node (see: rollway get nodes)")->required();
  cordon->callback([node, &ctx, &exitCode] { exitCode = setCordon(ctx, *node, true); });
  auto* uncordon = app.add_subcommand("uncordon", "Cluster mode: the node takes new instances again");
  uncordon->add_option("node", *node, "The node (see: rollway get nodes)")->required();
  uncordon->callback([node, &ctx, &exitCode] { exitCode = setCordon(ctx, *node, false); });
  auto timeout = std::make_shared<std::string>("10m");
  auto* drain = app.add_subcommand(
      "drain", "Cluster mode: cordon the node, then evict its instances one by one through their disruption budgets");
  drain->add_option("node", *node, "The node (see: rollway get nodes)")->required();
  drain->add_option("--timeout", *timeout, "Give up after this long (exit 2); 0 waits forever")->capture_default_str();
  drain->footer(
      "Each eviction starts a replacement on another node first and stops the instance once the replacement is\n"
      "available; an eviction that would break the service's disruption budget waits (the API answers 429).\n"
      "Exit codes: 0 drained; 1 refused or failed; 2 timed out. `rollway uncordon NODE` undoes the cordon.\n\n"
      "Example:\n  rollway drain h2 && ssh h2 reboot && rollway uncordon h2");
  drain->callback([node, timeout, &ctx, &exitCode] { exitCode = runDrain(*node, *timeout, ctx); });
}

void addEvict(CLI::App& app, Context& ctx, int& exitCode) {
  auto opts = std::make_shared<EvictOptions>();
  auto* cmd = app.add_subcommand(
      "evict", "Evict an instance through its service's disruption budget: a replacement starts first, then it stops");
  cmd->add_option("instance", opts->name, "The instance (see: rollway get instances)")->required();
  cmd->add_flag("--wait", opts->wait,
                "Retry while the disruption budget holds the eviction back (429, after its Retry-After), then wait "
                "until the instance is gone");
  cmd->add_option("--timeout", opts->timeout, "With --wait: give up after this long (exit 2); 0 waits forever")
      ->capture_default_str();
  cmd->footer(
      "Without --wait, an eviction the budget refuses now is an error (exit 1); an accepted one returns at once\n"
      "(the instance stops once its replacement is available). Evicting an instance already being evicted or\n"
      "already terminating succeeds and changes nothing.\n"
      "Exit codes: 0 evicted (with --wait: gone); 1 refused or failed; 2 timed out (--wait).\n\n"
      "Examples:\n"
      "  rollway evict web-1-x7k2q\n"
      "  rollway evict web-1-x7k2q --wait --timeout 2m");
  cmd->callback([opts, &ctx, &exitCode] { exitCode = runEvict(*opts, ctx); });
}

}  // namespace rollway::cli
