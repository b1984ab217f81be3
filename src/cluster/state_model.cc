#include "cluster/state_model.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rollway::cluster {

using nlohmann::json;
using store::ApplyAction;
using store::ApplyOutcome;
using store::Event;
using store::InstanceRecord;
using store::RevisionRecord;
using store::ServiceInput;
using store::ServiceRecord;

namespace {

constexpr const char* kService = "svc/";
constexpr const char* kStatus = "status/";
constexpr const char* kRevision = "rev/";
constexpr const char* kPhase = "phase/";
constexpr const char* kInstance = "inst/";
constexpr const char* kEvent = "event/";

bool startsWith(const std::string& s, const char* prefix, std::string& rest) {
  const size_t n = std::char_traits<char>::length(prefix);
  if (s.compare(0, n, prefix) != 0) return false;
  rest = s.substr(n);
  return true;
}

// "NAME/NUMBER" → (NAME, NUMBER); false when it is not that.
bool splitNumbered(const std::string& rest, std::string& name, int64_t& number) {
  const size_t slash = rest.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) return false;
  name = rest.substr(0, slash);
  const std::string digits = rest.substr(slash + 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  number = std::stoll(digits);
  return true;
}

bool isNumber(const std::string& s) { return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) && !s.empty(); }

std::string revisionObject(const std::string& service, int64_t number) {
  return fmt::format("revision/{}-{}", service, number);
}

std::string encodeService(const ServiceRecord& r) {
  return json{{"spec", r.specJson}, {"generation", r.generation}, {"currentRevision", r.currentRevision},
              {"createdAtMs", r.createdAtMs}, {"updatedAtMs", r.updatedAtMs}}
      .dump();
}

std::string encodeRevision(const RevisionRecord& r) {
  return json{{"templateHash", r.templateHash}, {"template", r.templateJson}, {"createdAtMs", r.createdAtMs}}.dump();
}

std::string encodeInstance(const InstanceRecord& r) {
  return json{{"service", r.service},     {"revision", r.revision}, {"pid", r.pid},
              {"startTimeTicks", r.startTimeTicks}, {"port", r.port}, {"state", r.state},
              {"createdAtMs", r.createdAtMs}}
      .dump();
}

std::string encodeEvent(const Event& e) {
  return json{{"timeMs", e.timeMs}, {"service", e.service}, {"object", e.object},
              {"type", e.type},     {"reason", e.reason},   {"message", e.message}}
      .dump();
}

}  // namespace

std::string StateModel::revisionKey(const std::string& service, int64_t number) {
  return fmt::format("rev/{}/{:020d}", service, number);
}
std::string StateModel::phaseKey(const std::string& service, int64_t number) {
  return fmt::format("phase/{}/{:020d}", service, number);
}
std::string StateModel::eventKey(int64_t id) { return fmt::format("event/{:020d}", id); }

// --- keys in and out ---------------------------------------------------------------------

Result<void> StateModel::load(const std::string& key, const std::string& value) {
  std::string rest;
  std::string name;
  int64_t number = 0;
  try {
    if (startsWith(key, kStatus, rest)) {
      statuses_[rest] = value;
    } else if (startsWith(key, kPhase, rest)) {
      if (!splitNumbered(rest, name, number)) return fail(ErrorCode::kInvalidArgument, "is not phase/SERVICE/NUMBER");
      phases_[{name, number}] = value;
    } else if (startsWith(key, kService, rest)) {
      const json j = json::parse(value);
      ServiceRecord r;
      r.name = rest;
      r.specJson = j.at("spec").get<std::string>();
      r.generation = j.at("generation").get<int64_t>();
      r.currentRevision = j.at("currentRevision").get<int64_t>();
      r.createdAtMs = j.at("createdAtMs").get<int64_t>();
      r.updatedAtMs = j.at("updatedAtMs").get<int64_t>();
      services_[rest] = std::move(r);
    } else if (startsWith(key, kRevision, rest)) {
      if (!splitNumbered(rest, name, number)) return fail(ErrorCode::kInvalidArgument, "is not rev/SERVICE/NUMBER");
      const json j = json::parse(value);
      RevisionRecord r;
      r.service = name;
      r.number = number;
      r.templateHash = j.at("templateHash").get<std::string>();
      r.templateJson = j.at("template").get<std::string>();
      r.createdAtMs = j.at("createdAtMs").get<int64_t>();
      revisions_[name][number] = std::move(r);
    } else if (startsWith(key, kInstance, rest)) {
      const json j = json::parse(value);
      InstanceRecord r;
      r.name = rest;
      r.service = j.at("service").get<std::string>();
      r.revision = j.at("revision").get<int64_t>();
      r.pid = j.at("pid").get<int64_t>();
      r.startTimeTicks = j.at("startTimeTicks").get<int64_t>();
      r.port = j.at("port").get<int>();
      r.state = j.at("state").get<std::string>();
      r.createdAtMs = j.at("createdAtMs").get<int64_t>();
      instances_[rest] = std::move(r);
    } else if (startsWith(key, kEvent, rest)) {
      if (!isNumber(rest)) return fail(ErrorCode::kInvalidArgument, "is not event/ID");
      const json j = json::parse(value);
      Event e;
      e.id = std::stoll(rest);
      e.timeMs = j.at("timeMs").get<int64_t>();
      e.service = j.at("service").get<std::string>();
      e.object = j.at("object").get<std::string>();
      e.type = j.at("type").get<std::string>();
      e.reason = j.at("reason").get<std::string>();
      e.message = j.at("message").get<std::string>();
      nextEventId_ = std::max(nextEventId_, e.id + 1);
      events_[e.id] = std::move(e);
    }
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidArgument, "has a value that cannot be decoded: {}", e.what());
  }
  return {};
}

