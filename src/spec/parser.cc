#include "rollway/spec/parser.h"
#include "rollway/spec/listen_conflict.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "spec/decode.h"
#include "spec/lexical.h"
#include "spec/node_reader.h"

namespace rollway::spec {

namespace {

constexpr std::size_t kMaxSpecBytes = 4 * 1024 * 1024;

// Whether `prefix` is `path` or one of its parents ("" is everyone's parent).
bool isPrefixPath(const std::string& prefix, const std::string& path) {
  if (prefix.empty() || prefix == path) return true;
  return path.size() > prefix.size() && path.starts_with(prefix) &&
         (path[prefix.size()] == '.' || path[prefix.size()] == '[');
}

struct Document {
  ServiceSpec spec;
  std::optional<YAML::Mark> nameMark;
  std::optional<YAML::Mark> listenMark;
};

std::string withMark(std::string reason, const std::optional<YAML::Mark>& mark) {
  if (mark) reason += fmt::format(" (line {}, column {})", mark->line + 1, mark->column + 1);
  return reason;
}

// One document of a multi-document file.
struct Chunk {
  std::string text;
  int firstLine = 0;        // 0-based line of the chunk's first line in the file
  bool hasContent = false;  // anything besides blank lines, comments, directives and markers
};

bool isMarker(std::string_view line, std::string_view marker) {
  if (!line.starts_with(marker)) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' || line[3] == '\n';
}

bool isContent(std::string_view line) {
  if (line.starts_with('%')) return false;  // a directive (%YAML, %TAG)
  if (isMarker(line, "---") || isMarker(line, "...")) line.remove_prefix(3);
  std::size_t first = line.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && line[first] != '#';
}

// Splits a YAML stream at its document markers ("---" / "..." at column 0; YAML forbids
// them inside content). yaml-cpp 0.7's LoadAll() loops forever on some malformed input
// (jbeder/yaml-cpp#1040, e.g. a lone ","), so every document is loaded on its own.
std::vector<Chunk> splitDocuments(std::string_view text) {
  std::vector<Chunk> chunks;
  Chunk current;
  bool currentHasMarker = false;
  auto close = [&](int nextLine) {
    if (current.hasContent) chunks.push_back(std::move(current));
    current = Chunk{};
    current.firstLine = nextLine;
    currentHasMarker = false;
  };
  int lineNumber = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
    std::string_view line = text.substr(pos, next - pos);
    if (isMarker(line, "---") && (current.hasContent || currentHasMarker)) close(lineNumber);
    if (isMarker(line, "---")) currentHasMarker = true;
    current.text += line;
    current.hasContent = current.hasContent || isContent(line);
    ++lineNumber;
    if (isMarker(line, "...")) close(lineNumber);
    pos = next;
  }
  close(lineNumber);
  return chunks;
}

// Checks between documents of one file: unique names, no two services on one listener
// with overlapping hosts.
void checkAcrossDocuments(const std::vector<Document>& docs, const std::string& file,
                          std::vector<FieldError>& errors) {
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const ServiceSpec& b = docs[i].spec;
    for (std::size_t j = 0; j < i; ++j) {
      const ServiceSpec& a = docs[j].spec;
      if (!b.metadata.name.empty() && a.metadata.name == b.metadata.name) {
        errors.push_back({file, "metadata.name",
                          withMark(fmt::format("duplicate service name '{}' (documents {} and {})",
                                               b.metadata.name, j + 1, i + 1),
                                   docs[i].nameMark)});
        break;
      }
      if (std::string clash = listenConflict(b, a); !clash.empty()) {
        errors.push_back({file, "spec.listen",
                          withMark(fmt::format("service '{}': {} (no hosts = every host)", b.metadata.name, clash),
                                   docs[i].listenMark)});
        break;
      }
    }
  }
}

