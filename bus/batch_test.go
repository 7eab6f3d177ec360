package bus

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"sagalab/storage"
)

// A batch handles its messages in one transaction: a failing or panicking
// message rolls back only its own work and fails alone, its handler run
// once (the batch runs again guarded, without it); the others commit with
// their inbox rows; a second copy of a message, in the batch or from an
// earlier one, is a duplicate that changes nothing; the OnBatch hook sees
// the messages handled.
func TestBatchFailureRollsBackOnlyItsMessage(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "dst.db"))
	defer db.Close()
	err := db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE done (id TEXT PRIMARY KEY)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := b.Consumer("consumer", db, nil)
	calls := map[string]int{}
	HandleAll(c, "things", func(ctx context.Context, tx *Tx, env Envelope) error {
		calls[env.ID]++
		if _, err := tx.ExecContext(ctx, `INSERT INTO done (id) VALUES (?)`, env.ID); err != nil {
			return err
		}
		tx.Note("did %s", env.ID)
		switch env.ID {
		case "fails":
			return errors.New("refused")
		case "panics":
			panic("boom")
		}
		return nil
	})
	var batches [][]string
	c.OnBatch(func(_ context.Context, _ *Tx, handled []Envelope) error {
		var ids []string
		for _, e := range handled {
			ids = append(ids, e.ID)
		}
		batches = append(batches, ids)
		return nil
	})
	queue := func(ids ...string) []*queued {
		var batch []*queued
		for _, id := range ids {
			env := Envelope{ID: id, Topic: "things", Type: "Thing", Source: "producer"}
			run, err := c.match(ctx, env)
			if err != nil || run == nil {
				t.Fatalf("match %s: %v", id, err)
			}
			batch = append(batch, &queued{ctx: ctx, env: env, run: run, turn: make(chan bool, 1)})
		}
		c.runBatch(batch)
		return batch
	}

	first := queue("a")
	batch := queue("b", "fails", "a", "c", "panics", "c")
	if first[0].err != nil {
		t.Fatalf("first batch: %v", first[0].err)
	}
	for i, want := range []struct {
		fails, duplicate bool
	}{{}, {fails: true}, {duplicate: true}, {}, {fails: true}, {duplicate: true}} {
		q := batch[i]
		if (q.err != nil) != want.fails || q.d.Duplicate != want.duplicate {
			t.Errorf("%s: error %v, duplicate %v; want failed %v, duplicate %v",
				q.env.ID, q.err, q.d.Duplicate, want.fails, want.duplicate)
		}
	}
	var done, inbox []string
	for _, read := range []struct {
		query string
		into  *[]string
	}{{`SELECT id FROM done ORDER BY id`, &done}, {`SELECT message_id || ': ' || effect FROM inbox ORDER BY message_id`, &inbox}} {
		rows, err := db.Reader().Query(read.query)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			*read.into = append(*read.into, s)
		}
		rows.Close()
	}
	if !slices.Equal(done, []string{"a", "b", "c"}) {
		t.Errorf("work committed for %q, want a, b and c only", done)
	}
	if !slices.Equal(inbox, []string{"a: did a", "b: did b", "c: did c"}) {
		t.Errorf("inbox %q, want a, b and c with their effects", inbox)
	}
	if len(batches) != 2 || !slices.Equal(batches[1], []string{"b", "c"}) {
		t.Errorf("OnBatch saw %q, want [a] then [b c]", batches)
	}
	if calls["fails"] != 1 || calls["panics"] != 1 || calls["b"] != 2 {
		t.Errorf("handler calls %v: want fails and panics once, b twice (unguarded, then guarded)", calls)
	}
}

// A lingering consumer's batch leader waits before it takes the queue:
// messages that arrive meanwhile share its transaction.
func TestLingerGathersABatch(t *testing.T) {
	ctx := context.Background()
	db := openDBs(t, "dst")[0]
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := b.Consumer("view", db, nil)
	c.Linger(200 * time.Millisecond)
	HandleAll(c, "things", func(context.Context, *Tx, Envelope) error { return nil })
	var batches []int
	c.OnBatch(func(_ context.Context, _ *Tx, handled []Envelope) error {
		batches = append(batches, len(handled))
		return nil
	})
	var wg sync.WaitGroup
	for i := range 4 {
		env := Envelope{ID: fmt.Sprint("m", i), Topic: "things", Type: "Thing", Source: "producer"}
		run, err := c.match(ctx, env)
		if err != nil || run == nil {
			t.Fatalf("match %s: %v", env.ID, err)
		}
		wg.Go(func() {
			if q := c.handleQueued(ctx, env, run); q.err != nil {
				t.Errorf("%s: %v", env.ID, q.err)
			}
		})
		time.Sleep(10 * time.Millisecond) // well within the linger
	}
	wg.Wait()
	if !slices.Equal(batches, []int{4}) {
		t.Errorf("batches of %v, want one of 4", batches)
	}
}
