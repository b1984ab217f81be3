#!/usr/bin/python3
"""The validator must be able to fail: each broken document below is refused for the
right reason, and the valid ones pass. Run by ctest (k8s_validate_self_test)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8s_validate  # noqa: E402

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: "25%"}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: web
          image: registry.example.com/web:v1
          command: [/app]
          args: [--port, $(PORT)]
          env: [{name: PORT, value: "8080"}]
          ports: [{name: http, containerPort: 8080, protocol: TCP}]
          readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 2}
          livenessProbe: {tcpSocket: {port: 8080}}
          lifecycle: {preStop: {exec: {command: [sleep, "5"]}}}
"""
SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""
PDB = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {selector: {matchLabels: {app: web}}, minAvailable: "50%"}
"""
ROLLOUT = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "r/web:1"}]}
  strategy:
    canary:
      canaryService: web
      maxUnavailable: 0
      steps: [{setWeight: 10}, {pause: {duration: 30s}}, {pause: {}}, {analysis: {templates: [{templateName: web}]}}]
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: web}
spec:
  metrics:
    - name: errors
      interval: 5s
      count: 2
      successCondition: result[0] < 0.01
      provider: {prometheus: {address: "http://prometheus:9090", query: "sum(rate(x[1m]))"}}
"""


def errors(text):
    return k8s_validate.validate_text(text, "t.yaml")


class ValidDocuments(unittest.TestCase):
    def test_deployment_service_budget_pass(self):
        self.assertEqual(errors("---".join([DEPLOYMENT, SERVICE, PDB])), [])

    def test_rollout_with_its_service_and_template_passes(self):
        self.assertEqual(errors(ROLLOUT + "---" + SERVICE), [])


class BrokenDocuments(unittest.TestCase):
    def assertRefused(self, text, *fragments):
        found = errors(text)
        self.assertTrue(found, "the validator accepted a broken document")
        for fragment in fragments:
            self.assertTrue(any(fragment in e for e in found), f"no error mentions {fragment!r}: {found}")

    def test_unknown_field(self):
        self.assertRefused(DEPLOYMENT.replace("replicas: 2", "replicas: 2\n  replica: 2"),
                           "spec.replica: unknown field")

    def test_unknown_nested_field(self):
        self.assertRefused(DEPLOYMENT.replace("periodSeconds: 2", "periodSecond: 2"),
                           "readinessProbe.periodSecond: unknown field")

    def test_wrong_type(self):
        self.assertRefused(DEPLOYMENT.replace("containerPort: 8080", 'containerPort: "8080"'),
                           "containerPort: must be an integer")
        self.assertRefused(DEPLOYMENT.replace("replicas: 2", "replicas: true"), "spec.replicas: must be an integer")
        self.assertRefused(DEPLOYMENT.replace('value: "8080"', "value: 8080"), "env[0].value: must be a string")

    def test_missing_container_name(self):
        self.assertRefused(DEPLOYMENT.replace("- name: web\n          image:", "- image:"), "Invalid value for `name`, must not be `None`")

    def test_missing_required_nested_field(self):
        self.assertRefused(PDB.replace("minAvailable", "x: 1, minAvailable"), "spec.x: unknown field")
        self.assertRefused(SERVICE.replace("port: 80, ", ""), "V1ServicePort: Invalid value for `port`")

    def test_bad_int_or_percent(self):
        self.assertRefused(PDB.replace('"50%"', '"50 %"'), "minAvailable: '50 %' is not of the form")

    def test_bad_enum(self):
        self.assertRefused(DEPLOYMENT.replace("type: RollingUpdate", "type: Rolling"), "'Rolling' is not one of")

    def test_selector_not_matching_pods(self):
        self.assertRefused(DEPLOYMENT.replace("labels: {app: web}}\n    spec:", "labels: {app: api}}\n    spec:"),
                           "app=web does not match")

    def test_rollout_unknown_strategy_field_and_step(self):
        self.assertRefused(ROLLOUT.replace("maxUnavailable: 0", "maxUnavailable: 0\n      stickiness: {}"),
                           "canary.stickiness: unknown field")
        self.assertRefused(ROLLOUT.replace("{setWeight: 10}", "{setWeight: 110}"), "must be an integer 0-100")
        self.assertRefused(ROLLOUT.replace("{setWeight: 10}", "{analyse: {}}"), "unknown step")

    def test_rollout_pod_template_is_checked(self):
        self.assertRefused(ROLLOUT.replace('image: "r/web:1"', 'image: "r/web:1", imagePolicy: x'),
                           "imagePolicy: unknown field (not in V1Container)")

    def test_rollout_references_must_exist(self):
        self.assertRefused(ROLLOUT, "refers to the Service 'web'")
        self.assertRefused(ROLLOUT.split("---")[0] + "---" + SERVICE, "refers to the AnalysisTemplate 'web'")

    def test_unknown_kind_and_bad_name(self):
        self.assertRefused("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "no schema")
        self.assertRefused(SERVICE.replace("name: web}", "name: 1web}"), "'1web' is not a valid Service name")


if __name__ == "__main__":
    unittest.main(verbosity=2)
