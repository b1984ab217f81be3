#include "rollway/analysis/verdict.h"

namespace rollway::analysis {

const char* verdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kSuccessful: return "Successful";
    case Verdict::kFailed: return "Failed";
    case Verdict::kInconclusive: return "Inconclusive";
  }
  return "Unknown";
}

}  // namespace rollway::analysis
