#include "spec/node_reader.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "spec/lexical.h"

namespace rollway::spec {

namespace {

constexpr std::string_view kPlainTag = "?";
constexpr std::string_view kQuotedTag = "!";
constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

bool isQuoted(const YAML::Node& node) {
  return node.Tag() == kQuotedTag || node.Tag() == kStrTag;
}

bool looksNumeric(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+') {
      return false;
    }
  }
  return digit;
}

std::string shorten(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (char c : s.substr(0, kMax)) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (s.size() > kMax) out += "...";
  return out;
}

}  // namespace

std::string childPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out = parent;
  out += '.';
  out += key;
  return out;
}

std::string indexPath(const std::string& parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return "null";
    case YAML::NodeType::Scalar: break;
  }
  if (isQuoted(node)) return fmt::format("the string \"{}\"", shorten(node.Scalar()));
  return fmt::format("'{}'", shorten(node.Scalar()));
}

const YAML::Node* Fields::get(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return value.IsNull() ? nullptr : &value;
  }
  return nullptr;
}

bool Fields::present(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const auto& entry) { return entry.first == key; });
}

std::string NodeReader::where(const YAML::Mark& mark) const {
  if (mark.is_null()) return "";
  return fmt::format(" (line {}, column {})", mark.line + lineOffset_ + 1, mark.column + 1);
}

std::string NodeReader::whereIs(const std::string& path) const {
  auto mark = markOf(path);
  return mark ? fmt::format(" (line {}, column {})", mark->line + 1, mark->column + 1) : "";
}

void NodeReader::error(const std::string& path, std::string reason) {
  reason += whereIs(path);
  errors_.push_back(FieldError{file_, path, std::move(reason)});
}

void NodeReader::error(const std::string& path, const YAML::Node& at, std::string reason) {
  reason += where(at.Mark());
  errors_.push_back(FieldError{file_, path, std::move(reason)});
}

void NodeReader::remember(const std::string& path, const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  if (!mark.is_null()) marks_.emplace(path, mark);
}

std::optional<YAML::Mark> NodeReader::markOf(const std::string& path) const {
  std::string p = path;
  while (true) {
    if (auto it = marks_.find(p); it != marks_.end()) {
      YAML::Mark mark = it->second;
      mark.line += lineOffset_;
      return mark;
    }
    std::size_t cut = p.find_last_of(".[");
    if (cut == std::string::npos) return std::nullopt;
    p.resize(cut);
  }
}

bool NodeReader::checkTag(const YAML::Node& node, const std::string& path) {
  const std::string& tag = node.Tag();
  if (tag.empty() || tag == kPlainTag || tag == kQuotedTag || tag.starts_with("tag:yaml.org,2002:")) {
    return true;
  }
  error(path, node, fmt::format("YAML tag '{}' is not supported", shorten(tag)));
  return false;
}

Fields NodeReader::fields(const YAML::Node& node, const std::string& path,
                          const std::vector<std::string_view>& known) {
  Fields f;
  f.path_ = path;
  remember(path, node);
  if (!node.IsMap()) {
    error(path, node, fmt::format("must be a map, got {}", describe(node)));
    return f;
  }
  f.isMap_ = true;
  std::set<std::string, std::less<>> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // yaml-cpp's map iterator hands out a temporary pair: copy the (cheap, shared) nodes.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      error(path, key, fmt::format("field names must be strings, got {}", describe(key)));
      continue;
    }
    const std::string name = key.Scalar();
    std::string fieldPath = childPath(path, name);
    if (!seen.insert(name).second) {
      error(fieldPath, key, fmt::format("field '{}' appears twice", shorten(name)));
      continue;
    }
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string reason = fmt::format("unknown field '{}'", shorten(name));
      std::string suggestion = closestMatch(name, known);
      if (!suggestion.empty()) reason += fmt::format(": did you mean '{}'?", suggestion);
      error(fieldPath, key, std::move(reason));
      continue;
    }
    remember(fieldPath, value);
    f.entries_.emplace_back(name, value);
  }
  return f;
}

