package storage

// Log writes in one piece. SQLite writes each frame of the write-ahead
// log with two write calls, its 24-byte header and then its page, so a
// COMMIT of n pages makes 2n system calls, each a trip through the
// kernel's page cache. A transaction of a saga step changes 10 to 25 pages
// (a row and its indexes in each table it touches, the outbox's and the
// inbox's), and under a moderate load few transactions share a COMMIT:
// the log's writes took 18% of the CPU at half the peak rate.
//
// The writer connection opens its files through a VFS of our own
// (walvfs.c) that wraps the default one. The log's writes are gathered in
// memory while they follow one another and passed on in one write once
// the transaction's commit frame is complete; a read, a sync, a size or
// a close of the log passes them on first. On this machine a COMMIT of 15
// pages went from 25 µs of writes to 4.
//
// Nothing changes on disk, nor when: SQLite publishes a transaction to
// readers (in the shared-memory index) only after writing its commit
// frame, by which time the frames are in the file, and with
// synchronous=FULL its sync comes after that. A process killed in between
// loses a transaction that had not committed, as it would without the
// VFS. The other files (the database, the shared memory) are the default
// VFS's own.

/*
#include <stdlib.h>

int sagalab_walvfs_register(const char *name);
int sagalab_walvfs_registered(const char *name);
*/
import "C"

import (
	"fmt"
	"log/slog"
	"unsafe"
)

// init sets SQLite up before the first connection opens: go-sqlite3 opens
// none in its own init, which runs before this package's. The memory
// statistics go first (memstatus.go), as they can only be turned off
// before SQLite initializes; registering the VFS initializes it.
func init() {
	memoryStatisticsOff()
	if err := registerWALVFS(); err != nil {
		// The writers then open files through the default VFS: slower,
		// not less safe.
		slog.Warn("SQLite set-up", "error", err)
	}
}

// registerWALVFS registers the VFS, which initializes SQLite.
func registerWALVFS() error {
	// SQLite keeps the name for ever: it is never freed.
	if rc := C.sagalab_walvfs_register(C.CString(walVFS)); rc != 0 {
		return fmt.Errorf("register the %s VFS: SQLite error %d", walVFS, rc)
	}
	return nil
}

// walVFSRegistered reports whether the VFS is registered: writers open
// their files through it when it is.
func walVFSRegistered() bool {
	name := C.CString(walVFS)
	defer C.free(unsafe.Pointer(name))
	return C.sagalab_walvfs_registered(name) != 0
}
