// Package monolith is the store as the slides' starting point builds it: one
// module on one SQLite file (store.db) holding both customers and orders,
// where Create Order is a single ACID transaction (read the customer, check
// the credit, insert the order APPROVED or REJECTED, update the reservation,
// commit) and a query across customers and orders is one SQL join.
//
// It answers the same REST contract as the microservices, so the same
// clients and end-to-end cases run against both, and it is the baseline the
// benchmarks measure the sagas against.
package monolith

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"sagalab/storage"
)

// FileName is the monolith's one database file in a data directory.
const FileName = "store.db"

// Architecture is what the monolith's orders report as the architecture
// that handled them.
const Architecture = "monolith"

// Config says how to open a Store.
type Config struct {
	// DataDir holds store.db.
	DataDir string
	// Synchronous is SQLite's synchronous setting.
	Synchronous storage.Synchronous
	// NewID makes the ids of each kind of thing ("customer", "order");
	// time-ordered ids (storage.IDs) by default.
	NewID func(kind string) string
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// Observer, if set, is told about each committed transaction.
	Observer func(Commit)
	// ReadOnly opens an existing store.db for queries only, even while
	// another process serves it.
	ReadOnly bool
}

// Commit is one committed local transaction: what it read, decided and
// wrote, in order, for whoever shows it.
type Commit struct {
	// Kind is "customer", "order" or "cancel".
	Kind string
	// ID is the customer or order the transaction concerns.
	ID    string
	Notes []string
}

// Store is the monolith: customers and orders in one database.
type Store struct {
	db      *storage.DB
	newID   func(kind string) string
	now     func() time.Time
	observe func(Commit)
	commits atomic.Int64
}

// Errors of the command API, for errors.Is; the errors returned say what
// was wrong.
var (
	ErrInvalid     = errors.New("invalid input")
	ErrNotApproved = errors.New("only an APPROVED order can be cancelled")
)

type invalidError struct{ msg string }

func invalid(format string, args ...any) error { return &invalidError{fmt.Sprintf(format, args...)} }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Limits on what a request may name.
const (
	MaxNameLength = 200
	MaxIDLength   = 200
)

// Open opens (creating it if needed) store.db in cfg.DataDir.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("open the monolith: no data directory")
	}
	if cfg.NewID == nil {
		ids := storage.NewIDs(nil)
		cfg.NewID = func(string) string { return ids.New() }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	path := filepath.Join(cfg.DataDir, FileName)
	var db *storage.DB
	var err error
	if cfg.ReadOnly {
		if _, statErr := os.Stat(path); statErr != nil {
			return nil, fmt.Errorf("no monolith data in %s (looked for %s): give the directory with --data", cfg.DataDir, FileName)
		}
		db, err = storage.OpenReadOnly(ctx, path, migrations)
	} else {
		db, err = storage.Open(ctx, path, migrations, storage.Options{Synchronous: cfg.Synchronous})
	}
	if err != nil {
		return nil, fmt.Errorf("open the monolith: %w", err)
	}
	return &Store{db: db, newID: cfg.NewID, now: cfg.Now, observe: cfg.Observer}, nil
}

// Observe makes fn, if not nil, be told about each committed transaction
// from now on, in place of Config.Observer. Call it before the store is
// used concurrently.
func (s *Store) Observe(fn func(Commit)) {
	if fn != nil {
		s.observe = fn
	}
}

// Close closes store.db.
func (s *Store) Close() error { return s.db.Close() }

// Path is store.db's path.
func (s *Store) Path() string { return s.db.Path() }

// Commits counts the transactions the store has committed since it opened.
func (s *Store) Commits() int64 { return s.commits.Load() }

// Stats reads store.db's write counters.
func (s *Store) Stats() storage.Stats { return s.db.Stats() }

// write runs fn in one local transaction, counts its commit and tells the
// observer what it did. fn describes its steps with note.
func (s *Store) write(ctx context.Context, kind, id string, fn func(tx *storage.Tx, note func(string, ...any)) error) error {
	c := Commit{Kind: kind, ID: id}
	err := s.db.WriteTx(ctx, func(tx *storage.Tx) error {
		c.Notes = append(c.Notes[:0], "BEGIN")
		return fn(tx, func(format string, args ...any) { c.Notes = append(c.Notes, fmt.Sprintf(format, args...)) })
	})
	if err != nil {
		return err
	}
	s.commits.Add(1)
	if s.observe != nil {
		c.Notes = append(c.Notes, "COMMIT")
		s.observe(c)
	}
	return nil
}
