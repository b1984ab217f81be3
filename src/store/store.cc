// What every Store shares: batches (their nesting is each implementation's).
#include "rollway/store/store.h"

#include <utility>

namespace rollway::store {

const char* applyActionName(ApplyAction action) {
  switch (action) {
    case ApplyAction::kCreated:
      return "created";
    case ApplyAction::kConfigured:
      return "configured";
    case ApplyAction::kUnchanged:
      return "unchanged";
  }
  return "unknown";
}

Store::~Store() = default;

Store::Batch::Batch(Batch&& other) noexcept : store_(std::exchange(other.store_, nullptr)) {}

Store::Batch::~Batch() { (void)commit(); }

Result<void> Store::Batch::commit() {
  Store* store = std::exchange(store_, nullptr);
  if (store == nullptr) return {};
  return store->leaveBatch();
}

}  // namespace rollway::store
