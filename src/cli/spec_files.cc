#include "rollway/cli/spec_files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "rollway/spec/parser.h"

namespace rollway::cli {

Result<std::string> readSpecText(const std::string& file) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return text;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, "cannot read {}: {}", file, std::strerror(errno));
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return text;
}

Result<std::vector<spec::ServiceSpec>> loadSpecFiles(const std::vector<std::string>& files) {
  namespace fs = std::filesystem;
  std::vector<spec::ServiceSpec> all;
  for (const auto& file : files) {
    auto text = readSpecText(file);
    if (!text) return fail(text.error());
    auto specs = spec::parseServices(*text, file == "-" ? "<stdin>" : file);
    if (!specs) return fail(specs.error());
    fs::path base = file == "-" ? fs::current_path() : fs::absolute(file).parent_path();
    for (auto& s : *specs) {
      fs::path wd = s.tmpl.workingDir.empty() ? base : base / s.tmpl.workingDir;
      s.tmpl.workingDir = wd.lexically_normal().string();
      if (s.tmpl.workingDir.size() > 1 && s.tmpl.workingDir.back() == '/') s.tmpl.workingDir.pop_back();
      all.push_back(std::move(s));
    }
  }
  return all;
}

}  // namespace rollway::cli
