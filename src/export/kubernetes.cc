#include "rollway/export/kubernetes.h"

#include <set>
#include <utility>

#include <fmt/format.h>

#include "argo_rollout.h"
#include "pod_template.h"
#include "rollway/common/listen_address.h"
#include "rollway/spec/serialize.h"
#include "service_context.h"

namespace rollway::exporter {

namespace {

using nlohmann::json;

// A Service name: a DNS-1035 label.
bool isServiceName(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() < 'a' || s.front() > 'z' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// A namespace name: a DNS-1123 label (a digit may come first).
bool isDnsLabel(const std::string& s) {
  return !s.empty() && (s.front() < '0' || s.front() > '9' ? isServiceName(s) : isServiceName("a" + s.substr(1)));
}

bool hasSpace(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return true;
  }
  return false;
}

int portOf(const std::string& listen) {
  auto address = parseListenAddress(listen);
  return address ? address->port : 0;
}

class ServiceRenderer {
 public:
  ServiceRenderer(const spec::ServiceSpec& spec, const KubernetesOptions& options, std::vector<Note>& notes)
      : ctx_(spec, options, notes) {}

  std::vector<Document> render() {
    const auto& s = ctx_.spec();
    int port = portOf(s.listen);
    add(service(ctx_.name(), port));
    if (s.strategy.type == spec::StrategyType::kCanary) {
      add(service(canaryServiceName(ctx_.name()), port));
      add(service(stableServiceName(ctx_.name()), port));
    } else if (s.strategy.type == spec::StrategyType::kBlueGreen) {
      const auto& previewListen = s.strategy.blueGreen.previewListen;
      add(service(previewServiceName(ctx_.name()), previewListen.empty() ? port : portOf(previewListen)));
    }
    if (s.disruptionBudget) add(podDisruptionBudget(*s.disruptionBudget));
    bool withAnalysis = false;
    if (s.strategy.type == spec::StrategyType::kCanary) {
      if (auto analysis = analysisTemplate(ctx_)) {
        add(std::move(*analysis));
        withAnalysis = true;
      }
    }
    add(s.strategy.type == spec::StrategyType::kRollingUpdate ? deployment() : rollout(withAnalysis));
    noteServiceLevel();
    return std::move(documents_);
  }

 private:
  void add(json object) { documents_.push_back(Document{std::move(object), {}}); }

  json service(const std::string& name, int port) const {
    return {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", ctx_.metadata(name)},
            {"spec",
             {{"type", "ClusterIP"},
              {"selector", ctx_.selector()},
              {"ports", json::array({{{"name", kPortName}, {"port", port}, {"targetPort", kPortName},
                                      {"protocol", "TCP"}}})}}}};
  }

  static json intOrPercent(const spec::IntOrPercent& v) { return v.isPercent() ? json(v.str()) : json(v.value()); }

  json podDisruptionBudget(const spec::DisruptionBudget& b) const {
    json spec = {{"selector", {{"matchLabels", ctx_.selector()}}}};
    if (b.minAvailable) spec["minAvailable"] = intOrPercent(*b.minAvailable);
    if (b.maxUnavailable) spec["maxUnavailable"] = intOrPercent(*b.maxUnavailable);
    return {{"apiVersion", "policy/v1"},
            {"kind", "PodDisruptionBudget"},
            {"metadata", ctx_.metadata(ctx_.name())},
            {"spec", std::move(spec)}};
  }

  // The fields a Deployment and a Rollout share.
  json workloadSpec(Workload workload) {
    const auto& s = ctx_.spec();
    json spec = {{"replicas", s.replicas},
                 {"selector", {{"matchLabels", ctx_.selector()}}},
                 {"template", podTemplate(ctx_, workload)},
                 {"minReadySeconds", s.minReadySeconds},
                 {"progressDeadlineSeconds", s.progressDeadlineSeconds},
                 {"revisionHistoryLimit", s.revisionHistoryLimit}};
    if (s.paused) spec["paused"] = true;
    return spec;
  }

