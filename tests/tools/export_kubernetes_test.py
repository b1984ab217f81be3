#!/usr/bin/python3
"""`rollway export kubernetes` on every example spec of the repository (examples/*/rollway.yaml
and tests/data/valid/*.yaml), its output checked by k8s_validate (the Kubernetes client's
models). Uses $ROLLWAY_BINARIES_DIR/rollway when set (the sanitizer pass), else
$ROLLWAY_BUILD_DIR/rollway. Run by ctest (e2e_export_kubernetes)."""

import glob
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import k8s_validate  # noqa: E402

SOURCE = os.environ.get("ROLLWAY_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
BINARIES = os.environ.get("ROLLWAY_BINARIES_DIR") or os.environ.get("ROLLWAY_BUILD_DIR") or os.path.join(SOURCE, "build")
ROLLWAY = os.path.join(BINARIES, "rollway")
IMAGE = "registry.example.com/{name}:{version}"


def specs():
    found = sorted(glob.glob(os.path.join(SOURCE, "examples", "*", "*.yaml")))
    found += sorted(glob.glob(os.path.join(SOURCE, "tests", "data", "valid", "*.yaml")))
    return found


def rollway(*args, stdin=None):
    return subprocess.run([ROLLWAY, *args], input=stdin, capture_output=True, text=True, timeout=60)


class ExportKubernetes(unittest.TestCase):
    def test_every_example_renders_valid_kubernetes(self):
        self.assertGreaterEqual(len(specs()), 4, "no example specs found under " + SOURCE)
        for spec in specs():
            with self.subTest(spec=os.path.relpath(spec, SOURCE)):
                ran = rollway("export", "kubernetes", "-f", spec, "--image", IMAGE)
                self.assertEqual(ran.returncode, 0, ran.stderr)
                self.assertTrue(ran.stdout.startswith("---\n"), ran.stdout[:200])
                self.assertNotIn("IMAGE-NOT-SET", ran.stdout)
                errors = k8s_validate.validate_text(ran.stdout, spec)
                self.assertEqual(errors, [], "\n".join(errors))
                for line in ran.stderr.splitlines():
                    self.assertTrue(line.startswith("warning: "), line)

    def test_output_is_deterministic_and_o_writes_the_same(self):
        spec = os.path.join(SOURCE, "examples", "canary", "rollway.yaml")
        first = rollway("export", "kubernetes", "-f", spec, "--image", IMAGE)
        second = rollway("export", "kubernetes", "-f", spec, "--image", IMAGE)
        self.assertEqual(first.stdout, second.stdout)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "k8s.yaml")
            ran = rollway("export", "kubernetes", "-f", spec, "--image", IMAGE, "-o", out)
            self.assertEqual(ran.returncode, 0, ran.stderr)
            self.assertEqual(ran.stdout, "")
            with open(out, encoding="utf-8") as f:
                self.assertEqual(f.read(), first.stdout)

    def test_missing_image_is_a_placeholder_and_a_warning(self):
        spec = os.path.join(SOURCE, "examples", "hello", "rollway.yaml")
        ran = rollway("export", "kubernetes", "-f", spec)
        self.assertEqual(ran.returncode, 0, ran.stderr)
        self.assertIn("image: IMAGE-NOT-SET/hello", ran.stdout)
        self.assertIn("warning: hello: spec.template: no container image", ran.stderr)
        self.assertEqual(k8s_validate.validate_text(ran.stdout), [])

    def test_invalid_spec_and_usage_errors(self):
        bad = os.path.join(SOURCE, "tests", "data", "invalid", "negative-replicas.yaml")
        ran = rollway("export", "kubernetes", "-f", bad)
        self.assertEqual(ran.returncode, 1)
        self.assertEqual(ran.stdout, "")
        self.assertIn("spec.replicas", ran.stderr)
        self.assertEqual(rollway("export", "kubernetes").returncode, 2)  # -f is required
        ran = rollway("export", "kubernetes", "-f", os.path.join(SOURCE, "examples", "hello", "rollway.yaml"),
                      "--image", "nosuch=r/x:1")
        self.assertEqual(ran.returncode, 1)
        self.assertIn("no service of that name", ran.stderr)

    def test_stdin_and_help(self):
        with open(os.path.join(SOURCE, "examples", "blue-green", "rollway.yaml"), encoding="utf-8") as f:
            ran = rollway("export", "kubernetes", "-f", "-", "--image", IMAGE, stdin=f.read())
        self.assertEqual(ran.returncode, 0, ran.stderr)
        self.assertIn("kind: Rollout", ran.stdout)
        self.assertIn("export", rollway("--help").stdout)
        self.assertIn("--image", rollway("export", "kubernetes", "--help").stdout)


if __name__ == "__main__":
    if not os.access(ROLLWAY, os.X_OK):
        print(f"export_kubernetes_test: no rollway binary at {ROLLWAY}", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
