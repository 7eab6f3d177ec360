package storage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var groupMigrations = []Migration{{Name: "items", SQL: `
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE parents (id INTEGER PRIMARY KEY);
CREATE TABLE children (id INTEGER PRIMARY KEY,
	parent INTEGER NOT NULL REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);`}}

func openGrouped(t *testing.T) *DB {
	t.Helper()
	return openItems(t, Options{GroupCommit: true})
}

// openItems opens a file of groupMigrations with opts.
func openItems(t *testing.T, opts Options) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "g.db"), groupMigrations, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// batch runs fns concurrently as one batch of WriteTx calls: a first call
// holds the writer until every fn has queued behind it. It returns each
// fn's error.
func batch(t *testing.T, db *DB, fns ...func(*Tx) error) []error {
	t.Helper()
	calls := make([]call, len(fns))
	for i, fn := range fns {
		calls[i] = call{db.WriteTx, fn}
	}
	return batchOf(t, db, calls...)
}

// call is a function and the DB method that writes it.
type call struct {
	write func(context.Context, func(*Tx) error) error
	fn    func(*Tx) error
}

// batchOf is batch for calls made through any of the write methods.
func batchOf(t *testing.T, db *DB, calls ...call) []error {
	t.Helper()
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		db.WriteTx(ctx, func(*Tx) error { close(started); <-release; return nil })
	})
	<-started
	errs := make([]error, len(calls))
	for i, c := range calls {
		wg.Go(func() { errs[i] = c.write(ctx, c.fn) })
		// Queued in order, as the members' order matters to the tests.
		waitQueued(t, db, i+1)
	}
	close(release)
	wg.Wait()
	return errs
}

// waitQueued waits until n calls wait in db's group commit queue.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		db.group.mu.Lock()
		queued := len(db.group.queue)
		db.group.mu.Unlock()
		if queued == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d calls queued", queued, n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func insert(name string) func(*Tx) error {
	return func(tx *Tx) error {
		_, err := tx.ExecContext(context.Background(), `INSERT INTO items (name) VALUES (?)`, name)
		return err
	}
}

