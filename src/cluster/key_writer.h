#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/etcd/client.h"
#include "rollway/etcd/election.h"

namespace rollway::cluster {

// One key's new value: a put, or a deletion (no value). Relative to a writer's prefix.
struct KeyChange {
  std::string key;
  std::optional<std::string> value;
};

struct KeyWriterOptions {
  std::string prefix;                       // every key written is under it
  std::optional<etcd::Fence> fence;         // carried by every transaction when set
  size_t maxTxnOps = 120;                   // etcd's --max-txn-ops is 128 by default
  std::chrono::milliseconds retryMin{100};  // back-off after a failed commit
  std::chrono::milliseconds retryMax{2000};
  std::function<void()> onDeposed;          // the fence failed: called once
  Logger logger;
};

// Writes keys to etcd without making its callers wait: the latest value of each key is
// kept (`set`), and a thread of its own sends what is pending in transactions of at most
// maxTxnOps keys, again with back-off while etcd cannot be reached. `commit` is the
// synchronous way, for writes that must be durable (and atomic) when they return; it and
// the thread take turns, so that an older pending value never overtakes a commit.
// With a fence, once a transaction fails its comparison the writer is deposed: nothing
// more is sent and `onDeposed` is called once. Thread-safe.
class KeyWriter {
 public:
  KeyWriter(etcd::Client& client, KeyWriterOptions options);
  ~KeyWriter();  // stops the thread after one last attempt at what is pending
  KeyWriter(const KeyWriter&) = delete;
  KeyWriter& operator=(const KeyWriter&) = delete;

  // Marks `key` to be written with `value` (a deletion without one); sent soon unless
  // `send` is false (then it waits for the next flush()).
  void set(const std::string& key, std::optional<std::string> value, bool send = true);
  void flush();
  // One transaction of `changes`, now. kInvalidArgument beyond maxTxnOps, kConflict once
  // deposed, the client's error when etcd cannot be reached (nothing written then).
  Result<void> commit(const std::vector<KeyChange>& changes);

  bool waitFlushed(std::chrono::milliseconds timeout);
  bool deposed() const;
  std::vector<std::string> pendingKeys() const;
  const KeyWriterOptions& options() const { return options_; }
  Error depositionError() const;

 private:
  Result<void> send(const std::vector<KeyChange>& changes);
  void depose();
  bool flushOnce(std::unique_lock<std::mutex>& lock);
  void run();

  etcd::Client& client_;
  KeyWriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  struct Pending {
    std::optional<std::string> value;
    uint64_t seq = 0;
  };
  std::map<std::string, Pending> pending_;
  uint64_t seq_ = 0;
  bool kick_ = false;
  bool stop_ = false;
  bool deposed_ = false;
  bool failing_ = false;
  std::mutex sendMutex_;  // one transaction at a time
  std::thread thread_;
};

}  // namespace rollway::cluster
