#!/usr/bin/python3
"""Strict validation of Kubernetes YAML against the official Kubernetes Python client.

    /usr/bin/python3 tests/tools/k8s_validate.py FILE... ("-" = stdin)

Every document is walked against python3-kubernetes' model classes (generated from
Kubernetes' published OpenAPI definitions): an unknown field, a value of the wrong type,
or a missing required field (the models' constructors, with client-side validation,
refuse None for those) is an error with its path. Kinds:
  - Deployment (apps/v1), Service (v1), PodDisruptionBudget (policy/v1): the whole object.
  - Rollout / AnalysisTemplate (argoproj.io/v1alpha1, no schema shipped in Debian): the
    pod template as V1PodTemplateSpec, the selector as V1LabelSelector, metadata as
    V1ObjectMeta, the rest against the short lists of Argo Rollouts' documented fields below.
On top of the schema, a few rules the API server enforces: object names, IntOrString
values, enum values, a workload's selector matching its pod labels, and references
between documents (a Rollout's Services and AnalysisTemplates must be in the same input).
Exit 0 when every document is valid, 1 otherwise (one "FILE: document N (Kind name):
path: reason" line per error), 2 on usage errors or when the client is not installed.
"""

import re
import sys

try:
    import yaml
    from kubernetes import client
except ImportError as e:  # pragma: no cover
    print(f"k8s_validate: {e}: install python3-kubernetes (scripts/install-deps.sh) and run "
          "/usr/bin/python3", file=sys.stderr)
    sys.exit(2)

SCHEMA_KINDS = {
    ("apps/v1", "Deployment"): "V1Deployment",
    ("v1", "Service"): "V1Service",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
}
ARGO = "argoproj.io/v1alpha1"

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PERCENT = re.compile(r"^[0-9]+%$")
PORT_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$")  # IANA_SVC_NAME
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")

