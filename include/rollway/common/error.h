#pragma once

#include <string>
#include <vector>

namespace rollway {

// What kind of failure an Error is; the API maps it to an HTTP status.
enum class ErrorCode {
  kInvalidArgument,   // the user's input is wrong (400)
  kNotFound,          // no such object (404)
  kConflict,          // the request clashes with existing state (409)
  kTooManyRequests,   // not now, retry later: e.g. an eviction the disruption budget holds (429)
  kUnauthenticated,   // missing or wrong credentials (401)
  kUnavailable,       // a peer (daemon, proxy, instance) cannot be reached (503)
  kTimeout,           // gave up waiting (504)
  kIo,                // a file or socket operation failed
  kStorageFull,       // the file system holding our state is full (507)
  kInternal,          // a bug or an unexpected library failure (500)
};

const char* errorCodeName(ErrorCode code);

// One precise complaint about user input: which file, which field, why.
struct FieldError {
  std::string file;    // may be empty when the input did not come from a file
  std::string path;    // e.g. spec.strategy.rollingUpdate.maxSurge
  std::string reason;  // e.g. "must be an integer or a percentage such as 25%"

  // "FILE: PATH: REASON" (parts that are empty are left out).
  std::string str() const;
  bool operator==(const FieldError&) const = default;
};

// An error is a value: a code, a message a user can act on, and for invalid input
// the list of field errors that caused it.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::vector<FieldError> fields;

  // The message followed by one line per field error.
  std::string str() const;
};

}  // namespace rollway