void StateModel::erase(const std::string& key) {
  std::string rest;
  std::string name;
  int64_t number = 0;
  if (startsWith(key, kStatus, rest)) {
    statuses_.erase(rest);
  } else if (startsWith(key, kPhase, rest)) {
    if (splitNumbered(rest, name, number)) phases_.erase({name, number});
  } else if (startsWith(key, kService, rest)) {
    services_.erase(rest);
  } else if (startsWith(key, kRevision, rest)) {
    if (splitNumbered(rest, name, number)) {
      auto it = revisions_.find(name);
      if (it != revisions_.end()) {
        it->second.erase(number);
        if (it->second.empty()) revisions_.erase(it);
      }
    }
  } else if (startsWith(key, kInstance, rest)) {
    instances_.erase(rest);
  } else if (startsWith(key, kEvent, rest)) {
    if (isNumber(rest)) events_.erase(std::stoll(rest));
  }
}

std::optional<std::string> StateModel::value(const std::string& key) const {
  std::string rest;
  std::string name;
  int64_t number = 0;
  if (startsWith(key, kStatus, rest)) {
    auto it = statuses_.find(rest);
    if (it != statuses_.end()) return it->second;
  } else if (startsWith(key, kPhase, rest)) {
    if (!splitNumbered(rest, name, number)) return std::nullopt;
    auto it = phases_.find({name, number});
    if (it != phases_.end()) return it->second;
  } else if (startsWith(key, kService, rest)) {
    auto it = services_.find(rest);
    if (it != services_.end()) return encodeService(it->second);
  } else if (startsWith(key, kRevision, rest)) {
    if (!splitNumbered(rest, name, number)) return std::nullopt;
    auto it = revisions_.find(name);
    if (it == revisions_.end()) return std::nullopt;
    auto r = it->second.find(number);
    if (r != it->second.end()) return encodeRevision(r->second);
  } else if (startsWith(key, kInstance, rest)) {
    auto it = instances_.find(rest);
    if (it != instances_.end()) return encodeInstance(it->second);
  } else if (startsWith(key, kEvent, rest)) {
    if (!isNumber(rest)) return std::nullopt;
    auto it = events_.find(std::stoll(rest));
    if (it != events_.end()) return encodeEvent(it->second);
  }
  return std::nullopt;
}

Result<void> StateModel::apply(const std::vector<KeyChange>& changes) {
  for (const KeyChange& c : changes) {
    if (!c.value) {
      erase(c.key);
    } else if (auto ok = load(c.key, *c.value); !ok) {
      return fail(ErrorCode::kInternal, "key {} {}", c.key, ok.error().message);
    }
  }
  return {};
}

std::vector<KeyChange> StateModel::pruneEvents() const {
  std::map<std::string, size_t> counts;
  for (const auto& [id, e] : events_) ++counts[e.service];
  std::vector<KeyChange> out;
  for (const auto& [id, e] : events_) {  // oldest first
    size_t& n = counts[e.service];
    if (n > static_cast<size_t>(eventHistory_)) {
      out.push_back({eventKey(id), std::nullopt});
      --n;
    }
  }
  return out;
}

// --- reads ---------------------------------------------------------------------------

