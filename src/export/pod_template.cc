#include "pod_template.h"

#include <fmt/format.h>

#include "variables.h"

namespace rollway::exporter {

namespace {

using nlohmann::json;

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

class ContainerBuilder {
 public:
  ContainerBuilder(ServiceContext& ctx, Workload workload) : ctx_(ctx), workload_(workload) {
    const auto& s = ctx_.spec();
    vars_.fixed = {{"PORT", std::to_string(ctx_.options().containerPort)},
                   {"ROLLWAY_SERVICE", s.metadata.name},
                   {"ROLLWAY_VERSION", s.tmpl.version}};
    vars_.podOnly = {"ROLLWAY_INSTANCE", "ROLLWAY_REVISION"};
    for (const auto& [name, value] : s.tmpl.env) {
      if (vars_.fixed.count(name) == 0 && vars_.podOnly.count(name) == 0) vars_.templateEnv[name] = value;
    }
    vars_.daemonEnv = {"PATH", "HOME", "LANG"};
  }

  json container() {
    const auto& t = ctx_.spec().tmpl;
    json c = {{"name", ctx_.name()}, {"image", image()}};
    commandAndArgs(c);
    c["env"] = env();
    c["ports"] = json::array({{{"name", kPortName}, {"containerPort", ctx_.options().containerPort},
                               {"protocol", "TCP"}}});
    if (t.startupProbe) c["startupProbe"] = probe(*t.startupProbe, "spec.template.startupProbe");
    if (t.livenessProbe) c["livenessProbe"] = probe(*t.livenessProbe, "spec.template.livenessProbe");
    if (t.readinessProbe) c["readinessProbe"] = probe(*t.readinessProbe, "spec.template.readinessProbe");
    if (t.lifecycle.preStop) c["lifecycle"] = {{"preStop", preStop(*t.lifecycle.preStop)}};
    if (!t.workingDir.empty()) {
      ctx_.note("spec.template.workingDir",
                fmt::format("'{}' is a directory of the host; not carried over (the image's WORKDIR applies)",
                            t.workingDir));
    }
    return c;
  }

 private:
  std::string image() {
    std::string image = configuredImage(ctx_.spec(), ctx_.options());
    if (!image.empty()) return image;
    image = kImagePlaceholderPrefix + ctx_.name();
    ctx_.note("spec.template",
              fmt::format("no container image (rollway runs a command): the placeholder '{}' stands in; "
                          "pass --image {}=IMAGE or --image IMAGE",
                          image, ctx_.name()));
    return image;
  }

  std::string translated(const std::string& text, Target target, const std::string& field) {
    Translated out = translate(text, vars_, target);
    for (const auto& name : out.unresolved) {
      if (vars_.daemonEnv.count(name) != 0) {
        ctx_.note(field, fmt::format("${{{}}} comes from rollway's own environment; the container's "
                                     "is the image's: not substituted",
                                     name));
      } else {
        ctx_.note(field, fmt::format("${{{}}} is only known inside the pod and Kubernetes does not substitute "
                                     "variables in exec handlers: left as written",
                                     name));
      }
    }
    return out.text;
  }

  void commandAndArgs(json& c) {
    const auto& command = ctx_.spec().tmpl.command;
    if (command.empty()) return;
    c["command"] = json::array({translated(command[0], Target::kArgs, "spec.template.command[0]")});
    json args = json::array();
    for (size_t i = 1; i < command.size(); ++i) {
      args.push_back(translated(command[i], Target::kArgs, fmt::format("spec.template.command[{}]", i)));
    }
    if (!args.empty()) c["args"] = std::move(args);
    const std::string& program = command[0];
    if (program.front() != '/' && program.find('/') != std::string::npos) {
      ctx_.note("spec.template.command[0]",
                fmt::format("'{}' is relative to the spec file's directory in rollway; in the container it is "
                            "relative to the image's WORKDIR",
                            program));
    }
  }

  // rollway's own variables first (env values below may refer to them), then spec.template.env.
  json env() {
    const auto& s = ctx_.spec();
    const char* hashLabel =
        workload_ == Workload::kArgoRollout ? "rollouts-pod-template-hash" : "pod-template-hash";
    json env = json::array();
    for (const char* name : {"PORT", "ROLLWAY_SERVICE", "ROLLWAY_VERSION"}) {
      env.push_back({{"name", name}, {"value", vars_.fixed.at(name)}});
    }
    env.push_back({{"name", "ROLLWAY_INSTANCE"},
                   {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}});
    env.push_back({{"name", "ROLLWAY_REVISION"},
                   {"valueFrom", {{"fieldRef", {{"fieldPath", fmt::format("metadata.labels['{}']", hashLabel)}}}}}});
    for (const auto& [name, value] : s.tmpl.env) {
      const std::string field = "spec.template.env." + name;
      if (vars_.templateEnv.count(name) == 0) {
        ctx_.note(field, "rollway sets this variable itself (as here), so this value is not carried over");
        continue;
      }
      env.push_back({{"name", name}, {"value", translated(value, Target::kEnvValue, field)}});
    }
    return env;
  }