# Values the API server accepts for a few enums (field name in the model → allowed).
ENUMS = {
    ("V1ServicePort", "protocol"): {"TCP", "UDP", "SCTP"},
    ("V1ContainerPort", "protocol"): {"TCP", "UDP", "SCTP"},
    ("V1HTTPGetAction", "scheme"): {"HTTP", "HTTPS"},
    ("V1ServiceSpec", "type"): {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"},
    ("V1DeploymentStrategy", "type"): {"RollingUpdate", "Recreate"},
}
# IntOrString fields: an int, or a string of this form.
INT_OR_STRING = {
    ("V1RollingUpdateDeployment", "max_surge"): PERCENT,
    ("V1RollingUpdateDeployment", "max_unavailable"): PERCENT,
    ("V1PodDisruptionBudgetSpec", "min_available"): PERCENT,
    ("V1PodDisruptionBudgetSpec", "max_unavailable"): PERCENT,
    ("V1ServicePort", "target_port"): PORT_NAME,
    ("V1HTTPGetAction", "port"): PORT_NAME,
    ("V1TCPSocketAction", "port"): PORT_NAME,
}

# Argo Rollouts' documented fields (argo-rollouts docs, features/specification.md).
ROLLOUT_SPEC = {
    "replicas": int, "selector": "V1LabelSelector", "template": "V1PodTemplateSpec",
    "workloadRef": dict, "minReadySeconds": int, "revisionHistoryLimit": int, "paused": bool,
    "progressDeadlineSeconds": int, "progressDeadlineAbort": bool, "restartAt": str,
    "strategy": "strategy", "analysis": dict, "rollbackWindow": dict,
}
CANARY = {
    "canaryService": str, "stableService": str, "canaryMetadata": dict, "stableMetadata": dict,
    "maxUnavailable": "intOrPercent", "maxSurge": "intOrPercent", "steps": "steps",
    "analysis": dict, "trafficRouting": dict, "antiAffinity": dict, "scaleDownDelaySeconds": int,
    "scaleDownDelayRevisionLimit": int, "abortScaleDownDelaySeconds": int,
    "dynamicStableScale": bool, "pingPong": dict, "minPodsPerReplicaSet": int,
    "replicaProgressThreshold": dict,
}
BLUE_GREEN = {
    "activeService": str, "previewService": str, "previewReplicaCount": int,
    "autoPromotionEnabled": bool, "autoPromotionSeconds": int, "scaleDownDelaySeconds": int,
    "scaleDownDelayRevisionLimit": int, "abortScaleDownDelaySeconds": int,
    "prePromotionAnalysis": dict, "postPromotionAnalysis": dict, "previewMetadata": dict,
    "activeMetadata": dict, "antiAffinity": dict, "maxUnavailable": "intOrPercent",
}
STEPS = {"setWeight", "pause", "analysis", "experiment", "setCanaryScale", "setHeaderRoute",
         "setMirrorRoute", "plugin"}
ANALYSIS_METRIC = {
    "name": str, "interval": "duration", "initialDelay": "duration", "count": "intOrString",
    "successCondition": str, "failureCondition": str, "failureLimit": "intOrString",
    "inconclusiveLimit": "intOrString", "consecutiveErrorLimit": "intOrString", "provider": "provider",
}
PROVIDERS = {"prometheus", "web", "job", "datadog", "newRelic", "wavefront", "kayenta", "cloudWatch",
             "graphite", "influxdb", "skywalking", "plugin"}
PROMETHEUS = {"address": str, "query": str, "timeout": int, "insecure": bool, "headers": list,
              "authentication": dict}


class Checker:
    def __init__(self):
        self.errors = []
        self.config = client.Configuration()
        self.config.client_side_validation = True

    def error(self, path, reason):
        self.errors.append(f"{path}: {reason}")

    # --- the schema walk -----------------------------------------------------------------
    def check_type(self, value, type_name, path, owner=None, attr=None):
        """Checks `value` against an openapi type name; returns the value to hand to a
        model constructor (a model instance for nested models), or None when invalid."""
        if value is None:
            return None
        if type_name.startswith("list["):
            if not isinstance(value, list):
                self.error(path, f"must be a list, got {type(value).__name__}")
                return None
            inner = type_name[5:-1]
            return [self.check_type(v, inner, f"{path}[{i}]", owner, attr) for i, v in enumerate(value)]
        if type_name.startswith("dict("):
            if not isinstance(value, dict):
                self.error(path, f"must be a map, got {type(value).__name__}")
                return None
            inner = type_name[type_name.index(",") + 1:-1].strip()
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    self.error(path, f"key {k!r} must be a string")
                out[k] = self.check_type(v, inner, f"{path}.{k}", owner, attr)
            return out
        if type_name in ("str", "datetime", "date"):
            if not isinstance(value, str):
                self.error(path, f"must be a string, got {type(value).__name__} {value!r}")
                return None
            allowed = ENUMS.get((owner, attr))
            if allowed and value not in allowed:
                self.error(path, f"{value!r} is not one of {sorted(allowed)}")
            return value
        if type_name == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.error(path, f"must be an integer, got {type(value).__name__} {value!r}")
                return None
            return value
        if type_name == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.error(path, f"must be a number, got {type(value).__name__} {value!r}")
                return None
            return value
        if type_name == "bool":
            if not isinstance(value, bool):
                self.error(path, f"must be true or false, got {type(value).__name__} {value!r}")
                return None
            return value
        if type_name == "object":  # IntOrString and a few free-form fields
            pattern = INT_OR_STRING.get((owner, attr))
            if pattern is not None:
                if isinstance(value, bool) or not isinstance(value, (int, str)):
                    self.error(path, f"must be an integer or a string, got {type(value).__name__}")
                elif isinstance(value, int) and value < 0:
                    self.error(path, f"must not be negative, got {value}")
                elif isinstance(value, str) and not pattern.match(value):
                    self.error(path, f"{value!r} is not of the form {pattern.pattern}")
            return value
        return self.check_model(value, type_name, path)

    def check_model(self, value, model_name, path):
        cls = getattr(client.models, model_name, None)
        if cls is None:
            self.error(path, f"no model {model_name} in the Kubernetes client")
            return None
        if not isinstance(value, dict):
            self.error(path, f"must be a map ({model_name}), got {type(value).__name__}")
            return None
        by_json = {json_key: attr for attr, json_key in cls.attribute_map.items()}
        kwargs = {}
        for key, item in value.items():
            attr = by_json.get(key)
            if attr is None:
                self.error(f"{path}.{key}", f"unknown field (not in {model_name})")
                continue
            if item is None:
                continue
            kwargs[attr] = self.check_type(item, cls.openapi_types[attr], f"{path}.{key}", model_name, attr)
        try:
            return cls(local_vars_configuration=self.config, **kwargs)
        except (ValueError, TypeError) as e:
            self.error(path, f"{model_name}: {e}")
            return None

    # --- rules beyond the schema ---------------------------------------------------------
    def check_name(self, path, name, pattern, what):
        if not isinstance(name, str) or not name:
            self.error(path, f"is required ({what})")
        elif len(name) > (253 if pattern is DNS_SUBDOMAIN else 63) or not pattern.match(name):
            self.error(path, f"{name!r} is not a valid {what}")

    def check_pod_template(self, template, path):
        spec = (template or {}).get("spec") or {}
        containers = spec.get("containers")
        if not isinstance(containers, list) or not containers:
            self.error(f"{path}.spec.containers", "needs at least one container")
            return
        for i, c in enumerate(containers):
            if not isinstance(c, dict):
                continue
            cpath = f"{path}.spec.containers[{i}]"
            if "name" in c:
                self.check_name(f"{cpath}.name", c["name"], DNS_LABEL, "container name (DNS label)")
            if not c.get("image"):
                self.error(f"{cpath}.image", "is required by a Deployment's pods")
            for j, env in enumerate(c.get("env") or []):
                if isinstance(env, dict) and isinstance(env.get("name"), str) and not ENV_NAME.match(env["name"]):
                    self.error(f"{cpath}.env[{j}].name", f"{env['name']!r} is not a valid variable name")
            for j, port in enumerate(c.get("ports") or []):
                if isinstance(port, dict) and "name" in port and not (
                        isinstance(port["name"], str) and len(port["name"]) <= 15 and PORT_NAME.match(port["name"])):
                    self.error(f"{cpath}.ports[{j}].name", f"{port['name']!r} is not a port name (IANA_SVC_NAME)")

    def check_selector_matches(self, spec, path):
        selector = ((spec or {}).get("selector") or {}).get("matchLabels") or {}
        labels = (((spec or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not selector:
            self.error(f"{path}.selector.matchLabels", "is required")
        for k, v in selector.items():
            if labels.get(k) != v:
                self.error(f"{path}.selector", f"{k}={v} does not match the pod template's labels")

    # --- Argo Rollouts (no schema: documented field lists) ----------------------------------
    def check_fields(self, value, fields, path):
        if not isinstance(value, dict):
            self.error(path, f"must be a map, got {type(value).__name__}")
            return
        for key, item in value.items():
            if key not in fields:
                self.error(f"{path}.{key}", "unknown field")
                continue
            self.check_value(item, fields[key], f"{path}.{key}")

    def check_value(self, item, kind, path):
        if kind is int or kind == "int":
            self.check_type(item, "int", path)
        elif kind is bool:
            self.check_type(item, "bool", path)
        elif kind is str:
            self.check_type(item, "str", path)
        elif kind is dict or kind is list:
            if not isinstance(item, kind):
                self.error(path, f"must be a {'map' if kind is dict else 'list'}")
        elif kind == "intOrPercent":
            if isinstance(item, bool) or not isinstance(item, (int, str)) or (
                    isinstance(item, str) and not PERCENT.match(item)) or (isinstance(item, int) and item < 0):
                self.error(path, f"must be an integer or a percentage such as 25%, got {item!r}")
        elif kind == "intOrString":
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                self.error(path, f"must be an integer or a string, got {item!r}")
        elif kind == "duration":
            if not (isinstance(item, str) and DURATION.match(item)):
                self.error(path, f"must be a duration such as 30s, got {item!r}")
        elif kind == "steps":
            self.check_steps(item, path)
        elif kind == "strategy":
            self.check_strategy(item, path)
        elif kind == "provider":
            self.check_provider(item, path)
        else:
            self.check_model(item, kind, path)

    def check_steps(self, steps, path):
        if not isinstance(steps, list):
            self.error(path, "must be a list")
            return
        for i, step in enumerate(steps):
            spath = f"{path}[{i}]"
            if not isinstance(step, dict) or len(step) != 1:
                self.error(spath, "a step has exactly one key")
                continue
            (key, value), = step.items()
            if key not in STEPS:
                self.error(f"{spath}.{key}", "unknown step")
            elif key == "setWeight":
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                    self.error(f"{spath}.setWeight", f"must be an integer 0-100, got {value!r}")
            elif key == "pause":
                self.check_fields(value if value is not None else {}, {"duration": "intOrString"}, f"{spath}.pause")
                duration = (value or {}).get("duration") if isinstance(value, dict) else None
                if isinstance(duration, str) and not DURATION.match(duration):
                    self.error(f"{spath}.pause.duration", f"{duration!r} is not a duration such as 30s")
            elif key == "analysis":
                self.check_fields(value, {"templates": list, "args": list}, f"{spath}.analysis")
                for j, t in enumerate((value or {}).get("templates") or []):
                    self.check_fields(t, {"templateName": str, "clusterScope": bool},
                                      f"{spath}.analysis.templates[{j}]")
                    if isinstance(t, dict):
                        self.template_refs.append((f"{spath}.analysis.templates[{j}]", t.get("templateName")))

    def check_strategy(self, strategy, path):
        if not isinstance(strategy, dict) or len(strategy) != 1 or next(iter(strategy)) not in ("canary", "blueGreen"):
            self.error(path, "needs exactly one of canary, blueGreen")
            return
        if "canary" in strategy:
            canary = strategy["canary"] or {}
            self.check_fields(canary, CANARY, f"{path}.canary")
            for key in ("canaryService", "stableService"):
                if isinstance(canary, dict) and key in canary:
                    self.service_refs.append((f"{path}.canary.{key}", canary[key]))
        else:
            bg = strategy["blueGreen"] or {}
            self.check_fields(bg, BLUE_GREEN, f"{path}.blueGreen")
            if not isinstance(bg, dict) or not bg.get("activeService"):
                self.error(f"{path}.blueGreen.activeService", "is required")
            for key in ("activeService", "previewService"):
                if isinstance(bg, dict) and key in bg:
                    self.service_refs.append((f"{path}.blueGreen.{key}", bg[key]))

    def check_provider(self, provider, path):
        if not isinstance(provider, dict) or len(provider) != 1:
            self.error(path, "needs exactly one provider")
            return
        (key, value), = provider.items()
        if key not in PROVIDERS:
            self.error(f"{path}.{key}", "unknown provider")
        elif key == "prometheus":
            self.check_fields(value, PROMETHEUS, f"{path}.prometheus")
            if not isinstance(value, dict) or not value.get("query"):
                self.error(f"{path}.prometheus.query", "is required")

    # --- documents -------------------------------------------------------------------------
    def check_document(self, doc, path):
        if not isinstance(doc, dict):
            self.error(path, "a document must be a map")
            return
        api, kind = doc.get("apiVersion"), doc.get("kind")
        name = (doc.get("metadata") or {}).get("name") if isinstance(doc.get("metadata"), dict) else None
        model = SCHEMA_KINDS.get((api, kind))
        if model is not None:
            self.check_model(doc, model, path)
        elif api == ARGO and kind in ("Rollout", "AnalysisTemplate"):
            self.check_fields(doc, {"apiVersion": str, "kind": str, "metadata": "V1ObjectMeta",
                                    "spec": dict, "status": dict}, path)
            if kind == "Rollout":
                self.check_fields(doc.get("spec"), ROLLOUT_SPEC, f"{path}.spec")
                if not isinstance((doc.get("spec") or {}).get("strategy"), dict):
                    self.error(f"{path}.spec.strategy", "is required")
            else:
                spec = doc.get("spec") or {}
                self.check_fields(spec, {"metrics": list, "args": list, "dryRun": list,
                                         "measurementRetention": list}, f"{path}.spec")
                metrics = spec.get("metrics") if isinstance(spec, dict) else None
                if not metrics:
                    self.error(f"{path}.spec.metrics", "needs at least one metric")
                for i, m in enumerate(metrics or []):
                    self.check_fields(m, ANALYSIS_METRIC, f"{path}.spec.metrics[{i}]")
                    for key in ("name", "provider"):
                        if not isinstance(m, dict) or key not in m:
                            self.error(f"{path}.spec.metrics[{i}].{key}", "is required")
        else:
            self.error(path, f"no schema for apiVersion {api!r} kind {kind!r}")
            return
        self.check_name(f"{path}.metadata.name", name, DNS_1035 if kind == "Service" else DNS_SUBDOMAIN,
                        "Service name (DNS-1035 label)" if kind == "Service" else "object name (DNS subdomain)")
        self.objects.add((kind, name))
        if kind in ("Deployment", "Rollout"):
            self.check_pod_template((doc.get("spec") or {}).get("template"), f"{path}.spec.template")
            self.check_selector_matches(doc.get("spec"), f"{path}.spec")

    def check_stream(self, text, source):
        """Checks every document of one YAML stream; returns the list of errors."""
        self.errors, self.objects, self.service_refs, self.template_refs = [], set(), [], []
        try:
            documents = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as e:
            return [f"{source}: not YAML: {e}"]
        if not documents:
            return [f"{source}: no document"]
        all_errors = []
        for i, doc in enumerate(documents, 1):
            self.errors = []
            label = f"{doc.get('kind')} {(doc.get('metadata') or {}).get('name')}" if isinstance(doc, dict) else "?"
            refs_before = (len(self.service_refs), len(self.template_refs))
            self.check_document(doc, "")
            for path, ref in self.service_refs[refs_before[0]:]:
                self.pending.append((f"{source}: document {i} ({label})", path, "Service", ref))
            for path, ref in self.template_refs[refs_before[1]:]:
                self.pending.append((f"{source}: document {i} ({label})", path, "AnalysisTemplate", ref))
            all_errors += [f"{source}: document {i} ({label}): {e.lstrip('.')}" for e in self.errors]
        for where, path, kind, ref in self.pending:
            if (kind, ref) not in self.objects:
                all_errors.append(f"{where}: {path.lstrip('.')}: refers to the {kind} {ref!r}, which is not in the input")
        self.pending = []
        return all_errors


def validate_text(text, source="<input>"):
    """The errors of one YAML stream (empty = valid)."""
    checker = Checker()
    checker.pending = []
    return checker.check_stream(text, source)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = False
    count = 0
    for path in argv[1:]:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        errors = validate_text(text, path)
        for e in errors:
            print(e)
        failed = failed or bool(errors)
        count += sum(1 for d in yaml.safe_load_all(text) if d is not None) if not errors else 0
    if not failed:
        print(f"k8s_validate: {count} documents valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