bool NodeReader::readInt(const YAML::Node& node, const std::string& path, int& out) {
  remember(path, node);
  if (!checkTag(node, path)) return false;
  if (!node.IsScalar()) {
    error(path, node, fmt::format("must be a whole number, got {}", describe(node)));
    return false;
  }
  const std::string& s = node.Scalar();
  if (isQuoted(node)) {
    error(path, node, fmt::format("must be a number, not a string (got \"{}\")", shorten(s)));
    return false;
  }
  long long value = 0;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (!s.empty() && s[0] == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc() && ptr == end && begin != end) {
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      error(path, node, fmt::format("{} is out of range", shorten(s)));
      return false;
    }
    out = static_cast<int>(value);
    return true;
  }
  if (ec == std::errc::result_out_of_range) {
    error(path, node, fmt::format("{} is out of range", shorten(s)));
  } else if (looksNumeric(s)) {
    error(path, node, fmt::format("must be a whole number, got {}", shorten(s)));
  } else {
    error(path, node, fmt::format("must be a whole number, got {}", describe(node)));
  }
  return false;
}

bool NodeReader::readBool(const YAML::Node& node, const std::string& path, bool& out) {
  remember(path, node);
  if (!checkTag(node, path)) return false;
  if (node.IsScalar() && !isQuoted(node)) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") {
      out = true;
      return true;
    }
    if (s == "false" || s == "False" || s == "FALSE") {
      out = false;
      return true;
    }
  }
  error(path, node, fmt::format("must be true or false, got {}", describe(node)));
  return false;
}

bool NodeReader::readString(const YAML::Node& node, const std::string& path, std::string& out) {
  remember(path, node);
  if (!checkTag(node, path)) return false;
  if (!node.IsScalar()) {
    error(path, node, fmt::format("must be a string, got {}", describe(node)));
    return false;
  }
  if (firstInvalidUtf8(node.Scalar()) != std::string::npos) {  // e.g. from an escape sequence
    error(path, node, "must be UTF-8 text");
    return false;
  }
  out = node.Scalar();
  return true;
}

bool NodeReader::expectList(const YAML::Node& node, const std::string& path) {
  remember(path, node);
  if (node.IsSequence()) return true;
  error(path, node, fmt::format("must be a list, got {}", describe(node)));
  return false;
}

bool NodeReader::readStringList(const YAML::Node& node, const std::string& path,
                                std::vector<std::string>& out) {
  if (!expectList(node, path)) return false;
  std::vector<std::string> values;
  bool ok = true;
  std::size_t i = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++i) {
    std::string value;
    if (readString(*it, indexPath(path, i), value)) {
      values.push_back(std::move(value));
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

bool NodeReader::readStringMap(const YAML::Node& node, const std::string& path,
                               std::map<std::string, std::string>& out) {
  remember(path, node);
  if (!node.IsMap()) {
    error(path, node, fmt::format("must be a map of NAME: value, got {}", describe(node)));
    return false;
  }
  std::map<std::string, std::string> values;
  bool ok = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      error(path, key, fmt::format("names must be strings, got {}", describe(key)));
      ok = false;
      continue;
    }
    const std::string name = key.Scalar();
    std::string valuePath = childPath(path, name);
    if (values.count(name) != 0) {
      error(valuePath, key, fmt::format("'{}' appears twice", shorten(name)));
      ok = false;
      continue;
    }
    std::string text;
    if (value.IsNull()) {
      error(valuePath, value, "must be a string (write \"\" for an empty value)");
      ok = false;
    } else if (readString(value, valuePath, text)) {
      values.emplace(name, std::move(text));
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

bool NodeReader::readDuration(const YAML::Node& node, const std::string& path, Duration& out) {
  remember(path, node);
  if (!checkTag(node, path)) return false;
  if (!node.IsScalar()) {
    error(path, node, fmt::format("must be a duration such as 30s, got {}", describe(node)));
    return false;
  }
  auto parsed = parseDuration(node.Scalar());
  if (!parsed) {
    error(path, node, parsed.error().message);
    return false;
  }
  out = *parsed;
  return true;
}

bool NodeReader::readIntOrPercent(const YAML::Node& node, const std::string& path,
                                  IntOrPercent& out) {
  remember(path, node);
  if (!checkTag(node, path)) return false;
  if (!node.IsScalar()) {
    error(path, node,
          fmt::format("must be a whole number or a percentage such as 25%, got {}", describe(node)));
    return false;
  }
  auto parsed = IntOrPercent::parse(node.Scalar());
  if (!parsed) {
    error(path, node, parsed.error().message);
    return false;
  }
  out = *parsed;
  return true;
}

}  // namespace rollway::spec
