// Package storage opens a module's SQLite file, applies its migrations and
// runs local transactions on it.
//
// Each module owns exactly one file. A DB holds two handles on that file: a
// single writer connection (SQLite allows one writer at a time, and one
// connection that never waits on a lock is the fastest way to use it) and a
// pool of read-only connections that WAL mode lets run beside the writer.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// Synchronous is SQLite's synchronous setting for the writer.
type Synchronous string

// The synchronous settings sagalab supports. In WAL mode NORMAL survives an
// application crash (the case sagalab tests) but may lose the last
// transactions on power loss; FULL also survives power loss.
const (
	SyncNormal Synchronous = "NORMAL"
	SyncFull   Synchronous = "FULL"
)

// ParseSynchronous turns a flag value ("normal", "full") into a Synchronous.
func ParseSynchronous(s string) (Synchronous, error) {
	switch s {
	case "normal", "NORMAL", "":
		return SyncNormal, nil
	case "full", "FULL":
		return SyncFull, nil
	}
	return "", fmt.Errorf("synchronous must be normal or full, not %q", s)
}

// Options tune how a file is opened.
type Options struct {
	// Synchronous is the writer's PRAGMA synchronous; empty means NORMAL.
	Synchronous Synchronous
	// GroupCommit lets concurrent WriteTx calls share one transaction and
	// one COMMIT, each inside its own savepoint (see group.go).
	GroupCommit bool
}

// DB is one module's SQLite file.
type DB struct {
	path string
	sync Synchronous
	// swap is held shared by transactions and Read, and exclusively by
	// Replace while it changes the handles.
	swap  sync.RWMutex
	write *sql.DB // nil when opened read-only
	marks marks   // the writer's savepoint statements
	read  atomic.Pointer[sql.DB]
	// transactions, commits and statements are counted for Stats, and
	// busy, the writer's time in transactions, in nanoseconds.
	transactions, commits, statements, busy atomic.Int64
	// rollbacks counts the work undone on the file (see Tx.Rollbacks).
	rollbacks atomic.Uint64
	// serial runs WriteTx calls without group commit one at a time, so
	// that rollbacks is counted before the next one begins: a token.
	serial chan struct{}
	// grouped turns group commit on; group is its queue.
	grouped bool
	group   committer
	// flush flushes the log in the background at synchronous=NORMAL
	// (walflush.go); nil otherwise.
	flush *flusher
}

