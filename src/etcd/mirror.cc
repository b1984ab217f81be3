#include "rollway/etcd/mirror.h"

namespace rollway::etcd {

namespace {

using std::chrono::milliseconds;

}  // namespace

Mirror::Mirror(Client& client, std::string prefix, std::function<void()> onChange)
    : client_(client), prefix_(std::move(prefix)), onChange_(std::move(onChange)), thread_([this] { run(); }) {}

Mirror::~Mirror() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
  watcher_.reset();  // joins the watch's thread: no callback after this
}

bool Mirror::reload() {
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return false;
    }
    auto range = client_.getPrefix(prefix_);
    if (range) {
      std::map<std::string, KeyValue> fresh;
      for (auto& kv : range->kvs) fresh.emplace(kv.key, std::move(kv));
      {
        std::lock_guard lock(mutex_);
        kvs_ = std::move(fresh);
        revision_ = std::max(revision_, range->revision);
        stale_ = false;
        ++reads_;
      }
      changed_.notify_all();
      if (onChange_) onChange_();
      return true;
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, milliseconds(std::min(1000, 50 * (attempt + 1))), [this] { return stop_; });
  }
}

void Mirror::run() {
  while (reload()) {
    int64_t from = revision() + 1;
    watcher_ = std::make_unique<Watcher>(
        client_, prefix_, from,
        [this](const std::vector<WatchEvent>& events) {
          {
            std::lock_guard lock(mutex_);
            for (const auto& e : events) {
              if (e.type == WatchEvent::Type::kDelete) {
                kvs_.erase(e.kv.key);
              } else {
                kvs_[e.kv.key] = e.kv;
              }
              revision_ = std::max(revision_, e.kv.modRevision);
            }
          }
          changed_.notify_all();
          if (onChange_) onChange_();
        },
        [this](const Error& e) {
          if (e.code != ErrorCode::kConflict) return;  // a broken stream: the watch resumes by itself
          {
            std::lock_guard lock(mutex_);
            stale_ = true;
          }
          changed_.notify_all();
        });
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return stop_ || stale_; });
    if (stop_) return;
    lock.unlock();
    watcher_.reset();  // compacted past what it needs: read everything again
  }
}

bool Mirror::waitFor(int64_t revision, milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return reads_ > 0 && revision_ >= revision; });
}

std::optional<KeyValue> Mirror::get(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = kvs_.find(key);
  if (it == kvs_.end()) return std::nullopt;
  return it->second;
}

std::vector<KeyValue> Mirror::list(const std::string& prefix) const {
  std::lock_guard lock(mutex_);
  std::vector<KeyValue> out;
  for (auto it = kvs_.lower_bound(prefix); it != kvs_.end() && it->first.starts_with(prefix); ++it) out.push_back(it->second);
  return out;
}

int64_t Mirror::revision() const {
  std::lock_guard lock(mutex_);
  return revision_;
}

int Mirror::reads() const {
  std::lock_guard lock(mutex_);
  return reads_;
}

}  // namespace rollway::etcd
