#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "rollway/spec/parser.h"

namespace rollway::spec::testing {

// The repository root: ROLLWAY_SOURCE_DIR (set by ctest), else the working directory.
inline std::filesystem::path sourceDir() {
  const char* root = std::getenv("ROLLWAY_SOURCE_DIR");
  return root != nullptr ? std::filesystem::path(root) : std::filesystem::current_path();
}

// tests/data/<sub>
inline std::filesystem::path dataDir(const std::string& sub) { return sourceDir() / "tests" / "data" / sub; }

inline std::string minimalSpec(const std::string& specExtra = "", const std::string& templateExtra = "") {
  return "apiVersion: rollway.dev/v1\n"
         "kind: Service\n"
         "metadata: {name: web}\n"
         "spec:\n"
         "  listen: 127.0.0.1:8080\n"
         "  template:\n"
         "    command: [./app]\n" +
         templateExtra + specExtra;
}

// Parses text that must hold exactly one valid service (a test failure otherwise).
inline ServiceSpec parseOne(const std::string& text) {
  auto parsed = parseServices(text, "test.yaml");
  EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().str());
  if (!parsed || parsed->size() != 1) return {};
  return parsed->front();
}

}  // namespace rollway::spec::testing
