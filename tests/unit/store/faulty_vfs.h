#pragma once

#include <atomic>
#include <string>

#include <sqlite3.h>

namespace rollway::store {

// A SQLite VFS over the default one that makes writes fail on demand, as a full,
// failing or read-only disk would, and counts syncs. Registered (not as the default)
// under a name of its own for its lifetime: open a Store with StoreOptions::vfs = name().
class FaultyVfs {
 public:
  enum class Fault {
    kNone,
    kFull,      // writes and truncations fail with SQLITE_FULL
    kIoError,   // ... with SQLITE_IOERR_WRITE, errno EIO
    kReadOnly,  // ... with SQLITE_IOERR_WRITE, errno EROFS
  };

  FaultyVfs();
  ~FaultyVfs();
  FaultyVfs(const FaultyVfs&) = delete;
  FaultyVfs& operator=(const FaultyVfs&) = delete;

  const std::string& name() const { return name_; }
  void inject(Fault fault) {
    fault_ = fault;
    lastErrno_ = 0;
  }
  Fault fault() const { return fault_; }
  // xSync calls that reached the disk (every one of them is an fsync or fdatasync).
  int syncs() const { return syncs_; }
  int failedWrites() const { return failedWrites_; }

  // For the file methods (one per open file, which points back here).
  sqlite3_vfs* base() const { return base_; }
  int failWrite();  // the SQLite code for a write under the current fault, SQLITE_OK when none
  void countSync() { ++syncs_; }
  int lastErrno() const { return lastErrno_; }

 private:
  std::string name_;
  sqlite3_vfs vfs_{};
  sqlite3_vfs* base_ = nullptr;
  std::atomic<Fault> fault_{Fault::kNone};
  std::atomic<int> syncs_{0};
  std::atomic<int> failedWrites_{0};
  std::atomic<int> lastErrno_{0};
};

}  // namespace rollway::store
