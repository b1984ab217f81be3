#include "rollway/cluster/protocol.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "rollway/spec/parser.h"

namespace rollway::cluster {

using nlohmann::json;
using supervisor::ExitInfo;

namespace {

json exitJson(const ExitInfo& e) {
  const char* kind = e.kind == ExitInfo::Kind::kExited     ? "exited"
                     : e.kind == ExitInfo::Kind::kSignaled ? "signaled"
                     : e.kind == ExitInfo::Kind::kLost     ? "lost"
                                                           : "unknown";
  return json{{"kind", kind}, {"code", e.code}, {"signal", e.signal}, {"core", e.coreDumped}};
}

ExitInfo exitFrom(const json& j) {
  ExitInfo e;
  const std::string kind = j.at("kind").get<std::string>();
  e.kind = kind == "exited"     ? ExitInfo::Kind::kExited
           : kind == "signaled" ? ExitInfo::Kind::kSignaled
           : kind == "lost"     ? ExitInfo::Kind::kLost
                                : ExitInfo::Kind::kUnknown;
  e.code = j.at("code").get<int>();
  e.signal = j.at("signal").get<int>();
  e.coreDumped = j.at("core").get<bool>();
  return e;
}

template <typename T>
void optionalField(json& j, const char* name, const std::optional<T>& value) {
  if (value) j[name] = *value;
}

}  // namespace

std::string assignKey(const std::string& node, const std::string& instance) { return "assign/" + node + "/" + instance; }
std::string reportKey(const std::string& node, const std::string& instance) { return "report/" + node + "/" + instance; }

bool splitNodeInstance(const std::string& rest, std::string& node, std::string& instance) {
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) return false;
  node = rest.substr(0, slash);
  instance = rest.substr(slash + 1);
  return instance.find('/') == std::string::npos;
}

std::string toJson(const Assignment& a) {
  const auto& l = a.launch;
  json j{{"node", a.node},
         {"instance", l.instance},
         {"service", l.service},
         {"revision", l.revision},
         {"port", l.port},
         {"command", l.command},
         {"env", l.env},
         {"workingDir", l.workingDir},
         {"version", l.version},
         {"start", a.start},
         {"minReadySeconds", a.minReadySeconds},
         {"preStopSeq", a.preStopSeq},
         {"preStopArgv", a.preStopArgv},
         {"preStopTimeoutMs", a.preStopTimeoutMs}};
  optionalField(j, "probeTemplate", a.probeTemplate);
  optionalField(j, "terminateGraceMs", a.terminateGraceMs);
  return j.dump();
}

Result<Assignment> assignmentFromJson(const std::string& text) {
  try {
    const json j = json::parse(text);
    Assignment a;
    a.node = j.at("node").get<std::string>();
    auto& l = a.launch;
    l.instance = j.at("instance").get<std::string>();
    l.service = j.at("service").get<std::string>();
    l.revision = j.at("revision").get<int64_t>();
    l.port = j.at("port").get<int>();
    l.command = j.at("command").get<std::vector<std::string>>();
    l.env = j.at("env").get<supervisor::EnvMap>();
    l.workingDir = j.at("workingDir").get<std::string>();
    l.version = j.at("version").get<std::string>();
    a.start = j.at("start").get<uint64_t>();
    a.minReadySeconds = j.at("minReadySeconds").get<int>();
    a.preStopSeq = j.at("preStopSeq").get<uint64_t>();
    a.preStopArgv = j.at("preStopArgv").get<std::vector<std::string>>();
    a.preStopTimeoutMs = j.at("preStopTimeoutMs").get<int64_t>();
    if (j.contains("probeTemplate")) a.probeTemplate = j.at("probeTemplate").get<std::string>();
    if (j.contains("terminateGraceMs")) a.terminateGraceMs = j.at("terminateGraceMs").get<int64_t>();
    return a;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidArgument, "not an assignment: {}", e.what());
  }
}

