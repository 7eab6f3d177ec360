package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Tx is one local transaction on a module's file, as WriteTx hands it to its
// function. It offers statements and an after-commit hook, not Commit or
// Rollback: WriteTx ends the transaction when the function returns.
type Tx struct {
	tx       *sql.Tx
	db       *DB
	onCommit []func()
	stmts    int64 // statements run, for Stats
	depth    int   // savepoints open (Savepoint)
	marks    *txMarks
}

// A statement of a transaction is not cut short when ctx is cancelled:
// SQLite answers an interrupted write by rolling back the whole
// transaction, which group commit shares with other callers. The
// statements are short; WriteTx checks ctx before running fn.

// ExecContext runs a statement that returns no rows.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.stmts++
	return t.tx.ExecContext(context.WithoutCancel(ctx), query, args...)
}

// QueryContext runs a query that returns rows.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.stmts++
	return t.tx.QueryContext(context.WithoutCancel(ctx), query, args...)
}

// QueryRowContext runs a query that returns at most one row.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	t.stmts++
	return t.tx.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// PrepareContext prepares a statement for use within the transaction; run
// it with a context that is not cancelled (see above).
func (t *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(context.WithoutCancel(ctx), query)
}

// OnCommit registers f to run once the transaction has committed (never if
// it rolls back), after WriteTx's COMMIT and before WriteTx returns. Hooks
// run in the order they were registered; they must not block.
func (t *Tx) OnCommit(f func()) { t.onCommit = append(t.onCommit, f) }

// Rollbacks counts the work undone on the transaction's file since it was
// opened: transactions and savepoints rolled back, COMMITs that failed,
// files replaced. Code that keeps in memory what its transactions wrote
// (an outbox's last position on a topic) may trust it while the count
// stays what it was when the write was made: the writes on a file run one
// at a time, and a rollback is counted before the next one starts.
func (t *Tx) Rollbacks() uint64 { return t.db.rollbacks.Load() }

// committed runs the after-commit hooks.
func (t *Tx) committed() {
	for _, f := range t.onCommit {
		f()
	}
}

// Querier is what the reader pool (*sql.DB) and a transaction offer for
// reading.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Execer is what a transaction offers for writing.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ReadWriter is a transaction's reads and writes: what code that changes
// tables needs, whether it is given a *Tx or a wrapper of one.
type ReadWriter interface {
	Querier
	Execer
}

// Savepoint runs fn inside a SAVEPOINT of the transaction: when fn fails,
// what it changed is rolled back and its after-commit hooks dropped, and the
// rest of the transaction stays. It returns fn's error; if SQLite cannot
// roll back to the savepoint, the transaction is lost and the error says so
// (return it, so WriteTx fails).
func (t *Tx) Savepoint(fn func() error) error {
	t.depth++
	name := nestedName(t.depth)
	defer func() { t.depth-- }()
	if err := t.marks.exec("SAVEPOINT " + name); err != nil {
		return fmt.Errorf("savepoint: %w: %w", ErrTransactionLost, err)
	}
	hooks := len(t.onCommit)
	if err := fn(); err != nil {
		t.onCommit = t.onCommit[:hooks]
		t.db.rollbacks.Add(1)
		if rbErr := t.marks.exec("ROLLBACK TO " + name); rbErr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w: %w", ErrTransactionLost, rbErr))
		}
		if relErr := t.marks.exec("RELEASE " + name); relErr != nil {
			return errors.Join(err, fmt.Errorf("release savepoint: %w: %w", ErrTransactionLost, relErr))
		}
		return err
	}
	if err := t.marks.exec("RELEASE " + name); err != nil {
		return fmt.Errorf("release savepoint: %w: %w", ErrTransactionLost, err)
	}
	return nil
}

// ErrTransactionLost is wrapped by a Savepoint error after which the
// transaction cannot go on: its function must fail.
var ErrTransactionLost = errors.New("the transaction cannot go on")
