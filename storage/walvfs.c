// A SQLite VFS that writes each transaction's log frames with one write.
// See walvfs.go for why and when it writes.
//
// The structures below are SQLite's VFS interface (sqlite3.h), declared
// here because go-sqlite3's copy of the header is not on this package's
// include path; SQLite keeps their layout stable across versions.

#include <stdlib.h>
#include <string.h>

typedef long long walvfs_int64;

typedef struct sqlite3_file sqlite3_file;
typedef struct sqlite3_io_methods sqlite3_io_methods;
typedef struct sqlite3_vfs sqlite3_vfs;

struct sqlite3_file {
	const sqlite3_io_methods *pMethods;
};

struct sqlite3_io_methods {
	int iVersion;
	int (*xClose)(sqlite3_file *);
	int (*xRead)(sqlite3_file *, void *, int, walvfs_int64);
	int (*xWrite)(sqlite3_file *, const void *, int, walvfs_int64);
	int (*xTruncate)(sqlite3_file *, walvfs_int64);
	int (*xSync)(sqlite3_file *, int);
	int (*xFileSize)(sqlite3_file *, walvfs_int64 *);
	int (*xLock)(sqlite3_file *, int);
	int (*xUnlock)(sqlite3_file *, int);
	int (*xCheckReservedLock)(sqlite3_file *, int *);
	int (*xFileControl)(sqlite3_file *, int, void *);
	int (*xSectorSize)(sqlite3_file *);
	int (*xDeviceCharacteristics)(sqlite3_file *);
	int (*xShmMap)(sqlite3_file *, int, int, int, void volatile **);
	int (*xShmLock)(sqlite3_file *, int, int, int);
	void (*xShmBarrier)(sqlite3_file *);
	int (*xShmUnmap)(sqlite3_file *, int);
	int (*xFetch)(sqlite3_file *, walvfs_int64, int, void **);
	int (*xUnfetch)(sqlite3_file *, walvfs_int64, void *);
};

typedef void (*walvfs_syscall_ptr)(void);

struct sqlite3_vfs {
	int iVersion;
	int szOsFile;
	int mxPathname;
	sqlite3_vfs *pNext;
	const char *zName;
	void *pAppData;
	int (*xOpen)(sqlite3_vfs *, const char *, sqlite3_file *, int, int *);
	int (*xDelete)(sqlite3_vfs *, const char *, int);
	int (*xAccess)(sqlite3_vfs *, const char *, int, int *);
	int (*xFullPathname)(sqlite3_vfs *, const char *, int, char *);
	void *(*xDlOpen)(sqlite3_vfs *, const char *);
	void (*xDlError)(sqlite3_vfs *, int, char *);
	void (*(*xDlSym)(sqlite3_vfs *, void *, const char *))(void);
	void (*xDlClose)(sqlite3_vfs *, void *);
	int (*xRandomness)(sqlite3_vfs *, int, char *);
	int (*xSleep)(sqlite3_vfs *, int);
	int (*xCurrentTime)(sqlite3_vfs *, double *);
	int (*xGetLastError)(sqlite3_vfs *, int, char *);
	int (*xCurrentTimeInt64)(sqlite3_vfs *, walvfs_int64 *);
	int (*xSetSystemCall)(sqlite3_vfs *, const char *, walvfs_syscall_ptr);
	walvfs_syscall_ptr (*xGetSystemCall)(sqlite3_vfs *, const char *);
	const char *(*xNextSystemCall)(sqlite3_vfs *, const char *);
};

sqlite3_vfs *sqlite3_vfs_find(const char *);
int sqlite3_vfs_register(sqlite3_vfs *, int);

enum {
	WALVFS_OK = 0,
	WALVFS_ERROR = 1,
	WALVFS_IOERR_WRITE = 10 | (3 << 8),
	WALVFS_OPEN_WAL = 0x00080000,
	// A frame header is 24 bytes; bytes 4-7 hold, in a transaction's last
	// frame (its commit frame), the database's size in pages, and 0 in
	// the others.
	WALVFS_FRAME_HEADER = 24,
	// At most this many bytes wait: the unix VFS writes less than 128
	// KiB per call. A write that would take them past it sends them
	// first.
	WALVFS_MAX_PENDING = 120 * 1024,
};

