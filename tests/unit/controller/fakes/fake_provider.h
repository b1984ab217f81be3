#pragma once

// An analysis metrics provider that answers what the test sets, and counts its calls.

#include <optional>

#include "rollway/analysis/provider.h"

namespace rollway::controller::fakes {

class FakeProvider final : public analysis::Provider {
 public:
  std::optional<double> value;
  int calls = 0;
  Result<std::optional<double>> fetch(const spec::Metric&, const analysis::WindowInput&) override {
    ++calls;
    return value;
  }
};

}  // namespace rollway::controller::fakes
