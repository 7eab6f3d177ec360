package storage

import "time"

// Stats counts what a DB's writer has done since the file was opened.
type Stats struct {
	// Transactions counts the local transactions that committed: WriteTx
	// calls whose function returned nil and whose commit succeeded.
	Transactions int64
	// Commits counts SQLite COMMITs on the file: each one a write of the
	// WAL (and, with synchronous=FULL, an fsync). Group commit makes it
	// smaller than Transactions.
	Commits int64
	// Statements counts the statements committed transactions ran through
	// Tx (ExecContext, QueryContext, QueryRowContext; not statements
	// prepared with PrepareContext, nor BEGIN, SAVEPOINT or COMMIT).
	Statements int64
	// Busy is the writer's time in transactions, from BEGIN to the end of
	// COMMIT or ROLLBACK, waits for the processor included: while it
	// runs one, every other write to the file waits. A writer busy most
	// of the time is the queue a load's latency grows in.
	Busy time.Duration
}

// Sub is s minus an earlier reading.
func (s Stats) Sub(before Stats) Stats {
	return Stats{Transactions: s.Transactions - before.Transactions, Commits: s.Commits - before.Commits,
		Statements: s.Statements - before.Statements, Busy: s.Busy - before.Busy}
}

// Stats reads the counters.
func (db *DB) Stats() Stats {
	return Stats{Transactions: db.transactions.Load(), Commits: db.commits.Load(), Statements: db.statements.Load(),
		Busy: time.Duration(db.busy.Load())}
}

// timeBusy adds the time since began to the writer's busy time.
func (db *DB) timeBusy(began time.Time) { db.busy.Add(int64(time.Since(began))) }
