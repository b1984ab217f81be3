#include "rollway/api/control_api.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "rollway/net/json_reply.h"
#include "rollway/common/version.h"
#include "rollway/controller/spec_change.h"
#include "request_util.h"
#include "rollway/spec/listen_conflict.h"
#include "rollway/spec/parser.h"
#include "rollway/spec/serialize.h"

namespace rollway::api {

using net::errorReply;
using net::jsonReply;

namespace {

using nlohmann::json;

std::string templateVersion(const json& spec) {
  return spec.value("/spec/template/version"_json_pointer, std::string());
}

}  // namespace

ControlApi::ControlApi(store::Store& store, const Clock& clock, Logger logger, ApiRuntime runtime)
    : store_(store), clock_(clock), logger_(logger ? std::move(logger) : nullLogger()), runtime_(std::move(runtime)) {}

void ControlApi::poke() {
  if (runtime_.controller) runtime_.controller->poke();
}

void ControlApi::handle(http::Request request, net::Responder respond) {
  http::Response response;
  try {
    if (handleRuntime(request, respond)) return;
    response = route(request);
  } catch (const std::exception& e) {
    // A bug, not user input: answer 500 and keep serving.
    logger_->error("{} {}: unexpected exception: {}", request.method, request.target, e.what());
    response = errorReply(Error{ErrorCode::kInternal, std::string("internal error: ") + e.what(), {}});
  }
  logger_->debug("{} {} -> {}", request.method, request.target, response.status);
  respond(std::move(response));
}

http::Response ControlApi::route(const http::Request& request) {
  auto parts = splitPath(request.path());
  const auto& m = request.method;
  if (parts.size() == 1 && parts[0] == "healthz") return jsonReply(200, {{"status", "ok"}});
  if (parts.empty() || parts[0] != "v1") return notFound("no such resource: " + std::string(request.path()));
  if (parts.size() == 2 && parts[1] == "version") {
    if (m != "GET") return methodNotAllowed("GET");
    return jsonReply(200, {{"version", versionString()}, {"storeSchema", store_.schemaVersion()}});
  }
  if (parts.size() == 2 && parts[1] == "apply") {
    if (m != "POST") return methodNotAllowed("POST");
    return postApply(request);
  }
  if (parts.size() == 2 && parts[1] == "validate") {
    if (m != "POST") return methodNotAllowed("POST");
    return postValidate(request);
  }
  if (parts.size() == 2 && parts[1] == "events") {
    if (m != "GET") return methodNotAllowed("GET");
    return getEvents(request);
  }
  if (parts.size() == 2 && parts[1] == "nodes") {
    // In cluster mode the daemon's ClusterNode answers it before this API sees it.
    return notFound("this daemon runs on one host: nodes exist in cluster mode (rollway serve --cluster, "
                    "docs/cluster.md)");
  }
  if (parts.size() >= 2 && parts[1] == "services") {
    if (parts.size() == 2) {
      if (m == "GET") return getServices();
      if (m == "POST") return createService(request);
      return methodNotAllowed("GET, POST");
    }
    const std::string& name = parts[2];
    if (parts.size() == 3) {
      if (m == "GET") return getService(name);
      if (m == "PUT") return putService(name, request);
      if (m == "DELETE") return deleteService(name);
      return methodNotAllowed("GET, PUT, DELETE");
    }
    if (parts.size() == 4 && parts[3] == "revisions") {
      if (m != "GET") return methodNotAllowed("GET");
      return getRevisions(name);
    }
  }
  return notFound("no such resource: " + std::string(request.path()));
}

Result<void> ControlApi::checkListenConflicts(const std::vector<spec::ServiceSpec>& specs) {
  auto stored = store_.listServices();
  if (!stored) return fail(stored.error());
  std::set<std::string> applying;
  for (const auto& s : specs) applying.insert(s.metadata.name);
  for (const auto& record : *stored) {
    if (applying.count(record.name)) continue;  // being replaced by this batch
    auto existing = spec::parseServices(record.specJson, "store:" + record.name);
    if (!existing || existing->empty()) continue;  // cannot clash with what cannot be read
    for (const auto& s : specs) {
      if (std::string clash = spec::listenConflict(s, existing->front()); !clash.empty()) {
        return fail(ErrorCode::kConflict,
                    "service \"{}\" clashes with service \"{}\", which already serves there: {}; give them "
                    "different listen addresses or distinct hosts",
                    s.metadata.name, record.name, clash);
      }
    }
  }
  return {};
}

Result<std::vector<store::ApplyOutcome>> ControlApi::applySpecs(const std::vector<spec::ServiceSpec>& specs,
                                                                bool dryRun) {
  if (auto ok = checkListenConflicts(specs); !ok) return fail(ok.error());
  std::vector<store::ServiceInput> inputs;
  inputs.reserve(specs.size());
  for (const auto& s : specs) inputs.push_back(controller::toServiceInput(s));
  if (!dryRun) {
    auto outcomes = store_.apply(inputs);
    if (outcomes) poke();
    return outcomes;
  }

  // Dry run: say what apply would do, write nothing.
  std::vector<store::ApplyOutcome> outcomes;
  for (const auto& in : inputs) {
    store::ApplyOutcome o;
    o.name = in.name;
    auto current = store_.getService(in.name);
    if (!current) {
      if (current.error().code != ErrorCode::kNotFound) return fail(current.error());
      o.action = store::ApplyAction::kCreated;
      o.newRevision = true;
    } else if (current->specJson == in.specJson) {
      o.action = store::ApplyAction::kUnchanged;
      o.generation = current->generation;
      o.revision = current->currentRevision;
    } else {
      o.action = store::ApplyAction::kConfigured;
      o.generation = current->generation + 1;
      auto rev = store_.getRevision(in.name, current->currentRevision);
      o.newRevision = !rev || rev->templateHash != in.templateHash;
      if (!o.newRevision) o.revision = current->currentRevision;
    }
    outcomes.push_back(o);
  }
  return outcomes;
}

Result<std::vector<store::ApplyOutcome>> ControlApi::apply(std::string_view text, std::string_view file, bool dryRun) {
  auto specs = spec::parseServices(text, file);
  if (!specs) return fail(specs.error());
  return applySpecs(*specs, dryRun);
}

Result<std::vector<store::ApplyOutcome>> ControlApi::apply(const std::vector<spec::ServiceSpec>& specs, bool dryRun) {
  // Re-validate: the caller may have changed the specs after parsing.
  std::vector<FieldError> errors;
  for (const auto& s : specs) {
    auto more = spec::validate(s, "");
    errors.insert(errors.end(), more.begin(), more.end());
  }
  if (!errors.empty()) {
    return fail(Error{ErrorCode::kInvalidArgument, std::to_string(errors.size()) + " error(s) in the spec", errors});
  }
  return applySpecs(specs, dryRun);
}

http::Response ControlApi::postApply(const http::Request& request) {
  std::string file = request.queryParam("filename");
  if (file.empty()) file = "request body";
  bool dryRun = isTrue(request.queryParam("dryRun"));
  auto outcomes = apply(request.body, file, dryRun);
  if (!outcomes) return errorReply(outcomes.error());
  json results = json::array();
  for (const auto& o : *outcomes) {
    if (!dryRun && o.action != store::ApplyAction::kUnchanged) {
      logger_->info("service {} {} (generation {}, revision {})", o.name, store::applyActionName(o.action),
                    o.generation, o.revision);
    }
    results.push_back(outcomeJson(o));
  }
  return jsonReply(200, {{"dryRun", dryRun}, {"results", results}});
}

http::Response ControlApi::postValidate(const http::Request& request) {
  std::string file = request.queryParam("filename");
  if (file.empty()) file = "request body";
  auto specs = spec::parseServices(request.body, file);
  if (!specs) return errorReply(specs.error());
  json names = json::array();
  for (const auto& s : *specs) names.push_back(s.metadata.name);
  return jsonReply(200, {{"valid", true}, {"services", names}});
}

Result<nlohmann::json> ControlApi::serviceJson(const store::ServiceRecord& record, bool full) {
  json specDoc = json::parse(record.specJson, nullptr, /*allow_exceptions=*/false);
  if (specDoc.is_discarded()) {
    return fail(ErrorCode::kInternal, "stored spec of service \"{}\" is not valid JSON", record.name);
  }
  json status = json::parse(record.statusJson, nullptr, false);
  if (status.is_discarded()) status = json::object();
  json out = {
      {"name", record.name},
      {"generation", record.generation},
      {"revision", record.currentRevision},
      {"version", templateVersion(specDoc)},
      {"replicas", specDoc.value("/spec/replicas"_json_pointer, 0)},
      {"listen", specDoc.value("/spec/listen"_json_pointer, std::string())},
      {"strategy", specDoc.value("/spec/strategy/type"_json_pointer, std::string())},
      {"createdAtMs", record.createdAtMs},
      {"updatedAtMs", record.updatedAtMs},
      {"status", status},
  };
  if (full) out["spec"] = specDoc;
  return out;
}

http::Response ControlApi::getServices() {
  auto records = store_.listServices();
  if (!records) return errorReply(records.error());
  json items = json::array();
  for (const auto& r : *records) {
    auto j = serviceJson(r, /*full=*/false);
    if (!j) return errorReply(j.error());
    items.push_back(std::move(*j));
  }
  return jsonReply(200, {{"items", items}});
}

http::Response ControlApi::getService(const std::string& name) {
  auto record = store_.getService(name);
  if (!record) return errorReply(record.error());
  auto j = serviceJson(*record, /*full=*/true);
  if (!j) return errorReply(j.error());
  return jsonReply(200, *j);
}

http::Response ControlApi::putService(const std::string& name, const http::Request& request) {
  auto specs = spec::parseServices(request.body, "request body");
  if (!specs) return errorReply(specs.error());
  if (specs->size() != 1) {
    return errorReply(Error{ErrorCode::kInvalidArgument,
                            fmt::format("PUT /v1/services/{} takes exactly one document, got {}", name, specs->size()),
                            {}});
  }
  if (specs->front().metadata.name != name) {
    return errorReply(Error{ErrorCode::kInvalidArgument,
                            fmt::format("metadata.name \"{}\" does not match the name in the path \"{}\"",
                                        specs->front().metadata.name, name),
                            {{"request body", "metadata.name", "must be \"" + name + "\""}}});
  }
  auto outcomes = applySpecs(*specs, false);
  if (!outcomes) return errorReply(outcomes.error());
  const auto& o = outcomes->front();
  return jsonReply(o.action == store::ApplyAction::kCreated ? 201 : 200,
                   {{"name", o.name}, {"action", store::applyActionName(o.action)},
                    {"generation", o.generation}, {"revision", o.revision}});
}

http::Response ControlApi::createService(const http::Request& request) {
  auto specs = spec::parseServices(request.body, "request body");
  if (!specs) return errorReply(specs.error());
  if (specs->size() != 1) {
    return errorReply(Error{ErrorCode::kInvalidArgument,
                            fmt::format("POST /v1/services takes exactly one document, got {}", specs->size()), {}});
  }
  const auto& name = specs->front().metadata.name;
  if (auto existing = store_.getService(name); existing) {
    return errorReply(Error{ErrorCode::kConflict,
                            fmt::format("service \"{}\" already exists; use PUT /v1/services/{} or `rollway apply` to change it",
                                        name, name),
                            {}});
  }
  return putService(name, request);
}

http::Response ControlApi::deleteService(const std::string& name) {
  auto ok = store_.deleteService(name);
  if (!ok) return errorReply(ok.error());
  logger_->info("service {} deleted", name);
  poke();
  return jsonReply(200, {{"name", name}, {"deleted", true}});
}

http::Response ControlApi::getRevisions(const std::string& name) {
  auto service = store_.getService(name);
  if (!service) return errorReply(service.error());
  auto revisions = store_.listRevisions(name);
  if (!revisions) return errorReply(revisions.error());
  json items = json::array();
  for (const auto& r : *revisions) {
    json tmpl = json::parse(r.templateJson, nullptr, false);
    items.push_back({{"number", r.number},
                     {"templateHash", r.templateHash},
                     {"version", tmpl.is_object() ? tmpl.value("version", std::string()) : std::string()},
                     {"createdAtMs", r.createdAtMs},
                     {"phase", r.phase},
                     {"current", r.number == service->currentRevision},
                     {"template", tmpl.is_discarded() ? json() : tmpl}});
  }
  return jsonReply(200, {{"items", items}});
}

http::Response ControlApi::getEvents(const http::Request& request) {
  store::EventFilter filter;
  filter.service = request.queryParam("service");
  filter.afterId = parseInt(request.queryParam("after"), 0);
  filter.limit = static_cast<int>(std::clamp<int64_t>(parseInt(request.queryParam("limit"), 1000), 1, 10000));
  auto events = store_.listEvents(filter);
  if (!events) return errorReply(events.error());
  json items = json::array();
  for (const auto& e : *events) {
    items.push_back({{"id", e.id}, {"timeMs", e.timeMs}, {"service", e.service}, {"object", e.object},
                     {"type", e.type}, {"reason", e.reason}, {"message", e.message}});
  }
  return jsonReply(200, {{"items", items}});
}

}  // namespace rollway::api