func names(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.Reader().Query(`SELECT name FROM items ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}

// A failing member of a batch undoes only its own work: its batch-mates'
// work commits, in one COMMIT, and their after-commit hooks run before
// their calls return.
func TestGroupCommitFailingMemberRollsBackOnlyItself(t *testing.T) {
	db := openGrouped(t)
	if err := db.WriteTx(context.Background(), insert("taken")); err != nil {
		t.Fatal(err)
	}
	before := db.Stats()
	errFail := errors.New("handler failed")
	var hooked atomic.Int32
	errs := batch(t, db,
		func(tx *Tx) error { // writes, then fails
			if err := insert("a")(tx); err != nil {
				return err
			}
			tx.OnCommit(func() { t.Error("hook of a failed member ran") })
			return errFail
		},
		func(tx *Tx) error { // writes, then a statement fails (UNIQUE)
			if err := insert("b2")(tx); err != nil {
				return err
			}
			return insert("taken")(tx)
		},
		func(tx *Tx) error { tx.OnCommit(func() { hooked.Add(1) }); return insert("b")(tx) },
		func(tx *Tx) error { tx.OnCommit(func() { hooked.Add(1) }); return insert("c")(tx) },
	)
	if !errors.Is(errs[0], errFail) || errs[1] == nil || errs[2] != nil || errs[3] != nil {
		t.Fatalf("errors %v", errs)
	}
	if got := hooked.Load(); got != 2 {
		t.Errorf("%d hooks ran before WriteTx returned, want 2", got)
	}
	if got := names(t, db); !slices.Equal(got, []string{"b", "c", "taken"}) {
		t.Errorf("committed %v, want b, c, taken", got)
	}
	// The holder's transaction, then the batch of four: two COMMITs, three
	// transactions (the holder, b and c) that ran two statements.
	if d := db.Stats().Sub(before); d.Commits != 2 || d.Transactions != 3 || d.Statements != 2 {
		t.Errorf("stats %+v, want 2 commits of 3 transactions, 2 statements", d)
	}
}

// A COMMIT that fails fails every member of the batch, and none of their
// hooks run.
func TestGroupCommitFailureReachesEveryMember(t *testing.T) {
	db := openGrouped(t)
	errs := batch(t, db,
		func(tx *Tx) error {
			tx.OnCommit(func() { t.Error("hook ran after a failed commit") })
			// A deferred foreign key fails only at COMMIT.
			_, err := tx.ExecContext(context.Background(), `INSERT INTO children (id, parent) VALUES (1, 42)`)
			return err
		},
		func(tx *Tx) error {
			tx.OnCommit(func() { t.Error("hook ran after a failed commit") })
			return insert("a")(tx)
		},
	)
	for i, err := range errs {
		if err == nil {
			t.Errorf("member %d: no error from a failed COMMIT", i)
		}
	}
	if got := names(t, db); len(got) != 0 {
		t.Errorf("committed %v after a failed COMMIT", got)
	}
}

// A member that panics undoes its own work and panics in its own
// goroutine; its batch-mates commit.
func TestGroupCommitPanicStaysWithItsMember(t *testing.T) {
	db := openGrouped(t)
	var recovered atomic.Value
	errs := batch(t, db,
		insert("b"),
		func(tx *Tx) error {
			// A panic escaping fn would kill batch's goroutine: this one
			// is caught inside fn, after its write; see below for one
			// that escapes.
			return func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						recovered.Store(p)
						err = errors.New("recovered")
					}
				}()
				insert("a")(tx)
				panic("boom")
			}()
		},
	)
	if errs[0] != nil || errs[1] == nil || recovered.Load() != "boom" {
		t.Fatalf("errors %v, recovered %v", errs, recovered.Load())
	}
	if got := names(t, db); !slices.Equal(got, []string{"b"}) {
		t.Errorf("committed %v, want b", got)
	}
	// A panic that escapes fn reaches WriteTx's caller.
	defer func() {
		if p := recover(); p != "escaped" {
			t.Errorf("recovered %v, want the panic", p)
		}
	}()
	db.WriteTx(context.Background(), func(*Tx) error { panic("escaped") })
}

// A caller whose context is already cancelled gets its error, and its
// function does not run.
func TestGroupCommitCancelled(t *testing.T) {
	db := openGrouped(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := db.WriteTx(ctx, func(*Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("error %v, ran %v", err, ran)
	}
}

// A member that runs after a batch-mate failed sees the rollback counted
// (Tx.Rollbacks), so a cache of what the failed member wrote is dropped
// before anyone reads it; members after successes see no change.
func TestRollbacksCountedBeforeTheNextMember(t *testing.T) {
	db := openGrouped(t)
	var mu sync.Mutex
	type seen struct {
		rollbacks uint64
		fails     bool
	}
	var order []seen
	member := func(fails bool) func(*Tx) error {
		return func(tx *Tx) error {
			mu.Lock()
			order = append(order, seen{tx.Rollbacks(), fails})
			mu.Unlock()
			if fails {
				return errors.New("failed on purpose")
			}
			return nil
		}
	}
	start := db.rollbacks.Load()
	batch(t, db, member(false), member(true), member(false), member(true), member(false))
	want := start
	for i, s := range order {
		if s.rollbacks != want {
			t.Errorf("member %d saw %d rollbacks, want %d", i, s.rollbacks, want)
		}
		if s.fails {
			want++
		}
	}
	if got := db.rollbacks.Load(); got != want {
		t.Errorf("%d rollbacks after the batch, want %d", got, want)
	}
}

// TestWriteGatheredKeepsTheContract checks that WriteGathered, which leads
// without yielding, keeps WriteTx's contract: concurrent calls commit
// their work, and a failing one undoes only its own.
func TestWriteGatheredKeepsTheContract(t *testing.T) {
	db := openGrouped(t)
	ctx := context.Background()
	boom := errors.New("boom")
	insert := func(name string, fail bool) func() error {
		return func() error {
			return db.WriteGathered(ctx, func(tx *Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO items (name) VALUES (?)`, name); err != nil {
					return err
				}
				if fail {
					return boom
				}
				return nil
			})
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, f := range []func() error{insert("a", false), insert("b", true), insert("c", false)} {
		wg.Go(func() { errs[i] = f() })
	}
	wg.Wait()
	if errs[0] != nil || !errors.Is(errs[1], boom) || errs[2] != nil {
		t.Fatalf("errors %v, want nil, boom, nil", errs)
	}
	var names string
	if err := db.Reader().QueryRowContext(ctx, `SELECT group_concat(name, ',' ORDER BY name) FROM items`).Scan(&names); err != nil {
		t.Fatal(err)
	}
	if names != "a,c" {
		t.Fatalf("items %q, want a,c", names)
	}
}

