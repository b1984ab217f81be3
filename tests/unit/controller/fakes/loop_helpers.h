#pragma once

// What the Controller loop tests share: a service spec, the rolling strategy most of
// them use, and the first rollout every test starts from.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "controller_harness.h"

namespace rollway::controller::fakes {

inline std::string spec(const std::string& version, int replicas = 2, const std::string& strategy = "") {
  return "apiVersion: rollway.dev/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  replicas: " +
         std::to_string(replicas) +
         "\n  listen: 127.0.0.1:18080\n  progressDeadlineSeconds: 60\n"
         "  template:\n    version: " +
         version +
         "\n    command: [/bin/app, --port, \"${PORT}\"]\n"
         "    readinessProbe: {httpGet: {path: /ready}, periodSeconds: 1}\n" +
         strategy;
}

inline const std::string kRollingSurgeOne =
    "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n";

inline int readyCount(ControllerHarness& h) {
  int n = 0;
  for (const auto& i : h.instances()) n += i.value("ready", false) ? 1 : 0;
  return n;
}

inline bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Brings v1 up to Complete.
inline void firstRollout(ControllerHarness& h, const std::string& strategy = kRollingSurgeOne, int replicas = 2) {
  h.apply(spec("v1", replicas, strategy));
  ASSERT_TRUE(h.ctl().start());
  h.pass();
  ASSERT_EQ(h.runtime.count("start"), static_cast<size_t>(replicas));
  h.makeHealthy("v1");
  ASSERT_EQ(h.status().value("phase", ""), "Complete") << h.status().dump(2);
}

}  // namespace rollway::controller::fakes
