package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"sagalab/bus"
	"sagalab/storage"
)

func openStore(t testing.TB) (*Store, *storage.DB) {
	t.Helper()
	migrations := append(append(append(append([]storage.Migration{}, bus.Migrations...), Migrations...), bus.TraceMigrations...),
		bus.LeanOutboxMigrations...)
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "es.db"), migrations, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(); db.Close() })
	return NewStore(db, b.Outbox("test", db), "test.events"), db
}

type counted struct {
	N int `json:"n"`
}

func TestAppendAndLoad(t *testing.T) {
	s, db := openStore(t)
	ctx := context.Background()
	err := s.out.Write(ctx, func(tx *bus.Tx) error {
		if _, err := s.Append(ctx, tx, "a", 0, NewEvent{Type: "Added", Data: counted{1}}, NewEvent{Type: "Added", Data: counted{2}}); err != nil {
			return err
		}
		_, err := s.Append(ctx, tx, "b", 0, NewEvent{Type: "Added", Data: counted{3}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.Load(ctx, db.Reader(), "a", 0, 0)
	if err != nil || len(evs) != 2 || evs[0].Version != 1 || evs[1].Version != 2 || string(evs[1].Data) != `{"n":2}` {
		t.Fatalf("Load(a) = %+v, %v", evs, err)
	}
	if evs, _ := s.Load(ctx, db.Reader(), "a", 1, 0); len(evs) != 1 || evs[0].Version != 2 {
		t.Fatalf("Load(a, after 1) = %+v", evs)
	}
	all, err := s.ReadAll(ctx, 0, 10)
	if err != nil || len(all) != 3 || all[2].Stream != "b" || all[0].Position >= all[2].Position {
		t.Fatalf("ReadAll = %+v, %v", all, err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Streams != 2 || st.Events != 3 || st.LargestStream != "a" || st.LargestStreamEvents != 2 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}
}

// Two appends at the same expected version: exactly one wins, the other
// gets a ConcurrencyError naming the actual version.
func TestAppendConflict(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.out.Write(ctx, func(tx *bus.Tx) error {
				_, err := s.Append(ctx, tx, "a", 0, NewEvent{Type: "Added", Data: counted{1}})
				return err
			})
			var ce *ConcurrencyError
			switch {
			case err == nil:
				wins.Add(1)
			case errors.As(err, &ce) && ce.Expected == 0 && ce.Actual == 1:
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 1 {
		t.Fatalf("%d wins and %d conflicts, want 1 and 1", wins.Load(), conflicts.Load())
	}
}

// The outbox keeps stream heads in memory: an append that rolled back
// must not leave its version behind, in the head a later transaction sees
// or in the version Append checks.
func TestHeadAfterRolledBackAppend(t *testing.T) {
	s, db := openStore(t)
	ctx := context.Background()
	appendAt := func(expected int64, fail error) error {
		return s.out.Write(ctx, func(tx *bus.Tx) error {
			if _, err := s.Append(ctx, tx, "a", expected, NewEvent{Type: "Added", Data: counted{int(expected) + 1}}); err != nil {
				return err
			}
			return fail
		})
	}
	if err := appendAt(0, nil); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("failed on purpose")
	if err := appendAt(1, failed); !errors.Is(err, failed) {
		t.Fatalf("append that fails: %v", err)
	}
	err := s.out.Write(ctx, func(tx *bus.Tx) error {
		v, id, err := s.Head(ctx, tx, "a")
		if err != nil {
			return err
		}
		var want string
		if err := db.Reader().QueryRowContext(ctx, `SELECT message_id FROM outbox WHERE stream_version = 1`).Scan(&want); err != nil {
			return err
		}
		if v != 1 || id != want {
			t.Errorf("head %d %s in a transaction, want 1 %s", v, id, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := appendAt(1, nil); err != nil {
		t.Fatalf("append at the committed version: %v", err)
	}
	var ce *ConcurrencyError
	if err := appendAt(1, nil); !errors.As(err, &ce) || ce.Actual != 2 {
		t.Fatalf("append at a stale version: %v, want a ConcurrencyError at 2", err)
	}
}

// 100 writers read the stream outside any transaction, decide, and append
// at the version they read, retrying on conflict: every increment lands
// exactly once.
func TestConcurrentWritersRetry(t *testing.T) {
	s, db := openStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var retries atomic.Int32
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; attempt < 200; attempt++ {
				v, err := s.Version(ctx, db.Reader(), "counter")
				if err != nil {
					t.Error(err)
					return
				}
				err = s.out.Write(ctx, func(tx *bus.Tx) error {
					_, err := s.Append(ctx, tx, "counter", v, NewEvent{Type: "Incremented", Data: counted{int(v) + 1}})
					return err
				})
				var ce *ConcurrencyError
				if errors.As(err, &ce) {
					retries.Add(1)
					continue
				}
				if err != nil {
					t.Error(err)
				}
				return
			}
			t.Error("gave up after 200 attempts")
		}()
	}
	wg.Wait()
	evs, err := s.Load(ctx, db.Reader(), "counter", 0, 0)
	if err != nil || len(evs) != 100 {
		t.Fatalf("%d events, %v; want 100", len(evs), err)
	}
	for i, e := range evs {
		if want := `{"n":` + itoa(i+1) + `}`; string(e.Data) != want {
			t.Fatalf("event %d = %s, want %s", i+1, e.Data, want)
		}
	}
	t.Logf("%d conflicts retried", retries.Load())
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestSnapshots(t *testing.T) {
	s, db := openStore(t)
	ctx := context.Background()
	if _, ok, err := s.LatestSnapshot(ctx, db.Reader(), "a"); ok || err != nil {
		t.Fatalf("snapshot of a new stream: %v, %v", ok, err)
	}
	err := s.out.Write(ctx, func(tx *bus.Tx) error {
		if err := s.SaveSnapshot(ctx, tx, "a", 5, 1, counted{5}); err != nil {
			return err
		}
		if err := s.SaveSnapshot(ctx, tx, "a", 3, 1, counted{3}); err != nil { // older: ignored
			return err
		}
		return s.SaveSnapshot(ctx, tx, "a", 9, 2, counted{9})
	})
	if err != nil {
		t.Fatal(err)
	}
	sn, ok, err := s.LatestSnapshot(ctx, db.Reader(), "a")
	if !ok || err != nil || sn.Version != 9 || sn.Schema != 2 || string(sn.Data) != `{"n":9}` {
		t.Fatalf("LatestSnapshot = %+v, %v, %v", sn, ok, err)
	}
}