// walFile is a write-ahead log opened through the VFS: the real file
// (right after it in memory) and the writes not yet passed on to it,
// which are contiguous: pending bytes from offset at.
typedef struct walFile {
	sqlite3_file base;
	sqlite3_file *real;
	char *buf;
	int len;
	walvfs_int64 at;
	// commitPage is, after a commit frame's header was written, the
	// offset of its page: the write that reaches past it ends the
	// transaction's frames. 0 when none is due.
	walvfs_int64 commitPage;
	// next is the offset right after the last write.
	walvfs_int64 next;
} walFile;

// walvfs is the VFS; its pAppData is the VFS it wraps.
static sqlite3_vfs walvfs;

static sqlite3_vfs *realVFS(sqlite3_vfs *v) { return (sqlite3_vfs *)v->pAppData; }

// flush passes the pending writes on to the real file. A failed write is
// reported once and its bytes dropped: SQLite abandons the transaction.
// It leaves commitPage alone: a flush that makes room, between a commit
// frame's header and its page, must not let the page wait.
static int flush(walFile *w) {
	if (w->len == 0) {
		return WALVFS_OK;
	}
	int rc = w->real->pMethods->xWrite(w->real, w->buf, w->len, w->at);
	w->len = 0;
	return rc;
}

// reserve allocates the buffer of pending writes, or reports 0.
static int reserve(walFile *w) {
	if (w->buf == NULL) {
		w->buf = malloc(WALVFS_MAX_PENDING);
	}
	return w->buf != NULL;
}

// walWrite buffers a write, and passes the pending ones on when it ends a
// transaction's frames: when it reaches past the page of a commit frame.
// A commit frame's header that is not written right after the write
// before it rewrites an earlier frame (SQLite rewrites the headers of a
// transaction that wrote a page twice, after its last frame): it goes out
// at once, as no page may follow it.
static int walWrite(sqlite3_file *f, const void *p, int n, walvfs_int64 off) {
	walFile *w = (walFile *)f;
	int appended = off == w->next;
	w->next = off + n;
	walvfs_int64 end = w->at + w->len;
	if (w->len > 0 && off >= w->at && off + n <= end) {
		// A frame of the open transaction written again.
		memcpy(w->buf + (off - w->at), p, n);
	} else {
		if (w->len > 0 && (off != end || w->len + n > WALVFS_MAX_PENDING)) {
			int rc = flush(w);
			if (rc != WALVFS_OK) {
				return rc;
			}
		}
		if (n > WALVFS_MAX_PENDING || !reserve(w)) {
			int rc = flush(w);
			if (rc != WALVFS_OK) {
				return rc;
			}
			return w->real->pMethods->xWrite(w->real, p, n, off);
		}
		if (w->len == 0) {
			w->at = off;
		}
		memcpy(w->buf + w->len, p, n);
		w->len += n;
	}
	const unsigned char *h = p;
	if (n == WALVFS_FRAME_HEADER && (h[4] | h[5] | h[6] | h[7])) {
		int rc = appended ? WALVFS_OK : flush(w);
		w->commitPage = off + n;
		return rc;
	}
	if (w->commitPage > 0 && off + n > w->commitPage) {
		w->commitPage = 0;
		return flush(w);
	}
	return WALVFS_OK;
}

static int walClose(sqlite3_file *f) {
	walFile *w = (walFile *)f;
	int rc = flush(w);
	int closed = w->real->pMethods->xClose(w->real);
	free(w->buf);
	w->buf = NULL;
	return rc != WALVFS_OK ? rc : closed;
}

static int walRead(sqlite3_file *f, void *p, int n, walvfs_int64 off) {
	walFile *w = (walFile *)f;
	int rc = flush(w);
	return rc != WALVFS_OK ? rc : w->real->pMethods->xRead(w->real, p, n, off);
}