std::string toJson(const InstanceReport& r) {
  json events = json::array();
  for (const auto& e : r.probeEvents) {
    json ej{{"seq", e.seq}, {"kind", static_cast<int>(e.event.kind)}, {"reason", e.event.reason}};
    if (e.event.probe) ej["probe"] = static_cast<int>(*e.event.probe);
    events.push_back(std::move(ej));
  }
  json j{{"node", r.node},
         {"host", r.host},
         {"port", r.port},
         {"start", r.start},
         {"pid", r.pid},
         {"startTimeTicks", r.startTimeTicks},
         {"startError", r.startError},
         {"started", r.started},
         {"ready", r.ready},
         {"available", r.available},
         {"restartRequired", r.restartRequired},
         {"probeSuccesses", r.probeSuccesses},
         {"probeFailures", r.probeFailures},
         {"probeEvents", std::move(events)},
         {"preStopSeq", r.preStopSeq},
         {"preStopError", r.preStopError}};
  if (r.exit) j["exit"] = exitJson(*r.exit);
  optionalField(j, "killedAfterGrace", r.killedAfterGrace);
  if (r.preStopExit) j["preStopExit"] = exitJson(*r.preStopExit);
  return j.dump();
}

Result<InstanceReport> reportFromJson(const std::string& text) {
  try {
    const json j = json::parse(text);
    InstanceReport r;
    r.node = j.at("node").get<std::string>();
    r.host = j.at("host").get<std::string>();
    r.port = j.at("port").get<int>();
    r.start = j.at("start").get<uint64_t>();
    r.pid = j.at("pid").get<int64_t>();
    r.startTimeTicks = j.at("startTimeTicks").get<int64_t>();
    r.startError = j.at("startError").get<std::string>();
    r.started = j.at("started").get<bool>();
    r.ready = j.at("ready").get<bool>();
    r.available = j.at("available").get<bool>();
    r.restartRequired = j.at("restartRequired").get<bool>();
    r.probeSuccesses = j.at("probeSuccesses").get<uint64_t>();
    r.probeFailures = j.at("probeFailures").get<uint64_t>();
    for (const json& ej : j.at("probeEvents")) {
      ReportedProbeEvent e;
      e.seq = ej.at("seq").get<uint64_t>();
      const int kind = ej.at("kind").get<int>();
      if (kind < 0 || kind > static_cast<int>(probe::ProbeEventKind::kRestartRequired)) {
        return fail(ErrorCode::kInvalidArgument, "not a report: probe event kind {}", kind);
      }
      e.event.kind = static_cast<probe::ProbeEventKind>(kind);
      e.event.reason = ej.at("reason").get<std::string>();
      if (ej.contains("probe")) {
        const int type = ej.at("probe").get<int>();
        if (type < 0 || type > static_cast<int>(probe::ProbeType::kReadiness)) {
          return fail(ErrorCode::kInvalidArgument, "not a report: probe type {}", type);
        }
        e.event.probe = static_cast<probe::ProbeType>(type);
      }
      r.probeEvents.push_back(std::move(e));
    }
    r.preStopSeq = j.at("preStopSeq").get<uint64_t>();
    r.preStopError = j.at("preStopError").get<std::string>();
    if (j.contains("exit")) r.exit = exitFrom(j.at("exit"));
    if (j.contains("killedAfterGrace")) r.killedAfterGrace = j.at("killedAfterGrace").get<bool>();
    if (j.contains("preStopExit")) r.preStopExit = exitFrom(j.at("preStopExit"));
    return r;
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidArgument, "not a report: {}", e.what());
  }
}

Result<spec::Template> templateFromJson(const std::string& service, const std::string& text) {
  auto t = json::parse(text, nullptr, false);
  if (t.is_discarded() || !t.is_object()) return fail(ErrorCode::kInvalidArgument, "the probe template is not a JSON object");
  json doc{{"apiVersion", "rollway.dev/v1"}, {"kind", "Service"}, {"metadata", {{"name", service}}},
           {"spec", {{"listen", "127.0.0.1:1"}, {"template", std::move(t)}}}};  // listen: required, unused
  auto specs = spec::parseServices(doc.dump(), "assignment");
  if (!specs) return fail(ErrorCode::kInvalidArgument, "the probe template is not valid: {}", specs.error().str());
  if (specs->size() != 1) return fail(ErrorCode::kInvalidArgument, "the probe template makes {} services", specs->size());
  return std::move(specs->front().tmpl);
}

}  // namespace rollway::cluster