std::optional<ServiceRecord> StateModel::service(const std::string& name) const {
  auto it = services_.find(name);
  if (it == services_.end()) return std::nullopt;
  ServiceRecord r = it->second;
  auto s = statuses_.find(name);
  r.statusJson = s != statuses_.end() ? s->second : "{}";
  return r;
}

std::vector<ServiceRecord> StateModel::services() const {
  std::vector<ServiceRecord> out;
  out.reserve(services_.size());
  for (const auto& entry : services_) out.push_back(*service(entry.first));
  return out;
}

std::optional<RevisionRecord> StateModel::revision(const std::string& service, int64_t number) const {
  auto it = revisions_.find(service);
  if (it == revisions_.end()) return std::nullopt;
  auto r = it->second.find(number);
  if (r == it->second.end()) return std::nullopt;
  RevisionRecord out = r->second;
  auto p = phases_.find({service, number});
  if (p != phases_.end()) out.phase = p->second;
  return out;
}

std::optional<std::vector<RevisionRecord>> StateModel::revisions(const std::string& service) const {
  if (!hasService(service)) return std::nullopt;
  std::vector<RevisionRecord> out;
  auto it = revisions_.find(service);
  if (it == revisions_.end()) return out;
  for (auto r = it->second.rbegin(); r != it->second.rend(); ++r) out.push_back(*revision(service, r->first));
  return out;
}

const InstanceRecord* StateModel::instance(const std::string& name) const {
  auto it = instances_.find(name);
  return it == instances_.end() ? nullptr : &it->second;
}

std::vector<InstanceRecord> StateModel::instances(const std::string& service) const {
  std::vector<InstanceRecord> out;
  for (const auto& [name, r] : instances_) {
    if (service.empty() || r.service == service) out.push_back(r);
  }
  return out;
}