static int walTruncate(sqlite3_file *f, walvfs_int64 size) {
	walFile *w = (walFile *)f;
	int rc = flush(w);
	return rc != WALVFS_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int walSync(sqlite3_file *f, int flags) {
	walFile *w = (walFile *)f;
	int rc = flush(w);
	return rc != WALVFS_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int walFileSize(sqlite3_file *f, walvfs_int64 *size) {
	walFile *w = (walFile *)f;
	int rc = flush(w);
	return rc != WALVFS_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int walLock(sqlite3_file *f, int lock) {
	walFile *w = (walFile *)f;
	return w->real->pMethods->xLock(w->real, lock);
}

static int walUnlock(sqlite3_file *f, int lock) {
	walFile *w = (walFile *)f;
	int rc = flush(w);
	int unlocked = w->real->pMethods->xUnlock(w->real, lock);
	return rc != WALVFS_OK ? rc : unlocked;
}

static int walCheckReservedLock(sqlite3_file *f, int *out) {
	walFile *w = (walFile *)f;
	return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int walFileControl(sqlite3_file *f, int op, void *arg) {
	walFile *w = (walFile *)f;
	int rc = flush(w);
	return rc != WALVFS_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int walSectorSize(sqlite3_file *f) {
	walFile *w = (walFile *)f;
	return w->real->pMethods->xSectorSize(w->real);
}

static int walDeviceCharacteristics(sqlite3_file *f) {
	walFile *w = (walFile *)f;
	return w->real->pMethods->xDeviceCharacteristics(w->real);
}

static int walShmMap(sqlite3_file *f, int pg, int size, int extend, void volatile **p) {
	walFile *w = (walFile *)f;
	return w->real->pMethods->xShmMap(w->real, pg, size, extend, p);
}

static int walShmLock(sqlite3_file *f, int offset, int n, int flags) {
	walFile *w = (walFile *)f;
	return w->real->pMethods->xShmLock(w->real, offset, n, flags);
}

static void walShmBarrier(sqlite3_file *f) {
	walFile *w = (walFile *)f;
	w->real->pMethods->xShmBarrier(w->real);
}

static int walShmUnmap(sqlite3_file *f, int del) {
	walFile *w = (walFile *)f;
	return w->real->pMethods->xShmUnmap(w->real, del);
}

static int walFetch(sqlite3_file *f, walvfs_int64 off, int n, void **p) {
	walFile *w = (walFile *)f;
	int rc = flush(w);
	if (rc != WALVFS_OK) {
		return rc;
	}
	return w->real->pMethods->xFetch(w->real, off, n, p);
}

static int walUnfetch(sqlite3_file *f, walvfs_int64 off, void *p) {
	walFile *w = (walFile *)f;
	return w->real->pMethods->xUnfetch(w->real, off, p);
}

// walMethods serves logs whose real file has version 3 methods, as the
// unix VFS's files do; walMethods2 serves those with version 2 ones.
static const sqlite3_io_methods walMethods = {
	3, walClose, walRead, walWrite, walTruncate, walSync, walFileSize, walLock, walUnlock,
	walCheckReservedLock, walFileControl, walSectorSize, walDeviceCharacteristics,
	walShmMap, walShmLock, walShmBarrier, walShmUnmap, walFetch, walUnfetch,
};
static const sqlite3_io_methods walMethods2 = {
	2, walClose, walRead, walWrite, walTruncate, walSync, walFileSize, walLock, walUnlock,
	walCheckReservedLock, walFileControl, walSectorSize, walDeviceCharacteristics,
	walShmMap, walShmLock, walShmBarrier, walShmUnmap, NULL, NULL,
};

// realOffset is where, in a file object of the VFS, a log's real file
// starts.
static int realOffset(void) { return (sizeof(walFile) + 15) & ~15; }

static int vfsOpen(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *outFlags) {
	sqlite3_vfs *real = realVFS(v);
	if (!(flags & WALVFS_OPEN_WAL)) {
		// Any other file is the real VFS's own, in the same memory.
		return real->xOpen(real, name, f, flags, outFlags);
	}
	walFile *w = (walFile *)f;
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)((char *)f + realOffset());
	int rc = real->xOpen(real, name, w->real, flags, outFlags);
	if (rc != WALVFS_OK) {
		w->base.pMethods = NULL;
		return rc;
	}
	if (w->real->pMethods == NULL || w->real->pMethods->iVersion < 2) {
		// Not a file this VFS can wrap: close it and fail the open.
		if (w->real->pMethods != NULL) {
			w->real->pMethods->xClose(w->real);
		}
		w->base.pMethods = NULL;
		return WALVFS_ERROR;
	}
	w->base.pMethods = w->real->pMethods->iVersion >= 3 ? &walMethods : &walMethods2;
	return WALVFS_OK;
}

static int vfsDelete(sqlite3_vfs *v, const char *name, int syncDir) {
	return realVFS(v)->xDelete(realVFS(v), name, syncDir);
}
static int vfsAccess(sqlite3_vfs *v, const char *name, int flags, int *out) {
	return realVFS(v)->xAccess(realVFS(v), name, flags, out);
}
static int vfsFullPathname(sqlite3_vfs *v, const char *name, int n, char *out) {
	return realVFS(v)->xFullPathname(realVFS(v), name, n, out);
}
static void *vfsDlOpen(sqlite3_vfs *v, const char *name) { return realVFS(v)->xDlOpen(realVFS(v), name); }
static void vfsDlError(sqlite3_vfs *v, int n, char *msg) { realVFS(v)->xDlError(realVFS(v), n, msg); }
static void (*vfsDlSym(sqlite3_vfs *v, void *h, const char *sym))(void) {
	return realVFS(v)->xDlSym(realVFS(v), h, sym);
}
static void vfsDlClose(sqlite3_vfs *v, void *h) { realVFS(v)->xDlClose(realVFS(v), h); }
static int vfsRandomness(sqlite3_vfs *v, int n, char *out) { return realVFS(v)->xRandomness(realVFS(v), n, out); }
static int vfsSleep(sqlite3_vfs *v, int us) { return realVFS(v)->xSleep(realVFS(v), us); }
static int vfsCurrentTime(sqlite3_vfs *v, double *t) { return realVFS(v)->xCurrentTime(realVFS(v), t); }
static int vfsGetLastError(sqlite3_vfs *v, int n, char *msg) {
	return realVFS(v)->xGetLastError(realVFS(v), n, msg);
}
static int vfsCurrentTimeInt64(sqlite3_vfs *v, walvfs_int64 *t) {
	return realVFS(v)->xCurrentTimeInt64(realVFS(v), t);
}

// sagalab_walvfs_register registers the VFS as name, wrapping the default
// VFS (unix), and returns SQLite's result code. The default stays the
// default.
int sagalab_walvfs_register(const char *name) {
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);
	if (real == NULL || real->iVersion < 2 || real->xCurrentTimeInt64 == NULL) {
		return WALVFS_ERROR;
	}
	walvfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = realOffset() + real->szOsFile,
		.mxPathname = real->mxPathname,
		.zName = name,
		.pAppData = real,
		.xOpen = vfsOpen,
		.xDelete = vfsDelete,
		.xAccess = vfsAccess,
		.xFullPathname = vfsFullPathname,
		.xDlOpen = vfsDlOpen,
		.xDlError = vfsDlError,
		.xDlSym = vfsDlSym,
		.xDlClose = vfsDlClose,
		.xRandomness = vfsRandomness,
		.xSleep = vfsSleep,
		.xCurrentTime = vfsCurrentTime,
		.xGetLastError = vfsGetLastError,
		.xCurrentTimeInt64 = vfsCurrentTimeInt64,
	};
	return sqlite3_vfs_register(&walvfs, 0);
}

// sagalab_walvfs_registered reports whether a VFS is registered as name.
int sagalab_walvfs_registered(const char *name) { return sqlite3_vfs_find(name) != NULL; }
