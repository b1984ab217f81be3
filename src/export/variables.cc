#include "variables.h"

namespace rollway::exporter {

namespace {

// Literal text: Kubernetes reads `$$` as `$`, so every `$` of an expanded target is doubled.
void appendLiteral(std::string& out, std::string_view text, Target target) {
  for (char c : text) {
    if (c == '$' && target != Target::kExec) out += '$';
    out += c;
  }
}

void appendVariable(Translated& out, const std::string& name, const Variables& vars, Target target) {
  const std::string reference = "$(" + name + ")";
  if (auto it = vars.fixed.find(name); it != vars.fixed.end()) {
    if (target == Target::kExec) {
      out.text += it->second;
    } else {
      out.text += reference;
    }
    return;
  }
  if (vars.podOnly.count(name) != 0) {
    if (target == Target::kExec) {
      out.text += "${" + name + "}";
      out.unresolved.insert(name);
    } else {
      out.text += reference;
    }
    return;
  }
  if (auto it = vars.templateEnv.find(name); it != vars.templateEnv.end()) {
    // $(NAME) gives the container's (expanded) value; rollway substitutes the raw one,
    // which differs only when the raw value holds a variable itself.
    if (target == Target::kArgs && it->second.find('$') == std::string::npos) {
      out.text += reference;
    } else {
      appendLiteral(out.text, it->second, target);  // rollway substitutes the raw value
    }
    return;
  }
  if (vars.daemonEnv.count(name) != 0) {
    // rollway takes it from its own environment; the container's env does not define it.
    out.text += target == Target::kExec ? "${" + name + "}" : reference;
    out.unresolved.insert(name);
    return;
  }
  appendLiteral(out.text, "${" + name + "}", target);  // unknown: rollway leaves it as written
}

}  // namespace

Translated translate(std::string_view text, const Variables& vars, Target target) {
  Translated out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      auto close = text.find('}', i + 1);
      auto end = close == std::string_view::npos ? text.size() : close + 1;
      appendLiteral(out.text, text.substr(i + 1, end - i - 1), target);
      i = end;
      continue;
    }
    if (text.compare(i, 2, "${") == 0) {
      auto close = text.find('}', i + 2);
      if (close != std::string_view::npos) {
        appendVariable(out, std::string(text.substr(i + 2, close - i - 2)), vars, target);
        i = close + 1;
        continue;
      }
    }
    appendLiteral(out.text, text.substr(i, 1), target);
    ++i;
  }
  return out;
}

}  // namespace rollway::exporter
