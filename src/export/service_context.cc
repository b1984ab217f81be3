#include "service_context.h"

#include <fmt/format.h>

namespace rollway::exporter {

namespace {

bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63: a label's name part and value.
bool isQualifiedName(const std::string& s) {
  if (s.empty() || s.size() > 63 || !isAlnum(s.front()) || !isAlnum(s.back())) return false;
  for (char c : s) {
    if (!isAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// A DNS subdomain: lowercase alphanumerics, '-' and '.', alphanumeric at both ends, at most 253.
bool isDnsSubdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  auto lowerAlnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lowerAlnum(s.front()) || !lowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!lowerAlnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

bool isLabelKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return isQualifiedName(key);
  return isDnsSubdomain(key.substr(0, slash)) && isQualifiedName(key.substr(slash + 1));
}

bool isLabelValue(const std::string& value) { return value.empty() || isQualifiedName(value); }

ServiceContext::ServiceContext(const spec::ServiceSpec& spec, const KubernetesOptions& options,
                               std::vector<Note>& notes)
    : spec_(spec), options_(options), notes_(notes), labels_(selector()) {
  for (const auto& [key, value] : spec_.metadata.labels) {
    const std::string field = "metadata.labels." + key;
    if (key == kNameLabel) {
      if (value != name()) {
        note(field, fmt::format("the selector label {}={} is kept; '{}' is not carried over", kNameLabel, name(),
                                value));
      }
    } else if (!isLabelKey(key) || !isLabelValue(value)) {
      note(field, "not a valid Kubernetes label (key: [prefix/]name, name and value at most 63 of [A-Za-z0-9-_.]); "
                  "not carried over");
    } else {
      labels_[key] = value;
    }
  }
}

void ServiceContext::note(std::string field, std::string text) {
  notes_.push_back(Note{name(), std::move(field), std::move(text)});
}

nlohmann::json ServiceContext::selector() const { return {{kNameLabel, name()}}; }

nlohmann::json ServiceContext::metadata(const std::string& objectName) const {
  nlohmann::json m = {{"name", objectName}, {"labels", labels_}};
  if (!options_.namespaceName.empty()) m["namespace"] = options_.namespaceName;
  return m;
}

}  // namespace rollway::exporter
