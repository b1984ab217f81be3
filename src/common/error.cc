#include "rollway/common/error.h"

namespace rollway {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "InvalidArgument";
    case ErrorCode::kNotFound: return "NotFound";
    case ErrorCode::kConflict: return "Conflict";
    case ErrorCode::kTooManyRequests: return "TooManyRequests";
    case ErrorCode::kUnauthenticated: return "Unauthenticated";
    case ErrorCode::kUnavailable: return "Unavailable";
    case ErrorCode::kTimeout: return "Timeout";
    case ErrorCode::kIo: return "Io";
    case ErrorCode::kStorageFull: return "StorageFull";
    case ErrorCode::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string FieldError::str() const {
  std::string out;
  if (!file.empty()) out += file + ": ";
  if (!path.empty()) out += path + ": ";
  out += reason;
  return out;
}

std::string Error::str() const {
  std::string out = message;
  for (const auto& field : fields) {
    if (!out.empty()) out += '\n';
    out += "  " + field.str();
  }
  return out;
}

}  // namespace rollway
