package storage

import (
	"context"
	"fmt"
	"os"
)

// OpenReadOnly opens the existing SQLite file at path for reading only: it
// creates nothing, writes nothing and takes no lock, so it may run beside
// the process that writes the file. The file's schema must be the one
// migrations make; WriteTx on the DB returns ErrReadOnly.
func OpenReadOnly(ctx context.Context, path string, migrations []Migration) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	read, err := openReaders(path, SyncNormal)
	if err != nil {
		return nil, err
	}
	var version int
	if err := read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		read.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	switch {
	case version > len(migrations):
		read.Close()
		return nil, fmt.Errorf("%s: schema version %d is newer than this sagalab knows (%d): use a newer binary",
			path, version, len(migrations))
	case version < len(migrations):
		read.Close()
		return nil, fmt.Errorf("%s: schema version %d is older than this sagalab's (%d): "+
			"run sagalab serve on the directory once to upgrade it", path, version, len(migrations))
	}
	db := &DB{path: path, sync: SyncNormal}
	db.read.Store(read)
	return db, nil
}
