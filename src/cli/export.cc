#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "rollway/cli/spec_files.h"
#include "rollway/export/kubernetes.h"
#include "rollway/spec/parser.h"
#include "verbs.h"

namespace rollway::cli {

namespace {

struct ExportArgs {
  std::vector<std::string> files;
  std::vector<std::string> images;
  std::string namespaceName;
  int containerPort = 8080;
  std::string output;  // empty = stdout
};

// --image IMAGE (every service) or --image NAME=IMAGE (one service): the part before the
// first '=' is a service name when it holds no '/' or ':' (an image reference never has
// '=' before them).
Result<void> readImages(const std::vector<std::string>& flags, exporter::KubernetesOptions& options) {
  for (const auto& flag : flags) {
    auto eq = flag.find('=');
    if (eq == std::string::npos || flag.substr(0, eq).find_first_of("/:") != std::string::npos) {
      if (!options.defaultImage.empty()) {
        return fail(ErrorCode::kInvalidArgument, "--image: give one image for every service (twice: '{}', '{}')",
                    options.defaultImage, flag);
      }
      options.defaultImage = flag;
      continue;
    }
    if (!options.images.emplace(flag.substr(0, eq), flag.substr(eq + 1)).second) {
      return fail(ErrorCode::kInvalidArgument, "--image: service '{}' is given twice", flag.substr(0, eq));
    }
  }
  return {};
}

Result<std::vector<spec::ServiceSpec>> readSpecs(const std::vector<std::string>& files) {
  std::vector<spec::ServiceSpec> all;
  for (const auto& file : files) {
    auto text = readSpecText(file);
    if (!text) return fail(text.error());
    // Parsed as written: workingDir stays as in the file (a host directory means nothing in a container).
    auto specs = spec::parseServices(*text, file == "-" ? "<stdin>" : file);
    if (!specs) return fail(specs.error());
    for (auto& s : *specs) all.push_back(std::move(s));
  }
  return all;
}

Result<void> writeOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text << std::flush;
    return {};
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return fail(ErrorCode::kIo, "cannot write {}: {}", path, std::strerror(errno));
  out << text;
  out.close();
  if (!out) return fail(ErrorCode::kIo, "cannot write {}: {}", path, std::strerror(errno));
  return {};
}

int exportKubernetes(const ExportArgs& args) {
  exporter::KubernetesOptions options;
  options.namespaceName = args.namespaceName;
  options.containerPort = args.containerPort;
  if (auto ok = readImages(args.images, options); !ok) return reportError(ok.error());
  auto specs = readSpecs(args.files);
  if (!specs) return reportError(specs.error());
  auto manifests = exporter::renderKubernetes(*specs, options);
  if (!manifests) return reportError(manifests.error());
  for (const auto& note : manifests->notes) std::cerr << "warning: " << note.str() << '\n';
  if (auto ok = writeOutput(args.output, manifests->yaml()); !ok) return reportError(ok.error());
  return 0;
}

}  // namespace

void addExport(CLI::App& app, int& exitCode) {
  auto* cmd = app.add_subcommand("export", "Render spec files for another platform (no daemon needed)");
  cmd->require_subcommand(1);
  auto args = std::make_shared<ExportArgs>();
  auto* k8s = cmd->add_subcommand(
      "kubernetes",
      "Render each service as Kubernetes YAML: Service(s), a PodDisruptionBudget (spec.disruptionBudget) and a\n"
      "Deployment (RollingUpdate) or an Argo Rollouts Rollout (Canary, BlueGreen; + AnalysisTemplate)");
  k8s->alias("k8s");
  k8s->add_option("-f,--filename", args->files, "Spec file(s) to render (- = stdin)")->required();
  k8s->add_option("--image", args->images,
                  "Container image: IMAGE for every service, or NAME=IMAGE for one (repeat); {name} and {version}\n"
                  "are replaced by the service's name and template.version. Without one: a placeholder and a warning");
  k8s->add_option("--namespace", args->namespaceName, "metadata.namespace of every object (default: none)");
  k8s->add_option("--container-port", args->containerPort,
                  "The port the instance listens on in its container: ${PORT} (default 8080)")
      ->check(CLI::Range(1, 65535));
  k8s->add_option("-o,--output", args->output, "Write the YAML to this file instead of stdout");
  k8s->footer(
      "Multi-document YAML on stdout, services in file order. Whatever Kubernetes cannot be given as it is\n"
      "(sticky split, proxy timeouts, host routing, builtin metrics, ...) is one 'warning:' line on stderr\n"
      "and a comment above the service's first document. Exit 0 rendered (warnings or not), 1 invalid\n"
      "spec or options, 2 usage. See docs/export.md.\n\n"
      "Examples:\n"
      "  rollway export kubernetes -f rollway.yaml --image registry.example.com/{name}:{version}\n"
      "  rollway export kubernetes -f rollway.yaml --image web=ghcr.io/acme/web:2.1 -o k8s.yaml");
  k8s->callback([args, &exitCode] { exitCode = exportKubernetes(*args); });
}

}  // namespace rollway::cli