Result<std::vector<ServiceSpec>> parseUnguarded(std::string_view text, const std::string& file) {
  std::vector<FieldError> errors;
  auto finish = [&]() -> tl::unexpected<Error> {
    return fail(Error{ErrorCode::kInvalidArgument,
                      fmt::format("{}: {} error(s) in the spec", file.empty() ? "<input>" : file, errors.size()),
                      std::move(errors)});
  };
  if (text.size() > kMaxSpecBytes) {
    errors.push_back({file, "", fmt::format("the file is larger than {} bytes", kMaxSpecBytes)});
    return finish();
  }
  if (text.find('\0') != std::string_view::npos) {
    errors.push_back({file, "", "the file contains NUL bytes: not YAML text"});
    return finish();
  }
  // Specs are stored and served as JSON, which is UTF-8 only (fuzz corpus spec_yaml/crash-*).
  if (auto bad = firstInvalidUtf8(text); bad != std::string_view::npos) {
    auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
    errors.push_back({file, "", fmt::format("the file is not UTF-8 text (line {}, byte {})", line, bad)});
    return finish();
  }
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);  // UTF-8 byte order mark
  std::vector<Document> docs;
  std::size_t chunkCount = 0;
  // Empty documents (e.g. a trailing ---) are skipped, as kubectl does.
  for (const Chunk& chunk : splitDocuments(text)) {
    ++chunkCount;
    YAML::Node node;
    try {
      node = YAML::Load(chunk.text);
    } catch (const YAML::Exception& e) {
      std::string reason = e.mark.is_null()
                               ? fmt::format("YAML syntax error: {}", e.msg)
                               : fmt::format("YAML syntax error at line {}, column {}: {}",
                                             e.mark.line + chunk.firstLine + 1, e.mark.column + 1, e.msg);
      errors.push_back({file, "", std::move(reason)});
      continue;
    }
    if (node.IsNull()) {
      errors.push_back({file, "", fmt::format("the document at line {} is empty or not valid YAML: "
                                              "expected a map with apiVersion, kind, metadata and spec",
                                              chunk.firstLine + 1)});
      continue;
    }
    NodeReader reader(file, chunk.firstLine);
    Document doc;
    doc.spec = decodeService(node, reader);
    std::vector<FieldError> shapeErrors = reader.errors();
    for (FieldError& e : validate(doc.spec, file)) {
      // A value that could not be read keeps its default; do not pile a second complaint
      // on the same field (or below it).
      bool covered = std::any_of(shapeErrors.begin(), shapeErrors.end(),
                                 [&](const FieldError& s) { return isPrefixPath(s.path, e.path); });
      if (covered) continue;
      e.reason += reader.whereIs(e.path);
      shapeErrors.push_back(std::move(e));
    }
    errors.insert(errors.end(), shapeErrors.begin(), shapeErrors.end());
    doc.nameMark = reader.markOf("metadata.name");
    doc.listenMark = reader.markOf("spec.listen");
    docs.push_back(std::move(doc));
  }
  if (chunkCount == 0) {
    errors.push_back({file, "", "the file holds no document: expected a Service (apiVersion: rollway.dev/v1)"});
    return finish();
  }
  checkAcrossDocuments(docs, file, errors);
  if (!errors.empty()) return finish();
  std::vector<ServiceSpec> out;
  out.reserve(docs.size());
  for (auto& doc : docs) out.push_back(std::move(doc.spec));
  return out;
}

}  // namespace

Result<std::vector<ServiceSpec>> parseServices(std::string_view text, std::string_view file) {
  std::string name(file);
  try {
    return parseUnguarded(text, name);
  } catch (const std::exception& e) {
    return fail(Error{ErrorCode::kInvalidArgument,
                      fmt::format("{}: the spec could not be read", name.empty() ? "<input>" : name),
                      {FieldError{name, "", fmt::format("unexpected error: {}", e.what())}}});
  } catch (...) {
    return fail(Error{ErrorCode::kInvalidArgument,
                      fmt::format("{}: the spec could not be read", name.empty() ? "<input>" : name),
                      {FieldError{name, "", "unexpected error"}}});
  }
}

Result<std::vector<ServiceSpec>> parseServicesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, "cannot open {}", path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, "cannot read {}", path);
  return parseServices(buffer.str(), path);
}

}  // namespace rollway::spec
