// The Store contract tests (tests/unit/store/store_contract_test.cc) against the etcd
// store, on a one-member etcd started for the test: each store name is its own prefix.
#include <memory>
#include <optional>

#include "etcd/etcd_cluster.h"
#include "rollway/cluster/etcd_store.h"
#include "unit/store/store_backend.h"

namespace rollway::store {
namespace {

class EtcdBackend final : public StoreBackend {
 public:
  EtcdBackend() {
    try {
      cluster_.emplace(1);
      client_ = std::make_unique<etcd::Client>(etcd::ClientOptions{cluster_->endpoints(), std::chrono::milliseconds(2000)});
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot start etcd: " << e.what();
    }
  }
  bool ok() const override { return client_ != nullptr; }
  Result<std::unique_ptr<Store>> open(const std::string& name, const Clock& clock, StoreOptions options) override {
    cluster::EtcdStoreOptions o;
    o.prefix = where(name);
    o.eventHistory = options.eventHistory;
    if (options.pruneEvery < 1) return fail(ErrorCode::kInvalidArgument, "pruneEvery below 1");
    auto opened = cluster::EtcdStore::open(*client_, clock, std::move(o));
    if (!opened) return fail(opened.error());
    return std::unique_ptr<Store>(std::move(*opened));
  }
  std::string where(const std::string& name) const override { return "/contract/" + name + "/"; }
  void settle(Store& store) override {
    EXPECT_TRUE(static_cast<cluster::EtcdStore&>(store).waitFlushed(std::chrono::seconds(10)));
  }

 private:
  std::optional<etcd::testing::EtcdCluster> cluster_;
  std::unique_ptr<etcd::Client> client_;
};

}  // namespace

std::unique_ptr<StoreBackend> makeStoreBackend() { return std::make_unique<EtcdBackend>(); }

}  // namespace rollway::store
