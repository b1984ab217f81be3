#pragma once

// Typed, error-collecting access to a yaml-cpp node tree (private to spec).
// Every problem is recorded as a FieldError with a dotted path; nothing throws on
// malformed input (the caller still wraps everything in a catch-all at the edge).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "rollway/common/error.h"
#include "rollway/spec/duration.h"
#include "rollway/spec/int_or_percent.h"

namespace rollway::spec {

std::string childPath(const std::string& parent, std::string_view key);
std::string indexPath(const std::string& parent, std::size_t index);

// The known keys of one YAML map, after NodeReader::fields() checked it.
class Fields {
 public:
  // The value of `key`, or nullptr when the key is absent or its value is null.
  const YAML::Node* get(std::string_view key) const;
  // Whether `key` appears at all (even with a null value).
  bool present(std::string_view key) const;
  std::string path(std::string_view key) const { return childPath(path_, key); }
  const std::string& path() const { return path_; }
  bool isMap() const { return isMap_; }

 private:
  friend class NodeReader;
  std::string path_;
  bool isMap_ = false;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
};

class NodeReader {
 public:
  // `lineOffset` is added to every line number (the document's first line in its file).
  explicit NodeReader(std::string file, int lineOffset = 0)
      : file_(std::move(file)), lineOffset_(lineOffset) {}

  void error(const std::string& path, std::string reason);
  void error(const std::string& path, const YAML::Node& at, std::string reason);
  const std::vector<FieldError>& errors() const { return errors_; }
  // The position of `path` (or of its nearest recorded parent), if known, in the file.
  std::optional<YAML::Mark> markOf(const std::string& path) const;
  // " (line L, column C)" for `path`, or "" when unknown.
  std::string whereIs(const std::string& path) const;
  void remember(const std::string& path, const YAML::Node& node);

  // Checks that `node` is a map whose keys are all in `known` (reporting unknown,
  // duplicate and non-string keys) and returns its entries.
  Fields fields(const YAML::Node& node, const std::string& path,
                const std::vector<std::string_view>& known);

  // Each reader reports a type error and returns false (leaving `out` untouched) when
  // the node does not fit.
  bool readInt(const YAML::Node& node, const std::string& path, int& out);
  bool readBool(const YAML::Node& node, const std::string& path, bool& out);
  bool readString(const YAML::Node& node, const std::string& path, std::string& out);
  bool readStringList(const YAML::Node& node, const std::string& path,
                      std::vector<std::string>& out);
  bool readStringMap(const YAML::Node& node, const std::string& path,
                     std::map<std::string, std::string>& out);
  bool readDuration(const YAML::Node& node, const std::string& path, Duration& out);
  bool readIntOrPercent(const YAML::Node& node, const std::string& path, IntOrPercent& out);
  // Checks that `node` is a list (reports otherwise).
  bool expectList(const YAML::Node& node, const std::string& path);

  // Shorthands: read fields.get(key) when present.
  template <class T, class Reader>
  void opt(const Fields& f, std::string_view key, T& out, Reader reader) {
    if (const YAML::Node* n = f.get(key)) (this->*reader)(*n, f.path(key), out);
  }

 private:
  bool checkTag(const YAML::Node& node, const std::string& path);
  std::string where(const YAML::Mark& mark) const;

  std::string file_;
  int lineOffset_ = 0;
  std::vector<FieldError> errors_;
  std::map<std::string, YAML::Mark> marks_;
};

// A short description of a node for messages: "a map", "a list", "null", "'abc'".
std::string describe(const YAML::Node& node);

}  // namespace rollway::spec
