package storage

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
}

// Sub is s minus an earlier reading.
func (s Stats) Sub(before Stats) Stats {
	return Stats{Transactions: s.Transactions - before.Transactions, Commits: s.Commits - before.Commits,
		Statements: s.Statements - before.Statements}
}

// Stats reads the counters.
func (db *DB) Stats() Stats {
	return Stats{Transactions: db.transactions.Load(), Commits: db.commits.Load(), Statements: db.statements.Load()}
}
