#pragma once

namespace rollway {
// The release version, e.g. "0.1.0".
const char* versionString();
}  // namespace rollway
