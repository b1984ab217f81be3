#pragma once

// A client of etcd's v3 API (gRPC, the .proto files of Debian's golang-etcd-server-dev):
// key-value reads and writes, transactions, leases, and watches that resume from the
// last revision they delivered. Several endpoints: a call that cannot reach one (the
// request was not sent) tries the next; a write whose outcome is unknown (a deadline
// passed after it was sent) is an error, never retried blindly. Blocking calls with a
// deadline each: callers run them off the control thread (docs/core-principles.md).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rollway/common/result.h"

namespace rollway::etcd {

struct ClientOptions {
  std::vector<std::string> endpoints;         // host:port of the members' client URLs
  std::chrono::milliseconds timeout{2000};    // per call
};

struct KeyValue {
  std::string key;
  std::string value;
  int64_t createRevision = 0;
  int64_t modRevision = 0;
  int64_t version = 0;  // 1 after the key's creation, +1 per write
  int64_t lease = 0;
  bool operator==(const KeyValue&) const = default;
};

// One comparison of a transaction: the key's value, version, or revisions against a
// given one. A key that does not exist has version 0 and revisions 0.
struct Compare {
  enum class Target { kValue, kVersion, kCreateRevision, kModRevision, kLease };
  enum class Op { kEqual, kNotEqual, kGreater, kLess };
  std::string key;
  Target target = Target::kVersion;
  Op op = Op::kEqual;
  std::string value;
  int64_t number = 0;

  static Compare valueIs(std::string key, std::string value);
  static Compare versionIs(std::string key, int64_t version);  // 0: the key does not exist
  static Compare modRevisionIs(std::string key, int64_t revision);
  static Compare leaseIs(std::string key, int64_t lease);
};

struct Operation {
  enum class Kind { kPut, kDelete, kGet };
  Kind kind = Kind::kGet;
  std::string key;
  std::string value;
  int64_t lease = 0;
  bool prefix = false;

  static Operation put(std::string key, std::string value, int64_t lease = 0);
  static Operation del(std::string key, bool prefix = false);
  static Operation get(std::string key, bool prefix = false);
};

struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;                        // the store's revision after it
  std::vector<std::vector<KeyValue>> gets;     // one list per kGet of the branch taken
};

struct Range {
  std::vector<KeyValue> kvs;
  int64_t revision = 0;  // the store's revision the read saw (a watch from revision + 1 misses nothing)
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // for kDelete: the key and the revision of the deletion
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<int64_t> put(const std::string& key, const std::string& value, int64_t lease = 0);
  Result<std::optional<KeyValue>> get(const std::string& key);
  Result<Range> getPrefix(const std::string& prefix);
  Result<int64_t> del(const std::string& key, bool prefix = false);  // how many were deleted
  Result<TxnResult> txn(const std::vector<Compare>& compares, const std::vector<Operation>& success,
                        const std::vector<Operation>& failure = {});

  // Drops history before `revision` (watches from older revisions then fail as compacted).
  Result<void> compact(int64_t revision);

  // A lease of `ttl` (etcd may grant a longer one); its id.
  Result<int64_t> grantLease(std::chrono::seconds ttl);
  // Renews it once: the TTL left in seconds, or kNotFound once it has expired.
  Result<int64_t> keepAlive(int64_t lease);
  Result<void> revokeLease(int64_t lease);

  // The endpoint the client talks to now.
  std::string endpoint() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  friend class Watcher;
};

// A watch of a key prefix on a thread of its own, delivering every event from
// `fromRevision` on, in order, exactly once: when its stream breaks (a member died, the
// network) it opens a new one on the next endpoint from the revision after the last
// event it delivered. `onError` hears why a stream broke and when history is compacted
// past what it needs (then the caller must re-read and watch anew).
class Watcher {
 public:
  using OnEvents = std::function<void(const std::vector<WatchEvent>&)>;
  using OnError = std::function<void(const Error&)>;
  Watcher(Client& client, std::string prefix, int64_t fromRevision, OnEvents onEvents, OnError onError = {});
  ~Watcher();  // stops and joins
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  int64_t lastRevision() const { return last_.load(); }
  int reconnects() const { return reconnects_.load(); }

 private:
  void run();

  Client& client_;
  std::string prefix_;
  OnEvents onEvents_;
  OnError onError_;
  std::atomic<int64_t> last_;
  std::atomic<int> reconnects_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  void* context_ = nullptr;  // the grpc::ClientContext of the open stream (to cancel it)
  std::thread thread_;
};

}  // namespace rollway::etcd
