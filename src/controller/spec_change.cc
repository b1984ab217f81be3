#include "rollway/controller/spec_change.h"

#include <vector>

#include "rollway/spec/parser.h"
#include "rollway/spec/serialize.h"

namespace rollway::controller {

store::ServiceInput toServiceInput(const spec::ServiceSpec& s) {
  return store::ServiceInput{s.metadata.name, spec::toJson(s).dump(), spec::toJson(s.tmpl).dump(),
                             spec::templateHash(s.tmpl)};
}

Result<spec::ServiceSpec> specFromJson(const nlohmann::json& document) {
  auto specs = spec::parseServices(document.dump(), "stored spec");
  if (!specs) return fail(specs.error());
  if (specs->size() != 1) return fail(ErrorCode::kInternal, "stored spec holds {} documents, not 1", specs->size());
  return std::move(specs->front());
}

Result<spec::ServiceSpec> parseStoredSpec(const std::string& specJson) {
  auto j = nlohmann::json::parse(specJson, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kInternal, "stored spec is not JSON");
  return specFromJson(j);
}

Result<spec::ServiceSpec> specWithTemplate(const std::string& specJson, const std::string& templateJson) {
  auto j = nlohmann::json::parse(specJson, nullptr, false);
  auto t = nlohmann::json::parse(templateJson, nullptr, false);
  if (j.is_discarded() || t.is_discarded() || !j.contains("spec")) {
    return fail(ErrorCode::kInternal, "stored spec or template is not JSON");
  }
  j["spec"]["template"] = std::move(t);
  return specFromJson(j);
}

}  // namespace rollway::controller
