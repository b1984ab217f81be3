// docs/api.md against the code, so that neither drifts: the rollout phases against
// RolloutPhase, and the event reasons (with their types) against every event the
// controller and the store emit, found by reading their sources.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "rollway/api/status_types.h"
#include "source_scan.h"

namespace rollway::api {
namespace {

namespace fs = std::filesystem;

fs::path sourceDir() {
  const char* dir = std::getenv("ROLLWAY_SOURCE_DIR");
  return dir && *dir ? fs::path(dir) : fs::current_path();
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

using TypesByReason = std::map<std::string, std::set<std::string>>;

std::string str(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

struct Emitter {
  const char* dir;         // under the source tree
  const char* function;    // "event", or "events.push_back" for DecisionEvent{reason, message, type}
  size_t reasonIndex;
  size_t typeIndex;        // absent (past the arguments given): Normal, the default
  bool braced = false;     // the call's one argument is a {...} whose items are the arguments
};

// The reasons passed to `e.function` under `e.dir`, with the event types given with them.
// A reason that is not a string literal fails the test (it could not be checked), except
// in a declaration or when it forwards a DecisionEvent's reason (checked where it is made).
TypesByReason emitted(const Emitter& e, int& calls) {
  TypesByReason found;
  for (const auto& entry : fs::recursive_directory_iterator(sourceDir() / e.dir)) {
    if (entry.path().extension() != ".cc" && entry.path().extension() != ".h") continue;
    std::string code = scan::withoutComments(readFile(entry.path()));
    for (auto call : scan::callsOf(code, e.function)) {
      std::string where = entry.path().filename().string() + ":" + std::to_string(call.line);
      if (e.braced) {
        if (call.args.size() != 1 || !call.args[0].starts_with("{")) continue;
        call.args = scan::callsOf("f(" + call.args[0].substr(1, call.args[0].size() - 2) + ")", "f").at(0).args;
      }
      if (call.args.size() <= e.reasonIndex) continue;  // another function of that name
      const std::string& reason = call.args[e.reasonIndex];
      auto literals = scan::stringLiterals(reason);
      if (literals.empty()) {
        bool declaration = reason.find("std::string") != std::string::npos;
        bool forwarded = reason.ends_with(".reason");
        EXPECT_TRUE(declaration || forwarded) << where << ": the reason " << reason
                                              << " is not a string literal, so docs/api.md cannot be checked against it";
        continue;
      }
      ++calls;
      std::set<std::string> types;
      if (e.typeIndex >= call.args.size()) {
        types.insert("Normal");
      } else {
        const std::string& type = call.args[e.typeIndex];
        for (EventType t : kEventTypes) {
          if (type.find(std::string(toString(t))) != std::string::npos) types.insert(std::string(toString(t)));
        }
        EXPECT_FALSE(types.empty()) << where << ": cannot tell the event type of " << type;
      }
      for (const auto& r : literals) found[r].insert(types.begin(), types.end());
    }
  }
  return found;
}

std::string apiDoc() { return readFile(sourceDir() / "docs/api.md"); }

TEST(StatusDocs, RolloutPhasesTableIsTheEnum) {
  auto rows = scan::tableAfter(apiDoc(), "## Rollout phases");
  ASSERT_FALSE(rows.empty()) << "docs/api.md has no table under \"## Rollout phases\"";
  std::set<std::string> documented;
  for (const auto& row : rows) {
    ASSERT_FALSE(row.empty() || row[0].size() != 1) << "a phase row must start with one `Phase`";
    EXPECT_TRUE(parseRolloutPhase(row[0][0])) << "docs/api.md lists phase " << row[0][0] << ", which is no RolloutPhase";
    EXPECT_TRUE(documented.insert(row[0][0]).second) << row[0][0] << " is listed twice";
  }
  for (RolloutPhase phase : kRolloutPhases) {
    EXPECT_TRUE(documented.contains(std::string(toString(phase))))
        << "docs/api.md, \"## Rollout phases\", does not list " << toString(phase);
  }
}

TEST(StatusDocs, EventReasonsTableIsWhatTheSourcesEmit) {
  // Controller::event(service, type, reason, message); the controller's parts'
  // EventLog::record(service, object, type, reason, message); the strategies' and the
  // status computation's DecisionEvent{reason, message, type}; the store's
  // record(service, object, reason, message, time), which writes Normal events.
  const std::vector<std::pair<Emitter, int>> emitters{{{"src/controller", "event", 2, 1}, 15},
                                                      {{"src/controller", "record", 3, 2}, 25},
                                                      {{"src/controller", "events.push_back", 0, 2, true}, 3},
                                                      {{"src/store", "record", 2, 99}, 4}};
  TypesByReason sources;
  for (const auto& [emitter, atLeast] : emitters) {
    int calls = 0;
    for (auto& [reason, types] : emitted(emitter, calls)) sources[reason].insert(types.begin(), types.end());
    // Renamed functions must not make this test pass by finding nothing.
    EXPECT_GE(calls, atLeast) << "found too few " << emitter.function << "(...) in " << emitter.dir
                              << ": update this test";
  }

  TypesByReason documented;
  std::set<std::string> typesUsed;
  for (const auto& row : scan::tableAfter(apiDoc(), "## Events")) {
    ASSERT_GE(row.size(), 2u);
    ASSERT_EQ(row[0].size(), 1u) << "a reason row must start with one `Reason`";
    const std::string& reason = row[0][0];
    EXPECT_FALSE(documented.contains(reason)) << reason << " is listed twice";
    for (const auto& type : row[1]) {
      EXPECT_TRUE(parseEventType(type)) << reason << ": " << type << " is no EventType";
      documented[reason].insert(type);
      typesUsed.insert(type);
    }
  }
  ASSERT_FALSE(documented.empty()) << "docs/api.md has no reasons table under \"## Events\"";
  for (const auto& [reason, types] : sources) {
    auto it = documented.find(reason);
    if (it == documented.end()) {
      ADD_FAILURE() << "event reason " << reason << " (" << str(types) << ") is emitted but not in docs/api.md";
    } else {
      EXPECT_EQ(str(it->second), str(types)) << "the type of event reason " << reason << " in docs/api.md";
    }
  }
  for (const auto& [reason, types] : documented) {
    EXPECT_TRUE(sources.contains(reason)) << "docs/api.md lists event reason " << reason << ", which nothing emits";
  }
  for (EventType type : kEventTypes) EXPECT_TRUE(typesUsed.contains(std::string(toString(type))));
}

// The scanner itself, on the shapes the sources use.
TEST(SourceScan, FindsCallsAcrossLinesAndSkipsCommentsAndLiterals) {
  std::string code = scan::withoutComments(
      "// event(a, b, kWarning, \"Commented\", m)\n"
      "void f() { char q = '\"'; int n = 1'000;\n"
      "  event(s.name, \"x/\" + f(a, b), wasRestart ? kWarning : kNormal,\n"
      "        ok ? \"One\" : \"Two\", fmt::format(\"{}, {}\", 1, 2)); /* event(x, y, kNormal, \"Block\", m) */\n"
      "  subevent(a, b, kNormal, \"NotThis\", m);\n"
      "  log(\"event(a, b, kNormal, \\\"InString\\\", m)\");\n"
      "}\n");
  auto calls = scan::callsOf(code, "event");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].line, 3);
  ASSERT_EQ(calls[0].args.size(), 5u);
  EXPECT_EQ(calls[0].args[2], "wasRestart ? kWarning : kNormal");
  EXPECT_EQ(scan::stringLiterals(calls[0].args[3]), (std::vector<std::string>{"One", "Two"}));
}

TEST(SourceScan, ReadsTheTableAfterAHeading) {
  auto rows = scan::tableAfter("## A\n| a | b |\n| --- | --- |\n| `x` | `y`, `z` |\n\n## B\n| c |\n| - |\n| `w` |\n",
                               "## A");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], std::vector<std::string>{"x"});
  EXPECT_EQ(rows[0][1], (std::vector<std::string>{"y", "z"}));
  EXPECT_TRUE(scan::tableAfter("## A\ntext\n## B\n| c |\n| - |\n| `w` |\n", "## A").empty());
}

}  // namespace
}  // namespace rollway::api