// Open opens (creating it if needed) the SQLite file at path and applies the
// migrations that have not been applied yet.
func Open(ctx context.Context, path string, migrations []Migration, opts Options) (*DB, error) {
	if opts.Synchronous == "" {
		opts.Synchronous = SyncNormal
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db := &DB{path: path, sync: opts.Synchronous, grouped: opts.GroupCommit, serial: make(chan struct{}, 1)}
	if err := db.open(ctx, migrations); err != nil {
		return nil, err
	}
	if db.sync == SyncNormal {
		db.startFlusher()
	}
	return db, nil
}

// open opens the writer, migrates and opens the readers.
func (db *DB) open(ctx context.Context, migrations []Migration) error {
	write, marks, err := openWriter(ctx, db.path, db.sync)
	if err != nil {
		return err
	}
	db.write, db.marks = write, marks
	if err := db.migrate(ctx, migrations); err != nil {
		db.closeHandles()
		return fmt.Errorf("migrate %s: %w", db.path, err)
	}
	read, err := openReaders(db.path, db.sync)
	if err != nil {
		db.closeHandles()
		return err
	}
	db.read.Store(read)
	return nil
}

// openWriter opens the single writer connection on path, with its
// savepoint statements prepared.
func openWriter(ctx context.Context, path string, sync Synchronous) (*sql.DB, marks, error) {
	write, err := openWriterConn(ctx, path, sync)
	if err != nil {
		return nil, nil, err
	}
	m, err := prepareMarks(ctx, write)
	if err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	return write, m, nil
}

// openWriterConn opens and sets up the writer connection on path.
func openWriterConn(ctx context.Context, path string, sync Synchronous) (*sql.DB, error) {
	write, err := sql.Open("sqlite3", dsn(path, sync, false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Savepoints (group commit, batched consumption) copy every page a
	// transaction's unit of work changes to a sub-journal, which SQLite
	// spills to a temporary file past 64 KiB; kept in memory it costs a
	// copy. The pool keeps its one connection for ever, so the setting
	// holds.
	if _, err := write.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Checkpoint every 8,000 pages of log rather than 1,000: a page written
	// by many transactions in between is copied into the file once.
	if _, err := write.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 8000"); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return write, nil
}

// openReaders opens the pool of read-only connections on path.
func openReaders(path string, sync Synchronous) (*sql.DB, error) {
	read, err := sql.Open("sqlite3", dsn(path, sync, true))
	if err != nil {
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
	return read, nil
}

// walVFS is the name the log-gathering VFS is registered under (see
// walvfs.go).
const walVFS = "sagalab-wal"

func dsn(path string, sync Synchronous, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_stmt_cache_size", "128") // prepared statements kept per connection
	q.Set("_synchronous", string(sync))
	if readOnly {
		q.Set("mode", "ro")
		q.Set("_query_only", "on")
	} else {
		q.Set("_txlock", "immediate")
		// The writer keeps the pages a batch dirties (4 MiB, not the 2 MiB
		// default) so that a group commit does not spill them to the log
		// before its COMMIT. Not more: when a B-tree page splits, SQLite
		// (3.54) parks a page under the number of the lock page, past the
		// end of the file, and the COMMIT after that walks the whole page
		// cache to drop it. With 16 MiB that walk took 3.5% of the CPU in
		// bench sagas at half the peak rate (about 460 walks a second of
		// some 4,000 pages each); with 4 MiB it takes 1%, reads from the
		// log did not rise, and peak memory fell by 10-20 MB.
		q.Set("_cache_size", "-4096")
		if walVFSRegistered() {
			q.Set("vfs", walVFS) // see walvfs.go
		}
	}
	return "file:" + path + "?" + q.Encode()
}

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// Synchronous is the writer's synchronous setting.
func (db *DB) Synchronous() Synchronous { return db.sync }

// Reader is the pool of read-only connections, for queries. A file that
// may be replaced while in use (see Replace) is read through Read instead.
func (db *DB) Reader() *sql.DB { return db.read.Load() }

// Close closes both handles.
func (db *DB) Close() error {
	db.stopFlusher()
	db.swap.Lock()
	defer db.swap.Unlock()
	return db.closeHandles()
}

func (db *DB) closeHandles() error {
	var errs []error
	if read := db.read.Load(); read != nil {
		errs = append(errs, read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.marks.close(), db.write.Close())
	}
	return errors.Join(errs...)
}

// ErrReadOnly is returned by WriteTx on a file opened with OpenReadOnly.
var ErrReadOnly = errors.New("opened read-only")

// WriteTx runs fn in one immediate write transaction on the writer
// connection. It commits when fn returns nil and rolls back otherwise, so
// everything fn wrote becomes visible together or not at all. After the
// commit it runs the hooks fn registered with Tx.OnCommit. With group
// commit (Options.GroupCommit) fn may run on another goroutine, inside a
// savepoint of a transaction it shares with concurrent calls; the contract
// is the same: WriteTx returns nil only once fn's work has committed, and
// a failing fn undoes only its own work. fn runs once.
func (db *DB) WriteTx(ctx context.Context, fn func(tx *Tx) error) error {
	return db.writeTx(ctx, fn, writeMode{yield: true})
}

// WriteRepeatable is WriteTx for a function that may run more than once:
// one whose effects are all on tx and its OnCommit hooks, and that sets
// anew, on each run, whatever it hands back to its caller. A batch of
// such calls shares its transaction without a savepoint for each (see
// group.go); when one of them fails, the transaction rolls back and the
// others run again. The contract is otherwise WriteTx's.
func (db *DB) WriteRepeatable(ctx context.Context, fn func(tx *Tx) error) error {
	return db.writeTx(ctx, fn, writeMode{yield: true, repeatable: true})
}

// WriteGathered is WriteRepeatable for work that gathered a batch of its
// own (a consumer's waiting messages, whose handlers run at least once
// anyway) and yielded to let it fill: leading a group commit, it does not
// yield again. A second yield made the orchestration sagas of bench sagas
// about 4% slower, and their latency no better.
func (db *DB) WriteGathered(ctx context.Context, fn func(tx *Tx) error) error {
	return db.writeTx(ctx, fn, writeMode{repeatable: true})
}

// writeMode is how a write joins a group commit.
type writeMode struct {
	// yield: a leader yields before it takes the queue.
	yield bool
	// repeatable: fn may run more than once (WriteRepeatable).
	repeatable bool
}

// writeTx is WriteTx, WriteRepeatable and WriteGathered.
func (db *DB) writeTx(ctx context.Context, fn func(tx *Tx) error, mode writeMode) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	if db.write == nil {
		return fmt.Errorf("write to %s: %w", filepath.Base(db.path), ErrReadOnly)
	}
	if db.grouped {
		return db.groupWrite(ctx, fn, mode)
	}
	select {
	case db.serial <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("begin transaction on %s: %w", filepath.Base(db.path), ctx.Err())
	}
	defer func() { <-db.serial }()
	defer db.timeBusy(time.Now())
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction on %s: %w", filepath.Base(db.path), err)
	}
	tx := &Tx{tx: sqlTx, db: db, marks: newTxMarks(sqlTx, db.marks)}
	if err := fn(tx); err != nil {
		db.rollbacks.Add(1)
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		db.rollbacks.Add(1)
		return fmt.Errorf("commit on %s: %w", filepath.Base(db.path), err)
	}
	db.commits.Add(1)
	db.transactions.Add(1)
	db.statements.Add(tx.stmts)
	db.committed()
	tx.committed()
	return nil
}
