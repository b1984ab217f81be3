#include "store/rows.h"

namespace rollway::store {

ServiceRecord readService(const Statement& stmt) {
  ServiceRecord record;
  record.name = stmt.columnText(0);
  record.specJson = stmt.columnText(1);
  record.generation = stmt.columnInt(2);
  record.currentRevision = stmt.columnInt(3);
  record.createdAtMs = stmt.columnInt(4);
  record.updatedAtMs = stmt.columnInt(5);
  record.statusJson = stmt.columnText(6);
  return record;
}

RevisionRecord readRevision(const Statement& stmt) {
  RevisionRecord record;
  record.service = stmt.columnText(0);
  record.number = stmt.columnInt(1);
  record.templateHash = stmt.columnText(2);
  record.templateJson = stmt.columnText(3);
  record.createdAtMs = stmt.columnInt(4);
  record.phase = stmt.columnText(5);
  return record;
}

Event readEvent(const Statement& stmt) {
  Event event;
  event.id = stmt.columnInt(0);
  event.timeMs = stmt.columnInt(1);
  event.service = stmt.columnText(2);
  event.object = stmt.columnText(3);
  event.type = stmt.columnText(4);
  event.reason = stmt.columnText(5);
  event.message = stmt.columnText(6);
  return event;
}

InstanceRecord readInstance(const Statement& stmt) {
  InstanceRecord record;
  record.name = stmt.columnText(0);
  record.service = stmt.columnText(1);
  record.revision = stmt.columnInt(2);
  record.pid = stmt.columnInt(3);
  record.startTimeTicks = stmt.columnInt(4);
  record.port = static_cast<int>(stmt.columnInt(5));
  record.state = stmt.columnText(6);
  record.createdAtMs = stmt.columnInt(7);
  return record;
}

}  // namespace rollway::store
