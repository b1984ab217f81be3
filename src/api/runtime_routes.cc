// The control API's runtime resources: they need the controller (docs/api.md).
#include <filesystem>
#include <memory>

#include <asio/steady_timer.hpp>

#include "request_util.h"
#include "rollway/api/control_api.h"
#include "rollway/controller/spec_change.h"

namespace rollway::api {

using net::errorReply;
using net::jsonReply;
using nlohmann::json;

namespace {

Result<json> bodyObject(const http::Request& request) {
  if (request.body.empty()) return json::object();
  auto j = json::parse(request.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
  }
  return j;
}

Error badField(const std::string& path, const std::string& reason) {
  return Error{ErrorCode::kInvalidArgument, path + ": " + reason, {{"request body", path, reason}}};
}

}  // namespace

bool ControlApi::handleRuntime(const http::Request& request, net::Responder& respond) {
  auto parts = splitPath(request.path());
  const auto& m = request.method;
  if (parts.size() < 2 || parts[0] != "v1") return false;
  controller::Controller* ctl = runtime_.controller;
  bool runtimeRoute = parts[1] == "shutdown" || parts[1] == "instances" ||
                      (parts[1] == "services" && parts.size() == 4 && parts[3] != "revisions");
  if (!runtimeRoute) return false;
  if (!ctl) {
    respond(errorReply(Error{ErrorCode::kUnavailable, "this API has no controller", {}}));
    return true;
  }

  if (parts[1] == "shutdown" && parts.size() == 2) {
    if (m != "POST") return respond(methodNotAllowed("POST")), true;
    auto body = bodyObject(request);
    if (!body) return respond(errorReply(body.error())), true;
    bool all = body->value("all", false);
    ctl->shutdown(all, [respond, all, exit = runtime_.requestExit] {
      respond(jsonReply(200, {{"stopped", true}, {"all", all}}));
      if (exit) exit();
    });
    return true;
  }

  if (parts[1] == "instances") {
    if (parts.size() == 2) {
      if (m != "GET") return respond(methodNotAllowed("GET")), true;
      respond(jsonReply(200, ctl->instances(request.queryParam("service"))));
      return true;
    }
    if (parts.size() == 4 && parts[3] == "eviction") {
      // Kubernetes' pods/NAME/eviction: 201 for a new eviction, 200 when one is already
      // under way (or the instance already terminating), 429 + Retry-After while the
      // disruption budget holds it back. A body (an Eviction object) is allowed and ignored.
      if (m != "POST") return respond(methodNotAllowed("POST")), true;
      if (auto body = bodyObject(request); !body) return respond(errorReply(body.error())), true;
      auto evicted = ctl->evict(parts[2]);
      if (!evicted) return respond(errorReply(evicted.error())), true;
      respond(jsonReply(evicted->created ? 201 : 200, {{"instance", evicted->instance},
                                                        {"service", evicted->service},
                                                        {"created", evicted->created},
                                                        {"state", evicted->state},
                                                        {"message", evicted->message}}));
      return true;
    }
    if (parts.size() == 4 && parts[3] == "logs") {
      if (m != "GET") return respond(methodNotAllowed("GET")), true;
      getLogs(parts[2], request, respond);
      return true;
    }
    respond(notFound("no such resource: " + std::string(request.path())));
    return true;
  }

  // /v1/services/{name}/{action}
  const std::string& name = parts[2];
  const std::string& action = parts[3];
  if (action == "status") {
    if (m != "GET") return respond(methodNotAllowed("GET")), true;
    int64_t after = parseInt(request.queryParam("after"), -1);
    auto wait = parseWaitMs(request.queryParam("waitMs"));
    if (!wait) return respond(errorReply(wait.error())), true;
    int64_t waitMs = *wait;
    auto reply = [respond](Result<json> r) { respond(r ? jsonReply(200, *r) : errorReply(r.error())); };
    if (after < 0 || waitMs == 0) {
      reply(ctl->status(name));
    } else {
      ctl->watchStatus(name, static_cast<uint64_t>(after), std::chrono::milliseconds(waitMs), reply);
    }
    return true;
  }
  if (m != "POST") return respond(methodNotAllowed("POST")), true;
  auto body = bodyObject(request);
  if (!body) return respond(errorReply(body.error())), true;
  const json& b = *body;
  if (action == "scale") {
    respond(editSpec(name, [&b](json& doc) -> Result<void> {
      if (!b.contains("replicas") || !b["replicas"].is_number_integer() || b["replicas"].get<int64_t>() < 0) {
        return fail(badField("replicas", "must be an integer >= 0"));
      }
      doc["spec"]["replicas"] = b["replicas"];
      return {};
    }));
  } else if (action == "pause" || action == "resume") {
    bool paused = action == "pause";
    respond(editSpec(name, [paused](json& doc) -> Result<void> {
      doc["spec"]["paused"] = paused;
      return {};
    }));
  } else if (action == "set") {
    respond(editSpec(name, [&b](json& doc) -> Result<void> {
      json& t = doc["spec"]["template"];
      if (b.empty()) return fail(badField("", "nothing to set: give version, command or env"));
      for (const auto& [key, value] : b.items()) {
        if (key == "version") {
          if (!value.is_string()) return fail(badField("version", "must be a string"));
          t["version"] = value;
        } else if (key == "command") {
          if (!value.is_array() || value.empty()) return fail(badField("command", "must be a non-empty list of strings"));
          for (const auto& arg : value) {
            if (!arg.is_string()) return fail(badField("command", "must be a non-empty list of strings"));
          }
          t["command"] = value;
        } else if (key == "env") {
          if (!value.is_object()) return fail(badField("env", "must be an object of NAME: value (null removes NAME)"));
          if (!t.contains("env") || !t["env"].is_object()) t["env"] = json::object();
          for (const auto& [var, v] : value.items()) {
            if (v.is_null()) {
              t["env"].erase(var);
            } else if (v.is_string()) {
              t["env"][var] = v;
            } else {
              return fail(badField("env." + var, "must be a string, or null to remove it"));
            }
          }
        } else {
          return fail(badField(key, "unknown field; set takes version, command and env"));
        }
      }
      return {};
    }));
  } else if (action == "restart") {
    auto at = ctl->restart(name);
    respond(at ? jsonReply(200, {{"name", name}, {"restartedAtMs", *at}}) : errorReply(at.error()));
  } else if (action == "undo") {
    auto reply = postUndo(name, request);
    if (reply.status == 200 && !b.value("withSteps", false)) ctl->skipSteps(name);
    respond(std::move(reply));
  } else if (action == "promote" || action == "abort" || action == "retry") {
    auto ok = action == "promote" ? ctl->promote(name) : action == "abort" ? ctl->abort(name) : ctl->retry(name);
    respond(ok ? jsonReply(200, {{"name", name}, {"action", action}}) : errorReply(ok.error()));
  } else {
    respond(notFound("no such resource: " + std::string(request.path())));
  }
  return true;
}

http::Response ControlApi::editSpec(const std::string& name, const std::function<Result<void>(json&)>& edit) {
  auto record = store_.getService(name);
  if (!record) return errorReply(record.error());
  json doc = json::parse(record->specJson, nullptr, false);
  if (doc.is_discarded() || !doc.contains("spec")) {
    return errorReply(Error{ErrorCode::kInternal, "stored spec of " + name + " is not valid JSON", {}});
  }
  if (auto ok = edit(doc); !ok) return errorReply(ok.error());
  auto spec = controller::specFromJson(doc);
  if (!spec) return errorReply(spec.error());
  auto outcomes = applySpecs({*spec}, false);
  if (!outcomes) return errorReply(outcomes.error());
  return jsonReply(200, outcomeJson(outcomes->front()));
}

http::Response ControlApi::postUndo(const std::string& name, const http::Request& request) {
  auto body = bodyObject(request);
  if (!body) return errorReply(body.error());
  int64_t to = 0;
  if (body->contains("toRevision")) {
    if (!(*body)["toRevision"].is_number_integer()) return errorReply(badField("toRevision", "must be an integer"));
    to = (*body)["toRevision"].get<int64_t>();
  }
  auto record = store_.getService(name);
  if (!record) return errorReply(record.error());
  auto revisions = store_.listRevisions(name);  // newest first
  if (!revisions) return errorReply(revisions.error());
  const store::RevisionRecord* target = nullptr;
  for (const auto& r : *revisions) {
    if (to > 0 ? r.number == to : (r.number < record->currentRevision && r.phase != "Failed")) {
      target = &r;
      break;
    }
  }
  if (!target) {
    return errorReply(Error{ErrorCode::kNotFound,
                            to > 0 ? fmt::format("service {} has no revision {} (see: rollway rollout history {})", name,
                                                 to, name)
                                   : fmt::format("service {} has no earlier revision to go back to", name),
                            {}});
  }
  if (target->number == record->currentRevision) {
    return errorReply(Error{ErrorCode::kConflict,
                            fmt::format("service {} is already at revision {}", name, target->number), {}});
  }
  auto spec = controller::specWithTemplate(record->specJson, target->templateJson);
  if (!spec) return errorReply(spec.error());
  auto outcomes = applySpecs({*spec}, false);
  if (!outcomes) return errorReply(outcomes.error());
  logger_->info("service {}: undo to revision {} (now revision {})", name, target->number, outcomes->front().revision);
  return jsonReply(200, outcomeJson(outcomes->front()));
}

void ControlApi::getLogs(const std::string& instance, const http::Request& request, net::Responder respond) {
  const auto& logs = runtime_.controller->logs();
  std::string path = logs.pathFor(instance);
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    respond(notFound("no logs for instance " + instance + " (see: rollway get instances)"));
    return;
  }
  int64_t offset = parseInt(request.queryParam("offset"), -1);
  int64_t tail = parseInt(request.queryParam("tailBytes"), -1);
  if (offset < 0) offset = tail >= 0 && static_cast<uint64_t>(tail) < size ? static_cast<int64_t>(size) - tail : 0;
  auto wait = parseWaitMs(request.queryParam("waitMs"));
  if (!wait) {
    respond(errorReply(wait.error()));
    return;
  }
  int64_t waitMs = *wait;

