#include "cluster/key_writer.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace rollway::cluster {

KeyWriter::KeyWriter(etcd::Client& client, KeyWriterOptions options)
    : client_(client), options_(std::move(options)), thread_([this] { run(); }) {}

KeyWriter::~KeyWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
  std::unique_lock lock(mutex_);
  (void)flushOnce(lock);  // once more; what fails now is lost
}

void KeyWriter::set(const std::string& key, std::optional<std::string> value, bool send) {
  {
    std::lock_guard lock(mutex_);
    pending_[key] = Pending{std::move(value), ++seq_};
    if (send) kick_ = true;
  }
  if (send) changed_.notify_all();
}

void KeyWriter::flush() {
  {
    std::lock_guard lock(mutex_);
    if (pending_.empty()) return;
    kick_ = true;
  }
  changed_.notify_all();
}

Error KeyWriter::depositionError() const {
  return Error{ErrorCode::kConflict,
               fmt::format("etcd {}: this daemon is no longer the cluster leader ({} was won again by another "
                           "daemon); it writes nothing more",
                           options_.prefix, options_.fence ? options_.fence->key : std::string("the leader key")),
               {}};
}

bool KeyWriter::deposed() const {
  std::lock_guard lock(mutex_);
  return deposed_;
}

std::vector<std::string> KeyWriter::pendingKeys() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(pending_.size());
  for (const auto& entry : pending_) out.push_back(entry.first);
  return out;
}

void KeyWriter::depose() {
  {
    std::lock_guard lock(mutex_);
    if (deposed_) return;
    deposed_ = true;
  }
  changed_.notify_all();
  if (options_.logger) options_.logger->error("{}", depositionError().message);
  if (options_.onDeposed) options_.onDeposed();
}

Result<void> KeyWriter::send(const std::vector<KeyChange>& changes) {
  std::lock_guard serial(sendMutex_);
  if (deposed()) return fail(depositionError());
  std::vector<etcd::Operation> ops;
  ops.reserve(changes.size());
  for (const KeyChange& c : changes) {
    const std::string key = options_.prefix + c.key;
    ops.push_back(c.value ? etcd::Operation::put(key, *c.value) : etcd::Operation::del(key));
  }
  std::vector<etcd::Compare> compares;
  if (options_.fence) compares.push_back(options_.fence->compare());
  auto result = client_.txn(compares, ops);
  if (!result) {
    return fail(result.error().code, "etcd {}: cannot write to etcd: {}", options_.prefix, result.error().message);
  }
  if (!result->succeeded) {
    depose();
    return fail(depositionError());
  }
  return {};
}

Result<void> KeyWriter::commit(const std::vector<KeyChange>& changes) {
  if (changes.size() > options_.maxTxnOps) {
    return fail(ErrorCode::kInvalidArgument,
                "etcd {}: this write needs {} keys changed in one transaction, more than the {} allowed "
                "(etcd's --max-txn-ops)",
                options_.prefix, changes.size(), options_.maxTxnOps);
  }
  return send(changes);
}

bool KeyWriter::flushOnce(std::unique_lock<std::mutex>& lock) {
  while (!pending_.empty() && !deposed_) {
    std::vector<KeyChange> changes;
    std::vector<std::pair<std::string, uint64_t>> taken;
    for (const auto& [key, p] : pending_) {
      if (changes.size() >= options_.maxTxnOps) break;
      changes.push_back({key, p.value});
      taken.emplace_back(key, p.seq);
    }
    lock.unlock();
    auto ok = send(changes);
    lock.lock();
    if (!ok) {
      if (!failing_ && !deposed_ && options_.logger) {
        options_.logger->warn("{} ({} writes pending; retrying)", ok.error().message, pending_.size());
      }
      failing_ = !deposed_;
      return false;
    }
    for (const auto& [key, seq] : taken) {
      auto it = pending_.find(key);
      if (it != pending_.end() && it->second.seq == seq) pending_.erase(it);
    }
    if (failing_ && options_.logger) options_.logger->info("etcd {}: writes reach etcd again", options_.prefix);
    failing_ = false;
    changed_.notify_all();
  }
  return true;
}

void KeyWriter::run() {
  std::unique_lock lock(mutex_);
  auto backoff = options_.retryMin;
  while (true) {
    changed_.wait(lock, [&] { return stop_ || (kick_ && !deposed_); });
    if (stop_) return;
    kick_ = false;
    if (flushOnce(lock)) {
      backoff = options_.retryMin;
    } else if (!deposed_) {
      kick_ = true;  // again after the back-off
      changed_.wait_for(lock, backoff, [&] { return stop_; });
      backoff = std::min(backoff * 2, options_.retryMax);
    }
    changed_.notify_all();
  }
}

bool KeyWriter::waitFlushed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return pending_.empty() || deposed_; }) && pending_.empty();
}

}  // namespace rollway::cluster
