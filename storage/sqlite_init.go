package storage

import "log/slog"

// init sets SQLite up before the first connection opens: go-sqlite3 opens
// none in its own init, which runs before this package's. The memory
// statistics go first, as they can only be turned off before SQLite
// initializes; registering the VFS initializes it.
func init() {
	memoryStatisticsOff()
	if err := registerWALVFS(); err != nil {
		// The writers then open files through the default VFS: slower,
		// not less safe.
		slog.Warn("SQLite set-up", "error", err)
	}
}
