// What every Store shares: batches (their nesting is each implementation's).
#include "rollway/store/store.h"

#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace rollway::store {

const char* applyActionName(ApplyAction action) {
  switch (action) {
    case ApplyAction::kCreated:
      return "created";
    case ApplyAction::kConfigured:
      return "configured";
    case ApplyAction::kUnchanged:
      return "unchanged";
  }
  return "unknown";
}

bool isJsonText(const std::string& text) {
  try {
    return nlohmann::json::accept(text);
  } catch (...) {  // accept() reports syntax errors by value; this is only belt and braces
    return false;
  }
}

Result<void> checkServiceInputs(const std::vector<ServiceInput>& services) {
  std::set<std::string> seen;
  for (const ServiceInput& input : services) {
    if (input.name.empty()) return fail(ErrorCode::kInvalidArgument, "apply: a service has an empty name");
    if (!seen.insert(input.name).second) {
      return fail(ErrorCode::kInvalidArgument, "apply: service \"{}\" appears more than once in one apply",
                  input.name);
    }
    if (input.templateHash.empty()) {
      return fail(ErrorCode::kInvalidArgument, "apply: service \"{}\" has an empty template hash", input.name);
    }
    if (!isJsonText(input.specJson)) {
      return fail(ErrorCode::kInvalidArgument, "apply: service \"{}\": the spec is not valid JSON", input.name);
    }
    if (!isJsonText(input.templateJson)) {
      return fail(ErrorCode::kInvalidArgument, "apply: service \"{}\": the template is not valid JSON", input.name);
    }
  }
  return {};
}

Store::~Store() = default;

Store::Batch::Batch(Batch&& other) noexcept : store_(std::exchange(other.store_, nullptr)) {}

Store::Batch::~Batch() { (void)commit(); }

Result<void> Store::Batch::commit() {
  Store* store = std::exchange(store_, nullptr);
  if (store == nullptr) return {};
  return store->leaveBatch();
}

}  // namespace rollway::store
