#include "rollway/etcd/election.h"

namespace rollway::etcd {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

}  // namespace

LeaderElection::LeaderElection(Client& client, ElectionOptions options, std::function<void(bool)> onChange)
    : client_(client), options_(std::move(options)), onChange_(std::move(onChange)), thread_([this] { run(); }) {}

LeaderElection::~LeaderElection() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool LeaderElection::isLeader() const {
  std::lock_guard lock(mutex_);
  return fence_.has_value();
}

std::optional<Fence> LeaderElection::fence() const {
  std::lock_guard lock(mutex_);
  return fence_;
}

bool LeaderElection::sleep(milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stop_; });
}

void LeaderElection::setLeader(std::optional<Fence> fence) {
  bool was = false;
  bool now = fence.has_value();
  {
    std::lock_guard lock(mutex_);
    was = fence_.has_value();
    fence_ = std::move(fence);
  }
  if (was != now && onChange_) onChange_(now);
}

void LeaderElection::run() {
  const auto ttl = std::chrono::duration_cast<milliseconds>(options_.ttl);
  const auto period = ttl / 3;
  while (sleep(milliseconds(0))) {
    // 1. A lease of our own.
    auto lease = client_.grantLease(options_.ttl);
    if (!lease) {
      if (!sleep(period)) break;
      continue;
    }
    lease_ = *lease;
    auto renewed = Clock::now();
    // 2. Campaign, and while we lose, wait for the key to go (the leader's lease ends).
    bool lost = false;
    while (!lost && sleep(milliseconds(0))) {
      auto won = client_.txn({Compare::versionIs(options_.key, 0)},
                             {Operation::put(options_.key, options_.candidate, *lease)},
                             {Operation::get(options_.key)});
      if (won && won->succeeded) {
        setLeader(Fence{options_.key, won->revision});
      } else if (won && !won->gets.empty() && !won->gets[0].empty() && won->gets[0][0].lease == *lease) {
        // Our own key from an earlier attempt whose answer was lost: we lead.
        setLeader(Fence{options_.key, won->gets[0][0].createRevision});
      }
      // 3. Keep the lease alive (leading or not); lose it, and lose any leadership.
      while (sleep(isLeader() ? period : std::min(period, milliseconds(250)))) {
        auto ttlLeft = client_.keepAlive(*lease);
        if (ttlLeft) {
          renewed = Clock::now();
        } else if (ttlLeft.error().code == ErrorCode::kNotFound || Clock::now() - renewed >= ttl - period) {
          // Expired on the server, or it may have by now: whoever leads, it is not us.
          lost = true;
          break;
        }
        if (isLeader()) {
          // Still ours? (Someone may have deleted the key by hand.)
          auto key = client_.get(options_.key);
          if (key && (!*key || (*key)->lease != *lease)) break;  // campaign again
          continue;
        }
        auto key = client_.get(options_.key);
        if (key && !*key) break;  // the leader is gone: campaign
      }
      setLeader(std::nullopt);
    }
    setLeader(std::nullopt);
    lease_ = 0;
    if (!lost) {
      (void)client_.revokeLease(*lease);  // stopping: let another take over at once
      break;
    }
  }
  setLeader(std::nullopt);
}

}  // namespace rollway::etcd
