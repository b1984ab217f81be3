#include <iostream>

#include "rollway/spec/parser.h"
#include "verbs.h"

namespace rollway::cli {

void addValidate(CLI::App& app, int& exitCode) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("validate", "Check spec files without a daemon; exit 1 and name every mistake");
  cmd->add_option("-f,--filename", *files, "Spec file(s) to check")->required();
  cmd->callback([files, &exitCode] {
    exitCode = 0;
    for (const auto& file : *files) {
      auto specs = spec::parseServicesFile(file);
      if (!specs) {
        reportError(specs.error());
        exitCode = 1;
        continue;
      }
      std::string names;
      for (const auto& s : *specs) names += (names.empty() ? "" : ", ") + s.metadata.name;
      std::cout << file << ": valid (" << specs->size() << (specs->size() == 1 ? " service: " : " services: ")
                << names << ")\n";
    }
  });
}

}  // namespace rollway::cli
