package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Group commit: concurrent WriteTx calls on one file share one SQLite
// transaction and so one COMMIT (one write of the log and, with
// synchronous=FULL, one fsync) instead of one each.
//
// A caller queues its function. If no one is writing, it becomes the
// leader: it yields once, to let goroutines ready to write queue too, and
// takes every function queued (a batch never waits to fill),
// begins one transaction, runs each function inside its own SAVEPOINT
// (RELEASE when it returns nil, ROLLBACK TO when it fails, so a failing
// function undoes only its own work), commits, runs the committed
// functions' after-commit hooks and tells every caller its outcome. Then
// it hands the lead to the oldest caller queued meanwhile, if any. A
// caller returns only after the COMMIT that made its work durable, or with
// its error; a failed COMMIT fails every function that had succeeded, and
// a transaction SQLite ended on its own (an I/O error, say) fails every
// function of the batch.
//
// A batch whose functions are all repeatable (WriteRepeatable,
// WriteGathered) runs first unguarded: the functions one after the other,
// without savepoints. A savepoint costs two statements and a copy of each
// page the function changes; in bench sagas, the creates' savepoints cost
// about 6% of an orchestration saga's CPU (260 -> 243 µs without). If a function fails there, its
// failure stands (it met the state the functions before it left, as it
// would have guarded), the transaction rolls back and the others run
// again, guarded.

// member is one WriteTx call waiting in, or running in, a batch.
type member struct {
	ctx        context.Context
	fn         func(*Tx) error
	repeatable bool
	tx         *Tx
	err        error
	panicked   any
	// turn says, once: true, lead the next batch; false, done (err is the
	// outcome).
	turn chan bool
}

// committer is a DB's queue of WriteTx calls.
type committer struct {
	mu     sync.Mutex
	queue  []*member
	active bool // a leader is running batches
}

// savepoint is the name each member's work runs under; members run one
// after another, so one name serves.
const savepoint = "member"

// groupWrite is writeTx with group commit; db.swap is read-held.
func (db *DB) groupWrite(ctx context.Context, fn func(*Tx) error, mode writeMode) error {
	m := &member{ctx: ctx, fn: fn, repeatable: mode.repeatable, turn: make(chan bool, 1)}
	g := &db.group
	g.mu.Lock()
	g.queue = append(g.queue, m)
	lead := !g.active
	g.active = true
	g.mu.Unlock()
	if !lead {
		lead = <-m.turn
	}
	if lead {
		// Yield once before taking the queue: the goroutines that are
		// ready to run and about to write join this batch instead of
		// each starting a batch of its own. With nothing else ready it
		// returns at once. In bench sagas it took COMMITs per saga from
		// about 1.3 to 0.2.
		if mode.yield {
			runtime.Gosched()
		}
		g.mu.Lock()
		batch := g.queue
		g.queue = nil
		g.mu.Unlock()
		db.runBatch(batch)
		g.mu.Lock()
		if len(g.queue) > 0 {
			g.queue[0].turn <- true
		} else {
			g.active = false
		}
		g.mu.Unlock()
	}
	if m.panicked != nil {
		panic(m.panicked)
	}
	return m.err
}

// runBatch runs batch in one transaction and tells each member but the
// leader (which has no one to wait for) its outcome.
func (db *DB) runBatch(batch []*member) {
	began := time.Now()
	defer func() {
		db.timeBusy(began)
		for _, m := range batch {
			select {
			case m.turn <- false:
			default: // the leader's own channel may be full from a hand-over; it reads err directly
			}
		}
	}()
	if len(batch) > 1 && repeatable(batch) && db.runUnguarded(batch) {
		return
	}
	db.runGuarded(batch)
}

// repeatable reports whether every member of batch may run more than once.
func repeatable(batch []*member) bool {
	for _, m := range batch {
		if !m.repeatable {
			return false
		}
	}
	return true
}

// begin begins a batch's transaction, or fails every member of batch.
func (db *DB) begin(batch []*member) (*sql.Tx, bool) {
	// The transaction belongs to no one member: one member's cancelled
	// context must not end it.
	sqlTx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		for _, m := range batch {
			m.err = fmt.Errorf("begin transaction on %s: %w", filepath.Base(db.path), err)
		}
		return nil, false
	}
	return sqlTx, true
}