// A batch of repeatable calls runs unguarded first. Without a failure each
// function runs once. When one fails, its failure stands and it does not
// run again; the transaction rolls back and the others run again, each in
// a savepoint: those before it twice, those after it once. Their work
// commits once, and each hook runs once. A batch with a WriteTx call in it
// runs guarded from the start, so that function runs once.
func TestRepeatableBatchRunsUnguardedFirst(t *testing.T) {
	db := openGrouped(t)
	errFail := errors.New("failed on purpose")
	var mu sync.Mutex
	runs := map[string]int{}
	hooks := map[string]int{}
	member := func(name string, fails bool) func(*Tx) error {
		return func(tx *Tx) error {
			mu.Lock()
			runs[name]++
			mu.Unlock()
			if err := insert(name)(tx); err != nil {
				return err
			}
			if fails {
				return errFail
			}
			tx.OnCommit(func() { mu.Lock(); hooks[name]++; mu.Unlock() })
			return nil
		}
	}
	check := func(what string, errs []error, wantErrs []bool, wantRuns map[string]int, wantNames []string) {
		t.Helper()
		for i, e := range errs {
			if (e != nil) != wantErrs[i] || (e != nil && !errors.Is(e, errFail)) {
				t.Errorf("%s: call %d returned %v", what, i, e)
			}
		}
		if !maps.Equal(runs, wantRuns) {
			t.Errorf("%s: runs %v, want %v", what, runs, wantRuns)
		}
		for name := range wantRuns {
			if want := map[bool]int{true: 1}[slices.Contains(wantNames, name)]; hooks[name] != want {
				t.Errorf("%s: hook of %s ran %d times, want %d", what, name, hooks[name], want)
			}
		}
		if got := names(t, db); !slices.Equal(got, wantNames) {
			t.Errorf("%s: committed %v, want %v", what, got, wantNames)
		}
	}

	errs := batchOf(t, db, call{db.WriteRepeatable, member("a", false)}, call{db.WriteGathered, member("b", false)})
	check("no failure", errs, []bool{false, false}, map[string]int{"a": 1, "b": 1}, []string{"a", "b"})

	clear(runs)
	clear(hooks)
	errs = batchOf(t, db, call{db.WriteRepeatable, member("c", false)}, call{db.WriteRepeatable, member("d", true)},
		call{db.WriteGathered, member("e", false)})
	check("a failure", errs, []bool{false, true, false}, map[string]int{"c": 2, "d": 1, "e": 1},
		[]string{"a", "b", "c", "e"})

	clear(runs)
	clear(hooks)
	errs = batchOf(t, db, call{db.WriteRepeatable, member("f", false)}, call{db.WriteTx, member("g", false)},
		call{db.WriteRepeatable, member("h", true)})
	check("with a WriteTx call", errs, []bool{false, false, true}, map[string]int{"f": 1, "g": 1, "h": 1},
		[]string{"a", "b", "c", "e", "f", "g"})
}

// Busy counts the writer's time inside transactions, with group commit
// and without, and not the time between them.
func TestStatsBusy(t *testing.T) {
	for _, grouped := range []bool{true, false} {
		t.Run(fmt.Sprintf("grouped=%v", grouped), func(t *testing.T) {
			db := openItems(t, Options{GroupCommit: grouped})
			before := db.Stats()
			const inside = 10 * time.Millisecond
			var outside time.Duration
			began := time.Now()
			for _, name := range []string{"a", "b"} {
				err := db.WriteTx(context.Background(), func(tx *Tx) error {
					time.Sleep(inside)
					return insert(name)(tx)
				})
				if err != nil {
					t.Fatal(err)
				}
				slept := time.Now()
				time.Sleep(inside) // between transactions: not counted
				outside += time.Since(slept)
			}
			most := time.Since(began) - outside
			if busy := db.Stats().Sub(before).Busy; busy < 2*inside || busy > most {
				t.Errorf("busy %v, want at least %v (the sleeps inside) and at most %v (the time outside the sleeps between)",
					busy, 2*inside, most)
			}
		})
	}
}
