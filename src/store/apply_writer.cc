#include "store/apply_writer.h"

#include <utility>

#include "store/database.h"
#include "store/event_log.h"

namespace rollway::store {

namespace {

std::string revisionObject(const std::string& service, int64_t number) {
  return fmt::format("revision/{}-{}", service, number);
}

}  // namespace

Result<std::optional<ApplyWriter::CurrentService>> ApplyWriter::findService(const std::string& name) {
  auto stmt = db_.prepare("SELECT spec_json, generation, current_revision FROM services WHERE name = ?1");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<CurrentService>();
  return CurrentService{stmt->columnText(0), stmt->columnInt(1), stmt->columnInt(2)};
}

Result<std::optional<ApplyWriter::KnownRevision>> ApplyWriter::findRevisionByHash(const std::string& service,
                                                                                  const std::string& hash) {
  auto stmt = db_.prepare("SELECT number, template_json FROM revisions WHERE service = ?1 AND template_hash = ?2");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, service).bind(2, hash);
  auto row = stmt->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<KnownRevision>();
  return KnownRevision{stmt->columnInt(0), stmt->columnText(1)};
}

Result<int64_t> ApplyWriter::nextRevisionNumber(const std::string& service) {
  auto stmt = db_.prepare("SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE service = ?1");
  if (!stmt) return fail(stmt.error());
  stmt->bind(1, service);
  auto row = stmt->step();
  if (!row) return fail(row.error());
  return stmt->columnInt(0);
}

// Maps `input`'s template to a revision of `input.name` (which must exist): the
// current one when the hash is the current revision's, else an older one re-used and
// re-numbered, else a new one. Fills the revision fields of `outcome`.
Result<void> ApplyWriter::assignRevision(const ServiceInput& input, int64_t currentRevision, ApplyOutcome& outcome) {
  auto known = findRevisionByHash(input.name, input.templateHash);
  if (!known) return fail(known.error());
  if (*known && (*known)->templateJson != input.templateJson) {
    return fail(ErrorCode::kConflict,
                "store {}: service \"{}\": template hash {} already belongs to revision {} with a different template",
                db_.path(), input.name, input.templateHash, (*known)->number);
  }
  if (*known && (*known)->number == currentRevision) {
    outcome.revision = currentRevision;
    return {};
  }
  auto next = nextRevisionNumber(input.name);
  if (!next) return fail(next.error());
  outcome.revision = *next;
  outcome.newRevision = true;

  if (*known) {
    const int64_t old_number = (*known)->number;
    auto renumber = db_.prepare("UPDATE revisions SET number = ?1 WHERE service = ?2 AND number = ?3");
    if (!renumber) return fail(renumber.error());
    renumber->bind(1, *next).bind(2, input.name).bind(3, old_number);
    if (auto ok = renumber->run(); !ok) return fail(ok.error());
    // Live instances of the re-used revision follow it to its new number.
    auto follow = db_.prepare("UPDATE instances SET revision = ?1 WHERE service = ?2 AND revision = ?3");
    if (!follow) return fail(follow.error());
    follow->bind(1, *next).bind(2, input.name).bind(3, old_number);
    if (auto ok = follow->run(); !ok) return fail(ok.error());
    outcome.revisionReused = true;
    return events_.record(input.name, revisionObject(input.name, *next), "RevisionReused",
                          fmt::format("revision {} (template {}) reused as revision {}", old_number,
                                      input.templateHash, *next),
                          now_);
  }

  auto insert = db_.prepare(
      "INSERT INTO revisions (service, number, template_hash, template_json, created_at_ms, phase) "
      "VALUES (?1, ?2, ?3, ?4, ?5, '')");
  if (!insert) return fail(insert.error());
  insert->bind(1, input.name).bind(2, *next).bind(3, input.templateHash).bind(4, input.templateJson).bind(5, now_);
  if (auto ok = insert->run(); !ok) return fail(ok.error());
  return events_.record(input.name, revisionObject(input.name, *next), "NewRevision",
                        fmt::format("revision {} (template {}) created", *next, input.templateHash), now_);
}

Result<ApplyOutcome> ApplyWriter::applyOne(const ServiceInput& input) {
  ApplyOutcome outcome;
  outcome.name = input.name;
  auto existing = findService(input.name);
  if (!existing) return fail(existing.error());
  const std::string object = "service/" + input.name;

  if (!*existing) {
    auto insert = db_.prepare(
        "INSERT INTO services (name, spec_json, generation, current_revision, created_at_ms, updated_at_ms, "
        "status_json) VALUES (?1, ?2, 1, 0, ?3, ?3, '{}')");
    if (!insert) return fail(insert.error());
    insert->bind(1, input.name).bind(2, input.specJson).bind(3, now_);
    if (auto ok = insert->run(); !ok) return fail(ok.error());
    outcome.action = ApplyAction::kCreated;
    outcome.generation = 1;
    if (auto ok = events_.record(input.name, object, "ServiceCreated",
                                 fmt::format("service {} created (generation 1)", input.name), now_);
        !ok) {
      return fail(ok.error());
    }
    if (auto ok = assignRevision(input, 0, outcome); !ok) return fail(ok.error());
    auto update = db_.prepare("UPDATE services SET current_revision = ?1 WHERE name = ?2");
    if (!update) return fail(update.error());
    update->bind(1, outcome.revision).bind(2, input.name);
    if (auto ok = update->run(); !ok) return fail(ok.error());
    return outcome;
  }

  const CurrentService& current = **existing;
  if (current.specJson == input.specJson) {
    outcome.action = ApplyAction::kUnchanged;
    outcome.generation = current.generation;
    outcome.revision = current.currentRevision;
    return outcome;
  }

  outcome.action = ApplyAction::kConfigured;
  outcome.generation = current.generation + 1;
  if (auto ok = events_.record(input.name, object, "ServiceConfigured",
                               fmt::format("service {} configured (generation {})", input.name, outcome.generation),
                               now_);
      !ok) {
    return fail(ok.error());
  }
  if (auto ok = assignRevision(input, current.currentRevision, outcome); !ok) return fail(ok.error());
  auto update = db_.prepare(
      "UPDATE services SET spec_json = ?1, generation = ?2, current_revision = ?3, updated_at_ms = ?4 WHERE name = ?5");
  if (!update) return fail(update.error());
  update->bind(1, input.specJson).bind(2, outcome.generation).bind(3, outcome.revision).bind(4, now_).bind(5, input.name);
  if (auto ok = update->run(); !ok) return fail(ok.error());
  return outcome;
}

}  // namespace rollway::store
