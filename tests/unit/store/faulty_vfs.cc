#include "unit/store/faulty_vfs.h"

#include <cerrno>
#include <cstdint>

namespace rollway::store {

namespace {

// Our sqlite3_file: the base part SQLite sees, then the default VFS's file right after.
struct FaultyFile {
  sqlite3_file base;
  FaultyVfs* owner;
  sqlite3_file* real;
};

FaultyFile* self(sqlite3_file* file) { return reinterpret_cast<FaultyFile*>(file); }
sqlite3_file* real(sqlite3_file* file) { return self(file)->real; }

int fileClose(sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); }
int fileRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 offset) {
  return real(f)->pMethods->xRead(real(f), buf, n, offset);
}
int fileWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 offset) {
  if (int rc = self(f)->owner->failWrite(); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xWrite(real(f), buf, n, offset);
}
int fileTruncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = self(f)->owner->failWrite(); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xTruncate(real(f), size);
}
int fileSync(sqlite3_file* f, int flags) {
  self(f)->owner->countSync();
  return real(f)->pMethods->xSync(real(f), flags);
}
int fileSize(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int fileLock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int fileUnlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int fileCheckReservedLock(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int fileControl(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int fileSectorSize(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int fileDeviceCharacteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int fileShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int fileShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void fileShmBarrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int fileShmUnmap(sqlite3_file* f, int deleteFlag) { return real(f)->pMethods->xShmUnmap(real(f), deleteFlag); }
int fileFetch(sqlite3_file* f, sqlite3_int64 offset, int n, void** out) {
  return real(f)->pMethods->xFetch(real(f), offset, n, out);
}
int fileUnfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), offset, p);
}

const sqlite3_io_methods kFileMethods = {
    3,           fileClose,       fileRead,       fileWrite,       fileTruncate,      fileSync,
    fileSize,    fileLock,        fileUnlock,     fileCheckReservedLock, fileControl, fileSectorSize,
    fileDeviceCharacteristics,    fileShmMap,     fileShmLock,     fileShmBarrier,    fileShmUnmap,
    fileFetch,   fileUnfetch,
};

FaultyVfs* owner(sqlite3_vfs* vfs) { return static_cast<FaultyVfs*>(vfs->pAppData); }
sqlite3_vfs* base(sqlite3_vfs* vfs) { return owner(vfs)->base(); }

int vfsOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* outFlags) {
  FaultyFile* f = self(file);
  f->owner = owner(vfs);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->base.pMethods = nullptr;
  int rc = base(vfs)->xOpen(base(vfs), name, f->real, flags, outFlags);
  if (f->real->pMethods != nullptr) f->base.pMethods = &kFileMethods;
  return rc;
}
int vfsDelete(sqlite3_vfs* vfs, const char* name, int syncDir) { return base(vfs)->xDelete(base(vfs), name, syncDir); }
int vfsAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return base(vfs)->xAccess(base(vfs), name, flags, out);
}
int vfsFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return base(vfs)->xFullPathname(base(vfs), name, n, out);
}
void* vfsDlOpen(sqlite3_vfs* vfs, const char* name) { return base(vfs)->xDlOpen(base(vfs), name); }
void vfsDlError(sqlite3_vfs* vfs, int n, char* out) { base(vfs)->xDlError(base(vfs), n, out); }
void (*vfsDlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return base(vfs)->xDlSym(base(vfs), handle, symbol);
}
void vfsDlClose(sqlite3_vfs* vfs, void* handle) { base(vfs)->xDlClose(base(vfs), handle); }
int vfsRandomness(sqlite3_vfs* vfs, int n, char* out) { return base(vfs)->xRandomness(base(vfs), n, out); }
int vfsSleep(sqlite3_vfs* vfs, int micros) { return base(vfs)->xSleep(base(vfs), micros); }
int vfsCurrentTime(sqlite3_vfs* vfs, double* out) { return base(vfs)->xCurrentTime(base(vfs), out); }
int vfsGetLastError(sqlite3_vfs* vfs, int n, char* out) {
  if (int err = owner(vfs)->lastErrno(); err != 0) return err;
  return base(vfs)->xGetLastError(base(vfs), n, out);
}
int vfsCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return base(vfs)->xCurrentTimeInt64(base(vfs), out);
}

}  // namespace

// The name is unique per live object: registration is process-wide.
FaultyVfs::FaultyVfs()
    : name_("rollway-faulty-" + std::to_string(reinterpret_cast<uintptr_t>(this))), base_(sqlite3_vfs_find(nullptr)) {
  vfs_.iVersion = 2;
  vfs_.szOsFile = static_cast<int>(sizeof(FaultyFile)) + base_->szOsFile;
  vfs_.mxPathname = base_->mxPathname;
  vfs_.zName = name_.c_str();
  vfs_.pAppData = this;
  vfs_.xOpen = vfsOpen;
  vfs_.xDelete = vfsDelete;
  vfs_.xAccess = vfsAccess;
  vfs_.xFullPathname = vfsFullPathname;
  vfs_.xDlOpen = vfsDlOpen;
  vfs_.xDlError = vfsDlError;
  vfs_.xDlSym = vfsDlSym;
  vfs_.xDlClose = vfsDlClose;
  vfs_.xRandomness = vfsRandomness;
  vfs_.xSleep = vfsSleep;
  vfs_.xCurrentTime = vfsCurrentTime;
  vfs_.xGetLastError = vfsGetLastError;
  vfs_.xCurrentTimeInt64 = vfsCurrentTimeInt64;
  sqlite3_vfs_register(&vfs_, /*makeDflt=*/0);
}

FaultyVfs::~FaultyVfs() { sqlite3_vfs_unregister(&vfs_); }

int FaultyVfs::failWrite() {
  switch (fault_.load()) {
    case Fault::kNone:
      return SQLITE_OK;
    case Fault::kFull:
      lastErrno_ = ENOSPC;
      ++failedWrites_;
      return SQLITE_FULL;
    case Fault::kIoError:
      lastErrno_ = EIO;
      ++failedWrites_;
      return SQLITE_IOERR_WRITE;
    case Fault::kReadOnly:
      lastErrno_ = EROFS;
      ++failedWrites_;
      return SQLITE_IOERR_WRITE;
  }
  return SQLITE_OK;
}

}  // namespace rollway::store
