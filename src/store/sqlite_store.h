#pragma once

// The Store on one SQLite file (`Store::open`): the single-host default. What each call
// does is documented on Store (include/rollway/store/store.h); how, in README.md.

#include <memory>
#include <string>
#include <vector>

#include "rollway/store/store.h"

namespace rollway::store {

class SqliteStore final : public Store {
 public:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  ~SqliteStore() override;

  PendingWrites pendingWrites() const override;
  Result<std::vector<ApplyOutcome>> apply(const std::vector<ServiceInput>& services) override;
  Result<std::vector<ServiceRecord>> listServices() override;
  Result<ServiceRecord> getService(const std::string& name) override;
  Result<void> deleteService(const std::string& name) override;
  Result<void> setServiceStatus(const std::string& name, const std::string& statusJson) override;
  Result<std::vector<RevisionRecord>> listRevisions(const std::string& service) override;
  Result<RevisionRecord> getRevision(const std::string& service, int64_t number) override;
  Result<void> setRevisionPhase(const std::string& service, int64_t number, const std::string& phase) override;
  Result<int> pruneRevisions(const std::string& service, int keep, const std::vector<int64_t>& protect) override;
  Result<int64_t> appendEvent(Event event) override;
  Result<std::vector<Event>> listEvents(const EventFilter& filter) override;
  Result<void> upsertInstance(const InstanceRecord& record) override;
  Result<std::vector<InstanceRecord>> listInstances(const std::string& service = "") override;
  Result<void> deleteInstance(const std::string& name) override;
  int schemaVersion() const override;

 protected:
  void enterBatch() override;
  Result<void> leaveBatch() override;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollway::store
