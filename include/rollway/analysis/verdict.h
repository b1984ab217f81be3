#pragma once

namespace rollway::analysis {

// The result of evaluating one metric over one window. Too little data is never a
// failure: it is inconclusive.
enum class Verdict { kSuccessful, kFailed, kInconclusive };
const char* verdictName(Verdict verdict);

}  // namespace rollway::analysis
