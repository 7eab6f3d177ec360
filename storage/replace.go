package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
)

// Read runs fn on the pool of read-only connections, holding off Replace
// until fn returns: what fn reads comes whole from one file.
func (db *DB) Read(fn func(r *sql.DB) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return fn(db.read.Load())
}

// Replace makes the complete SQLite file at src this DB's file: it waits
// for transactions and Reads in progress, closes the handles, renames src
// over the file and opens it again. The caller must have closed src, so
// that it has no write-ahead log of its own. Whoever holds the DB goes on
// using it and sees the new file.
func (db *DB) Replace(ctx context.Context, src string) error {
	db.swap.Lock()
	defer db.swap.Unlock()
	if db.write == nil {
		return fmt.Errorf("replace %s: %w", db.path, ErrReadOnly)
	}
	db.rollbacks.Add(1) // what was kept in memory about the file may not hold for the new one
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("replace %s: %w", db.path, err)
	}
	// Closing the last connection checkpoints the log into the file.
	if err := db.closeHandles(); err != nil {
		return errors.Join(fmt.Errorf("replace %s: close: %w", db.path, err), db.reopen(ctx))
	}
	// A log left behind must not be applied to the new file.
	for _, f := range []string{db.path + "-wal", db.path + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return errors.Join(fmt.Errorf("replace %s: %w", db.path, err), db.reopen(ctx))
		}
	}
	if err := os.Rename(src, db.path); err != nil {
		return errors.Join(fmt.Errorf("replace %s: %w", db.path, err), db.reopen(ctx))
	}
	if err := db.reopen(ctx); err != nil {
		return fmt.Errorf("replace %s: %w", db.path, err)
	}
	return nil
}

// reopen opens the handles on the file again, with swap held.
func (db *DB) reopen(ctx context.Context) error {
	write, marks, err := openWriter(ctx, db.path, db.sync)
	if err != nil {
		return err
	}
	read, err := openReaders(db.path, db.sync)
	if err != nil {
		marks.close()
		write.Close()
		return err
	}
	db.write, db.marks = write, marks
	db.read.Store(read)
	return nil
}
