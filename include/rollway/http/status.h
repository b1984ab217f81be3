#pragma once

namespace rollway::http {
// The standard reason phrase of an HTTP status code ("Not Found"); "Unknown" otherwise.
const char* statusReason(int status);
}  // namespace rollway::http
