#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rollway/controller/controller.h"
#include "rollway/net/server.h"
#include "rollway/common/clock.h"
#include "rollway/common/log.h"
#include "rollway/common/result.h"
#include "rollway/spec/service_spec.h"
#include "rollway/store/store.h"

namespace rollway::api {

// The control API's resources, in Kubernetes' style:
//   GET    /v1/version
//   POST   /v1/apply?filename=F[&dryRun=true]   body: YAML/JSON, one or more documents
//   POST   /v1/validate?filename=F              body: YAML/JSON
//   GET    /v1/services
//   POST   /v1/services                         create one; 409 when it exists
//   GET    /v1/services/{name}
//   PUT    /v1/services/{name}                  create or replace one
//   DELETE /v1/services/{name}
//   GET    /v1/services/{name}/revisions
//   GET    /v1/events[?service=S&after=ID&limit=N]
// and, with a controller, the runtime resources of docs/api.md (status long-poll,
// instances, logs, scale/set/pause/resume/restart/undo, shutdown).
// Errors: JSON (json_reply.h) with 400 (invalid spec, with field errors), 404, 405,
// 409 (conflict), 500. Runs on the control thread (the daemon posts every request
// there), the same thread as the controller: the store has one caller.
struct ApiRuntime {
  controller::Controller* controller = nullptr;  // null: store-only API (unit tests)
  asio::io_context* io = nullptr;                // timers for long-polls; needed with a controller
  std::function<void()> requestExit;             // the daemon exits soon after (rollway down)
};

class ControlApi {
 public:
  ControlApi(store::Store& store, const Clock& clock, Logger logger, ApiRuntime runtime = {});

  void handle(http::Request request, net::Responder respond);

  // Parses, validates and applies documents as one unit: all or nothing. Also refuses
  // (kConflict) a service whose listen address and hosts overlap another stored service.
  Result<std::vector<store::ApplyOutcome>> apply(std::string_view text, std::string_view file,
                                                 bool dryRun = false);
  // The same for specs already parsed and validated (e.g. `serve -f`).
  Result<std::vector<store::ApplyOutcome>> apply(const std::vector<spec::ServiceSpec>& specs, bool dryRun = false);

 private:
  http::Response route(const http::Request& request);
  http::Response getServices();
  http::Response getService(const std::string& name);
  http::Response putService(const std::string& name, const http::Request& request);
  http::Response createService(const http::Request& request);
  http::Response deleteService(const std::string& name);
  http::Response getRevisions(const std::string& name);
  http::Response getEvents(const http::Request& request);
  http::Response postApply(const http::Request& request);
  http::Response postValidate(const http::Request& request);
  // Runtime resources; false when the request is not one of them.
  bool handleRuntime(const http::Request& request, net::Responder& respond);
  http::Response editSpec(const std::string& name, const std::function<Result<void>(nlohmann::json&)>& edit);
  http::Response postUndo(const std::string& name, const http::Request& request);
  void getLogs(const std::string& instance, const http::Request& request, net::Responder respond);
  void poke();

  Result<void> checkListenConflicts(const std::vector<spec::ServiceSpec>& specs);
  Result<std::vector<store::ApplyOutcome>> applySpecs(const std::vector<spec::ServiceSpec>& specs,
                                                      bool dryRun);
  Result<nlohmann::json> serviceJson(const store::ServiceRecord& record, bool full);

  store::Store& store_;
  const Clock& clock_;
  Logger logger_;
  ApiRuntime runtime_;
};

}  // namespace rollway::api