  json deployment() {
    const auto& s = ctx_.spec();
    json spec = workloadSpec(Workload::kDeployment);
    spec["strategy"] = {{"type", "RollingUpdate"},
                        {"rollingUpdate",
                         {{"maxSurge", intOrPercent(s.strategy.rollingUpdate.maxSurge)},
                          {"maxUnavailable", intOrPercent(s.strategy.rollingUpdate.maxUnavailable)}}}};
    if (s.autoRollback) {
      ctx_.note("spec.autoRollback",
                "a Deployment past progressDeadlineSeconds is marked failed but not rolled back; not carried over "
                "(Argo Rollouts: progressDeadlineAbort)");
    }
    if (s.analysis) {
      ctx_.note("spec.analysis",
                "a Deployment has no analysis between batches; not carried over (use a Canary, exported as an Argo "
                "Rollout with an AnalysisTemplate)");
    }
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", ctx_.metadata(ctx_.name())},
            {"spec", std::move(spec)}};
  }

  json rollout(bool withAnalysis) {
    const auto& s = ctx_.spec();
    json spec = workloadSpec(Workload::kArgoRollout);
    // Argo aborts by itself when analysis fails; autoRollback also aborts at the deadline.
    if (s.autoRollback) spec["progressDeadlineAbort"] = true;
    spec["strategy"] = rolloutStrategy(ctx_, withAnalysis);
    if (s.strategy.type == spec::StrategyType::kBlueGreen && s.analysis) {
      ctx_.note("spec.analysis", "rollway's BlueGreen does not analyse either; not carried over");
    }
    return {{"apiVersion", kArgoApiVersion},
            {"kind", "Rollout"},
            {"metadata", ctx_.metadata(ctx_.name())},
            {"spec", std::move(spec)}};
  }

  void noteServiceLevel() {
    const auto& s = ctx_.spec();
    if (!s.hosts.empty()) {
      std::string hosts;
      for (const auto& h : s.hosts) hosts += (hosts.empty() ? "" : ", ") + h;
      ctx_.note("spec.hosts", fmt::format("[{}]: routing by Host header needs an Ingress or Gateway route; not "
                                          "rendered",
                                          hosts));
    }
    const spec::Timeouts defaults;
    const std::pair<const char*, std::pair<Duration, Duration>> timeouts[] = {
        {"connect", {s.timeouts.connect, defaults.connect}},
        {"response", {s.timeouts.response, defaults.response}},
        {"body", {s.timeouts.body, defaults.body}},
        {"idle", {s.timeouts.idle, defaults.idle}},
        {"hold", {s.timeouts.hold, defaults.hold}}};
    for (const auto& [name, values] : timeouts) {
      if (values.first == values.second) continue;
      ctx_.note(fmt::format("spec.timeouts.{}", name),
                fmt::format("{}: rollway's proxy timeout; set it on your ingress or mesh (not carried over)",
                            formatDuration(values.first)));
    }
    for (size_t i = 0; i < s.webhooks.size(); ++i) {
      ctx_.note(fmt::format("spec.notifications.webhooks[{}]", i),
                fmt::format("{}: no Kubernetes equivalent (Argo Rollouts notifications are configured apart); not "
                            "carried over",
                            s.webhooks[i].url));
    }
  }