  struct Poll {
    std::string instance;
    uint64_t offset;
    std::chrono::steady_clock::time_point deadline;
    net::Responder respond;
    std::unique_ptr<asio::steady_timer> timer;
  };
  auto poll = std::make_shared<Poll>();
  poll->instance = instance;
  poll->offset = static_cast<uint64_t>(offset);
  poll->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  poll->respond = std::move(respond);
  if (runtime_.io) poll->timer = std::make_unique<asio::steady_timer>(*runtime_.io);
  controller::Controller* ctl = runtime_.controller;
  // Reads what is there; with waitMs and nothing new, looks again every 250 ms while the
  // instance lives (a long-poll for `rollway logs -f`).
  auto step = std::make_shared<std::function<void()>>();
  *step = [poll, ctl, &logs, weakStep = std::weak_ptr<std::function<void()>>(step)] {
    auto chunk = logs.readFrom(poll->instance, poll->offset, 1024 * 1024);
    if (!chunk) {
      poll->respond(errorReply(chunk.error()));
      return;
    }
    bool waitMore = chunk->data.empty() && poll->timer && std::chrono::steady_clock::now() < poll->deadline &&
                    ctl->hasInstance(poll->instance);
    if (waitMore) {
      poll->timer->expires_after(std::chrono::milliseconds(250));
      // The timer is owned by poll, which the handler keeps alive; the step function is
      // kept alive by the handler too.
      auto self = weakStep.lock();
      poll->timer->async_wait([self, poll](const asio::error_code& e) {
        if (!e && self) (*self)();
      });
      return;
    }
    http::Response r;
    r.status = 200;
    r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
    r.headers.push_back({"X-Rollway-Offset", std::to_string(chunk->nextOffset)});
    if (chunk->restarted) r.headers.push_back({"X-Rollway-Rotated", "true"});
    r.body = std::move(chunk->data);
    poll->respond(std::move(r));
  };
  (*step)();
}

}  // namespace rollway::api
