#pragma once

// The store under test, for the contract tests (store_contract_test.cc) that every Store
// implementation must pass: the SQLite one (store_test) and the etcd one (tests/etcd,
// etcd_store_test). Each test binary links exactly one implementation of makeStoreBackend().

#include <memory>
#include <string>

#include "rollway/common/clock.h"
#include "rollway/common/result.h"
#include "rollway/store/store.h"

namespace rollway::store {

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // False when the backend could not be set up (the test then fails).
  virtual bool ok() const = 0;
  // Opens the store `name` (the same name reopens the same state).
  virtual Result<std::unique_ptr<Store>> open(const std::string& name, const Clock& clock, StoreOptions options) = 0;
  // What the store's conflict errors name (the file, the key prefix).
  virtual std::string where(const std::string& name) const = 0;
  // Before a store is closed to be reopened: makes sure its writes are durable.
  virtual void settle(Store& store) { (void)store; }
};

std::unique_ptr<StoreBackend> makeStoreBackend();

}  // namespace rollway::store