  ServiceContext ctx_;
  std::vector<Document> documents_;
};

std::string oneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

Result<void> checkOptions(const std::vector<spec::ServiceSpec>& specs, const KubernetesOptions& options) {
  std::vector<FieldError> errors;
  if (options.containerPort < 1 || options.containerPort > 65535) {
    errors.push_back({"", "--container-port", fmt::format("{} is not a port (1-65535)", options.containerPort)});
  }
  if (!options.defaultImage.empty() && hasSpace(options.defaultImage)) {
    errors.push_back({"", "--image", fmt::format("'{}' holds whitespace", options.defaultImage)});
  }
  if (!options.namespaceName.empty() && !isDnsLabel(options.namespaceName)) {
    errors.push_back({"", "--namespace", fmt::format("'{}' is not a namespace name (a DNS label)", options.namespaceName)});
  }
  std::set<std::string> names;
  for (const auto& s : specs) names.insert(s.metadata.name);
  for (const auto& [service, image] : options.images) {
    if (names.count(service) == 0) {
      errors.push_back({"", "--image " + service + "=...", "no service of that name in the spec"});
    } else if (image.empty() || hasSpace(image)) {
      errors.push_back({"", "--image " + service + "=...", fmt::format("'{}' is not an image", image)});
    }
  }
  if (errors.empty()) return {};
  return tl::unexpected(Error{ErrorCode::kInvalidArgument, "invalid export options", std::move(errors)});
}

// Service names must be DNS-1035 labels; no two objects of one kind may share a name.
Result<void> checkNames(const std::vector<std::pair<std::string, const Document*>>& rendered) {
  std::vector<FieldError> errors;
  std::map<std::pair<std::string, std::string>, std::string> seen;
  for (const auto& [service, document] : rendered) {
    const auto& object = document->object;
    std::string kind = object["kind"].get<std::string>();
    std::string name = object["metadata"]["name"].get<std::string>();
    if (kind == "Service" && !isServiceName(name)) {
      errors.push_back({"", service,
                        fmt::format("the Service name '{}' must start with a letter and be at most 63 characters "
                                    "(a DNS-1035 label)",
                                    name)});
    }
    auto [it, inserted] = seen.emplace(std::make_pair(kind, name), service);
    if (!inserted) {
      errors.push_back({"", service, fmt::format("the {} '{}' would also be rendered for service '{}'", kind, name,
                                                 it->second)});
    }
  }
  if (errors.empty()) return {};
  return tl::unexpected(
      Error{ErrorCode::kInvalidArgument, "cannot render these services for Kubernetes", std::move(errors)});
}

}  // namespace

std::string Note::str() const { return fmt::format("{}: {}: {}", service, field, text); }

std::string KubernetesManifests::yaml() const {
  std::string out;
  for (const auto& document : documents) {
    out += "---\n";
    for (const auto& comment : document.comments) out += "# " + oneLine(comment) + "\n";
    out += spec::toYaml(document.object);
  }
  return out;
}

Result<KubernetesManifests> renderKubernetes(const std::vector<spec::ServiceSpec>& specs,
                                             const KubernetesOptions& options) {
  if (auto ok = checkOptions(specs, options); !ok) return tl::unexpected(ok.error());
  KubernetesManifests out;
  std::vector<std::pair<std::string, size_t>> owners;  // service, index of its first document
  for (const auto& s : specs) {
    size_t firstNote = out.notes.size();
    std::vector<Document> documents = ServiceRenderer(s, options, out.notes).render();
    auto& comments = documents.front().comments;
    comments.push_back(fmt::format("rollway Service {} ({} strategy)", s.metadata.name,
                                   spec::strategyTypeName(s.strategy.type)));
    if (out.notes.size() > firstNote) {
      comments.push_back("Not carried over to Kubernetes as it is:");
      for (size_t i = firstNote; i < out.notes.size(); ++i) {
        comments.push_back("  " + out.notes[i].field + ": " + out.notes[i].text);
      }
    }
    for (auto& d : documents) {
      owners.emplace_back(s.metadata.name, out.documents.size());
      out.documents.push_back(std::move(d));
    }
  }
  std::vector<std::pair<std::string, const Document*>> rendered;
  for (const auto& [service, index] : owners) rendered.emplace_back(service, &out.documents[index]);
  if (auto ok = checkNames(rendered); !ok) return tl::unexpected(ok.error());
  return out;
}

}  // namespace rollway::exporter