// runUnguarded runs batch's members in one transaction without
// savepoints. It reports false, having rolled the transaction back, when a
// member failed: that member keeps its failure, and the batch is to run
// again guarded.
func (db *DB) runUnguarded(batch []*member) bool {
	sqlTx, ok := db.begin(batch)
	if !ok {
		return true
	}
	marks := newTxMarks(sqlTx, db.marks)
	var done []*member // members whose work is in the transaction
	for _, m := range batch {
		if err := m.ctx.Err(); err != nil {
			m.err = err
			continue
		}
		m.tx = &Tx{tx: sqlTx, db: db, marks: marks}
		m.run()
		if m.err != nil || m.panicked != nil {
			db.rollbacks.Add(1) // before any member runs again (Tx.Rollbacks)
			_ = sqlTx.Rollback()
			return false
		}
		done = append(done, m)
	}
	db.commitBatch(sqlTx, done)
	return true
}

// runGuarded runs batch's members that have not failed yet in one
// transaction, each inside its own savepoint (a lone member needs none).
func (db *DB) runGuarded(batch []*member) {
	var pending []*member
	for _, m := range batch {
		if m.err == nil && m.panicked == nil {
			pending = append(pending, m)
		}
	}
	if len(pending) == 0 {
		return
	}
	name := filepath.Base(db.path)
	sqlTx, ok := db.begin(pending)
	if !ok {
		return
	}
	alone := len(pending) == 1
	marks := newTxMarks(sqlTx, db.marks)
	var done []*member // members whose work is in the transaction
	broken := func(err error) {
		db.rollbacks.Add(1)
		_ = sqlTx.Rollback()
		for _, m := range pending {
			if m.err == nil && m.panicked == nil {
				m.err = fmt.Errorf("transaction on %s ended by a batch-mate's failure: %w", name, err)
			}
		}
	}
	for _, m := range pending {
		if err := m.ctx.Err(); err != nil {
			m.err = err
			continue
		}
		if !alone {
			if err := marks.exec("SAVEPOINT " + savepoint); err != nil {
				broken(err)
				return
			}
		}
		m.tx = &Tx{tx: sqlTx, db: db, marks: marks}
		m.run()
		if m.err == nil && m.panicked == nil {
			if !alone {
				if err := marks.exec("RELEASE " + savepoint); err != nil {
					broken(err)
					return
				}
			}
			done = append(done, m)
			continue
		}
		db.rollbacks.Add(1) // before the next member runs (Tx.Rollbacks)
		if alone {
			if rbErr := sqlTx.Rollback(); rbErr != nil && m.err != nil {
				m.err = errors.Join(m.err, fmt.Errorf("roll back: %w", rbErr))
			}
			return
		}
		if err := marks.exec("ROLLBACK TO " + savepoint); err != nil {
			broken(err) // SQLite rolled the whole transaction back
			return
		}
		if err := marks.exec("RELEASE " + savepoint); err != nil {
			broken(err)
			return
		}
	}
	db.commitBatch(sqlTx, done)
}

// commitBatch commits sqlTx, which holds the work of done, and tells done
// the outcome: their hooks run after a COMMIT, their error is its failure.
// With no work it rolls back.
func (db *DB) commitBatch(sqlTx *sql.Tx, done []*member) {
	if len(done) == 0 {
		_ = sqlTx.Rollback()
		return
	}
	if err := sqlTx.Commit(); err != nil {
		db.rollbacks.Add(1)
		for _, m := range done {
			m.err = fmt.Errorf("commit on %s: %w", filepath.Base(db.path), err)
		}
		return
	}
	db.commits.Add(1)
	db.transactions.Add(int64(len(done)))
	db.committed()
	for _, m := range done {
		db.statements.Add(m.tx.stmts)
		m.tx.committed()
	}
}

// run calls the member's function, catching a panic to raise again in the
// member's own goroutine.
func (m *member) run() {
	defer func() {
		if p := recover(); p != nil {
			m.panicked = p
		}
	}()
	m.err = m.fn(m.tx)
}