std::vector<Event> StateModel::events(const store::EventFilter& filter) const {
  auto matches = [&](const Event& e) { return filter.service.empty() || e.service == filter.service; };
  const size_t limit = filter.limit > 0 ? static_cast<size_t>(filter.limit) : SIZE_MAX;
  std::vector<Event> out;
  if (filter.afterId > 0) {
    for (auto it = events_.upper_bound(filter.afterId); it != events_.end() && out.size() < limit; ++it) {
      if (matches(it->second)) out.push_back(it->second);
    }
    return out;
  }
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < limit; ++it) {
    if (matches(it->second)) out.push_back(it->second);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// --- the changes of the writes --------------------------------------------------------------

KeyChange StateModel::eventChange(int64_t id, const Event& event) { return {eventKey(id), encodeEvent(event)}; }

KeyChange StateModel::instanceChange(const InstanceRecord& record) {
  return {instanceKey(record.name), encodeInstance(record)};
}

KeyChange StateModel::event(int64_t& nextId, int64_t nowMs, const std::string& service, std::string object,
                            std::string reason, std::string message) const {
  Event e{0, nowMs, service, std::move(object), "Normal", std::move(reason), std::move(message)};
  return eventChange(nextId++, e);
}

Result<std::vector<KeyChange>> StateModel::applyChanges(const std::vector<ServiceInput>& inputs, int64_t nowMs,
                                                        std::vector<ApplyOutcome>& outcomes) const {
  std::vector<KeyChange> changes;
  int64_t nextId = nextEventId_;
  for (const ServiceInput& input : inputs) {
    ApplyOutcome outcome;
    outcome.name = input.name;
    const std::string object = "service/" + input.name;
    auto existing = services_.find(input.name);
    ServiceRecord record;
    if (existing == services_.end()) {
      record.name = input.name;
      record.generation = 1;
      record.createdAtMs = nowMs;
      outcome.action = ApplyAction::kCreated;
      changes.push_back(event(nextId, nowMs, input.name, object, "ServiceCreated",
                              fmt::format("service {} created (generation 1)", input.name)));
    } else if (existing->second.specJson == input.specJson) {
      outcome.action = ApplyAction::kUnchanged;
      outcome.generation = existing->second.generation;
      outcome.revision = existing->second.currentRevision;
      outcomes.push_back(outcome);
      continue;
    } else {
      record = existing->second;
      record.generation += 1;
      outcome.action = ApplyAction::kConfigured;
      changes.push_back(event(nextId, nowMs, input.name, object, "ServiceConfigured",
                              fmt::format("service {} configured (generation {})", input.name, record.generation)));
    }
    record.specJson = input.specJson;
    record.updatedAtMs = nowMs;
    outcome.generation = record.generation;

    // The template's revision: the current one, an older one re-used and re-numbered, or a new one.
    const RevisionRecord* known = nullptr;
    int64_t highest = 0;
    if (auto revs = revisions_.find(input.name); revs != revisions_.end()) {
      for (const auto& [number, rev] : revs->second) {
        if (rev.templateHash == input.templateHash) known = &rev;
        highest = std::max(highest, number);
      }
    }
    if (known != nullptr && known->templateJson != input.templateJson) {
      return fail(ErrorCode::kConflict,
                  "service \"{}\": template hash {} already belongs to revision {} with a different template",
                  input.name, input.templateHash, known->number);
    }
    if (known != nullptr && existing != services_.end() && known->number == existing->second.currentRevision) {
      outcome.revision = known->number;
    } else {
      const int64_t next = highest + 1;
      outcome.revision = next;
      outcome.newRevision = true;
      if (known != nullptr) {
        const int64_t old = known->number;
        RevisionRecord moved = *known;
        moved.number = next;
        changes.push_back({revisionKey(input.name, old), std::nullopt});
        changes.push_back({revisionKey(input.name, next), encodeRevision(moved)});
        if (auto p = phases_.find({input.name, old}); p != phases_.end()) {
          changes.push_back({phaseKey(input.name, old), std::nullopt});
          changes.push_back({phaseKey(input.name, next), p->second});
        }
        // Live instances of the re-used revision follow it to its new number.
        for (const auto& [name, inst] : instances_) {
          if (inst.service != input.name || inst.revision != old) continue;
          InstanceRecord follows = inst;
          follows.revision = next;
          changes.push_back(instanceChange(follows));
        }
        outcome.revisionReused = true;
        changes.push_back(event(nextId, nowMs, input.name, revisionObject(input.name, next), "RevisionReused",
                                fmt::format("revision {} (template {}) reused as revision {}", old,
                                            input.templateHash, next)));
      } else {
        RevisionRecord fresh{input.name, next, input.templateHash, input.templateJson, nowMs, ""};
        changes.push_back({revisionKey(input.name, next), encodeRevision(fresh)});
        changes.push_back(event(nextId, nowMs, input.name, revisionObject(input.name, next), "NewRevision",
                                fmt::format("revision {} (template {}) created", next, input.templateHash)));
      }
    }
    record.currentRevision = outcome.revision;
    changes.push_back({serviceKey(input.name), encodeService(record)});
    outcomes.push_back(outcome);
  }
  return changes;
}

Result<std::vector<KeyChange>> StateModel::deleteChanges(const std::string& name, int64_t nowMs) const {
  if (!hasService(name)) return fail(ErrorCode::kNotFound, "service \"{}\" not found", name);
  std::vector<KeyChange> changes;
  changes.push_back({serviceKey(name), std::nullopt});
  if (statuses_.count(name) > 0) changes.push_back({statusKey(name), std::nullopt});
  if (auto revs = revisions_.find(name); revs != revisions_.end()) {
    for (const auto& [number, rev] : revs->second) changes.push_back({revisionKey(name, number), std::nullopt});
  }
  for (auto p = phases_.lower_bound({name, 0}); p != phases_.end() && p->first.first == name; ++p) {
    changes.push_back({phaseKey(name, p->first.second), std::nullopt});
  }
  int64_t nextId = nextEventId_;
  changes.push_back(event(nextId, nowMs, name, "service/" + name, "ServiceDeleted", fmt::format("service {} deleted", name)));
  return changes;
}

Result<std::vector<KeyChange>> StateModel::pruneChanges(const std::string& service, int keep,
                                                        const std::vector<int64_t>& protect, int& deleted) const {
  auto found = services_.find(service);
  if (found == services_.end()) return fail(ErrorCode::kNotFound, "service \"{}\" not found", service);
  std::vector<KeyChange> changes;
  deleted = 0;
  auto revs = revisions_.find(service);
  if (revs == revisions_.end()) return changes;
  int kept = 0;
  for (auto it = revs->second.rbegin(); it != revs->second.rend(); ++it) {
    const int64_t number = it->first;
    if (number == found->second.currentRevision) continue;
    if (kept < keep) {
      ++kept;
      continue;
    }
    if (std::find(protect.begin(), protect.end(), number) != protect.end()) continue;
    changes.push_back({revisionKey(service, number), std::nullopt});
    if (phases_.count({service, number}) > 0) changes.push_back({phaseKey(service, number), std::nullopt});
    ++deleted;
  }
  return changes;
}

}  // namespace rollway::cluster