  json port(int port) const { return port == 0 ? json(kPortName) : json(port); }

  json httpGet(const spec::HttpGetAction& h, const std::string& field) {
    json out = {{"path", h.path}, {"port", port(h.port)}, {"scheme", h.scheme}};
    if (!h.httpHeaders.empty()) {
      json headers = json::array();
      for (const auto& header : h.httpHeaders) headers.push_back({{"name", header.name}, {"value", header.value}});
      out["httpHeaders"] = std::move(headers);
    }
    if (!h.host.empty()) {
      ctx_.note(field + ".host",
                fmt::format("'{}' is not carried over: the kubelet connects to the pod's IP (the instance must "
                            "listen on it, not only on 127.0.0.1)",
                            h.host));
    }
    return out;
  }

  json exec(const spec::ExecAction& e, const std::string& field) {
    json command = json::array();
    for (size_t i = 0; i < e.command.size(); ++i) {
      command.push_back(translated(e.command[i], Target::kExec, fmt::format("{}.command[{}]", field, i)));
    }
    return {{"command", std::move(command)}};
  }

  json probe(const spec::Probe& p, const std::string& field) {
    json out = {{"initialDelaySeconds", p.initialDelaySeconds}, {"periodSeconds", p.periodSeconds},
                {"timeoutSeconds", p.timeoutSeconds},         {"successThreshold", p.successThreshold},
                {"failureThreshold", p.failureThreshold}};
    switch (p.kind) {
      case spec::ProbeKind::kHttpGet: out["httpGet"] = httpGet(p.httpGet, field + ".httpGet"); break;
      case spec::ProbeKind::kTcpSocket:
        out["tcpSocket"] = {{"port", port(p.tcpSocket.port)}};
        if (!p.tcpSocket.host.empty()) {
          ctx_.note(field + ".tcpSocket.host",
                    fmt::format("'{}' is not carried over: the kubelet connects to the pod's IP", p.tcpSocket.host));
        }
        break;
      case spec::ProbeKind::kExec: out["exec"] = exec(p.exec, field + ".exec"); break;
    }
    return out;
  }

  json preStop(const spec::LifecycleHandler& h) {
    const std::string field = "spec.template.lifecycle.preStop";
    switch (h.kind) {
      case spec::HandlerKind::kExec: return {{"exec", exec(h.exec, field + ".exec")}};
      case spec::HandlerKind::kHttpGet: return {{"httpGet", httpGet(h.httpGet, field + ".httpGet")}};
      case spec::HandlerKind::kSleep: break;
    }
    ctx_.note(field + ".sleep",
              fmt::format("rendered as exec [sleep, {}]: the image needs a sleep program (Kubernetes 1.30+ also "
                          "has lifecycle.preStop.sleep)",
                          h.sleepSeconds));
    return {{"exec", {{"command", json::array({"sleep", std::to_string(h.sleepSeconds)})}}}};
  }

  ServiceContext& ctx_;
  Workload workload_;
  Variables vars_;
};

}  // namespace

std::string configuredImage(const spec::ServiceSpec& spec, const KubernetesOptions& options) {
  auto it = options.images.find(spec.metadata.name);
  std::string image = it != options.images.end() ? it->second : options.defaultImage;
  if (image.empty()) return image;
  image = replaceAll(std::move(image), "{name}", spec.metadata.name);
  return replaceAll(std::move(image), "{version}", spec.tmpl.version.empty() ? "latest" : spec.tmpl.version);
}

nlohmann::json podTemplate(ServiceContext& ctx, Workload workload) {
  const auto& s = ctx.spec();
  json labels = ctx.labels();
  if (!s.tmpl.version.empty() && isLabelValue(s.tmpl.version)) labels[kVersionLabel] = s.tmpl.version;
  json metadata = {{"labels", std::move(labels)}};
  if (!s.tmpl.version.empty()) metadata["annotations"] = {{"rollway.dev/version", s.tmpl.version}};
  json podSpec = {{"containers", json::array({ContainerBuilder(ctx, workload).container()})},
                  {"terminationGracePeriodSeconds", s.tmpl.terminationGracePeriodSeconds}};
  // Cluster mode's node labels map to the Kubernetes nodes' labels of the same names.
  if (!s.placement.nodeSelector.empty()) podSpec["nodeSelector"] = s.placement.nodeSelector;
  if (s.placement.maxPerNode > 0) {
    ctx.note("spec.placement.maxPerNode",
             fmt::format("at most {} per node has no exact Kubernetes field (topologySpreadConstraints bound the "
                         "skew between nodes, not the count on one): not carried over",
                         s.placement.maxPerNode));
  }
  return {{"metadata", std::move(metadata)}, {"spec", std::move(podSpec)}};
}

}  // namespace rollway::exporter
