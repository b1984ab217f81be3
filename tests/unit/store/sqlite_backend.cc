// The contract tests against the SQLite store: one database file per name in a fresh directory.
#include "unit/store/store_backend.h"
#include "unit/store/temp_dir.h"

namespace rollway::store {
namespace {

class SqliteBackend final : public StoreBackend {
 public:
  bool ok() const override { return dir_.ok(); }
  Result<std::unique_ptr<Store>> open(const std::string& name, const Clock& clock, StoreOptions options) override {
    return Store::open(where(name), clock, std::move(options));
  }
  std::string where(const std::string& name) const override { return dir_.file("state/" + name + ".db"); }

 private:
  TempDir dir_;
};

}  // namespace

std::unique_ptr<StoreBackend> makeStoreBackend() { return std::make_unique<SqliteBackend>(); }

}  // namespace rollway::store
