#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "cluster/key_writer.h"
#include "rollway/common/result.h"
#include "rollway/store/store.h"

namespace rollway::cluster {

// The store's state as records, the etcd keys they are kept under (one object per key,
// JSON values), and the key changes each write makes. No I/O: EtcdStore sends the
// changes and loads them here once etcd has them (or at once, for pending writes).
//
//   svc/NAME               {"spec", "generation", "currentRevision", "createdAtMs", "updatedAtMs"}
//   status/NAME            the status JSON text
//   rev/NAME/NUMBER        {"templateHash", "template", "createdAtMs"}   NUMBER: 20 digits
//   phase/NAME/NUMBER      the phase text
//   inst/NAME              {"service", "revision", "pid", "startTimeTicks", "port", "state", "createdAtMs"}
//   event/ID               {"timeMs", "service", "object", "type", "reason", "message"}   ID: 20 digits
class StateModel {
 public:
  explicit StateModel(int eventHistory) : eventHistory_(eventHistory) {}

  // --- the key space ----------------------------------------------------------------
  static std::string serviceKey(const std::string& name) { return "svc/" + name; }
  static std::string statusKey(const std::string& name) { return "status/" + name; }
  static std::string revisionKey(const std::string& service, int64_t number);
  static std::string phaseKey(const std::string& service, int64_t number);
  static std::string instanceKey(const std::string& name) { return "inst/" + name; }
  static std::string eventKey(int64_t id);

  // Takes in one key as etcd has it (or will): kInvalidArgument naming the key when the
  // value cannot be decoded; unknown keys are ignored (a newer binary's).
  Result<void> load(const std::string& key, const std::string& value);
  void erase(const std::string& key);
  // The value `key` has in this model (what etcd must hold), nothing when absent.
  std::optional<std::string> value(const std::string& key) const;
  // load() or erase() for each; a change this model cannot decode is an internal error.
  Result<void> apply(const std::vector<KeyChange>& changes);
  // Deletions of the oldest events of every service beyond the event history.
  std::vector<KeyChange> pruneEvents() const;

  // --- reads ---------------------------------------------------------------------------
  std::vector<store::ServiceRecord> services() const;
  std::optional<store::ServiceRecord> service(const std::string& name) const;
  bool hasService(const std::string& name) const { return services_.count(name) > 0; }
  // Newest first; nothing when the service does not exist.
  std::optional<std::vector<store::RevisionRecord>> revisions(const std::string& service) const;
  std::optional<store::RevisionRecord> revision(const std::string& service, int64_t number) const;
  std::vector<store::InstanceRecord> instances(const std::string& service) const;
  const store::InstanceRecord* instance(const std::string& name) const;
  std::vector<store::Event> events(const store::EventFilter& filter) const;
  int64_t nextEventId() const { return nextEventId_; }

  // --- the changes of the writes (nothing is changed here) -----------------------------
  // The changes of one apply of several services, or the first error (kConflict: a
  // template hash names a different template). `outcomes` gets one per service.
  Result<std::vector<KeyChange>> applyChanges(const std::vector<store::ServiceInput>& services, int64_t nowMs,
                                              std::vector<store::ApplyOutcome>& outcomes) const;
  // kNotFound when absent.
  Result<std::vector<KeyChange>> deleteChanges(const std::string& name, int64_t nowMs) const;
  Result<std::vector<KeyChange>> pruneChanges(const std::string& service, int keep,
                                              const std::vector<int64_t>& protect, int& deleted) const;
  // Event `event` with id `id`.
  static KeyChange eventChange(int64_t id, const store::Event& event);
  static KeyChange instanceChange(const store::InstanceRecord& record);

 private:
  // An event of one apply, numbered after the ones the same apply made before.
  KeyChange event(int64_t& nextId, int64_t nowMs, const std::string& service, std::string object,
                  std::string reason, std::string message) const;

  int eventHistory_;
  std::map<std::string, store::ServiceRecord> services_;  // statusJson left "{}": see statuses_
  std::map<std::string, std::string> statuses_;
  std::map<std::pair<std::string, int64_t>, std::string> phases_;
  std::map<std::string, std::map<int64_t, store::RevisionRecord>> revisions_;  // phase left ""
  std::map<std::string, store::InstanceRecord> instances_;
  std::map<int64_t, store::Event> events_;
  int64_t nextEventId_ = 1;
};

}  // namespace rollway::cluster
