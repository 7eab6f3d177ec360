package bus

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"sagalab/storage"
)

// pair is a producer and a consumer module, each on its own file.
type pair struct {
	b            *Bus
	src, dst     *storage.DB
	out          *Outbox
	handled      atomic.Int32 // effects committed
	attempts     atomic.Int32 // handler calls
	failuresLeft atomic.Int32 // failures before the handler succeeds; -1: for ever
}

func openDB(t testing.TB, path string) *storage.DB {
	t.Helper()
	migrations := append(append(append(append([]storage.Migration{}, Migrations...), TraceMigrations...), DeadLetterMigrations...),
		LeanOutboxMigrations...)
	db, err := storage.Open(context.Background(), path, migrations, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// openDBs opens one file per name, with the bus's tables, in a temporary
// directory; the test's cleanup closes them.
func openDBs(t testing.TB, names ...string) []*storage.DB {
	t.Helper()
	dir := t.TempDir()
	dbs := make([]*storage.DB, len(names))
	for i, name := range names {
		db := openDB(t, filepath.Join(dir, name+".db"))
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs
}

// openOutbox opens a file in a temporary directory and returns it with its
// outbox, on a bus that is not started and practically never polls.
func openOutbox(t testing.TB) (*storage.DB, *Outbox) {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "src.db"))
	t.Cleanup(func() { db.Close() })
	b, err := New(Config{PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return db, b.Outbox("producer", db)
}

// redeliverAfter is short, so a message left pending would soon be
// published again; it is long beside the retries (5ms, then 10ms).
const redeliverAfter = 200 * time.Millisecond

// startPair starts a bus where "consumer" handles "producer"'s topic.
func startPair(t *testing.T, dir string, failures int32) *pair {
	t.Helper()
	p := &pair{src: openDB(t, filepath.Join(dir, "src.db")), dst: openDB(t, filepath.Join(dir, "dst.db"))}
	p.failuresLeft.Store(failures)
	var err error
	p.b, err = New(Config{MaxRetries: 2, PollInterval: 10 * time.Millisecond, RedeliverAfter: redeliverAfter})
	if err != nil {
		t.Fatal(err)
	}
	p.out = p.b.Outbox("producer", p.src)
	HandleAll(p.b.Consumer("consumer", p.dst, nil), "things", func(ctx context.Context, tx *Tx, env Envelope) error {
		p.attempts.Add(1)
		if n := p.failuresLeft.Load(); n != 0 {
			p.failuresLeft.Add(-1)
			return errors.New("not today")
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS effects (id TEXT PRIMARY KEY)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO effects (id) VALUES (?)`, env.ID); err != nil {
			return err
		}
		p.handled.Add(1)
		return nil
	})
	if err := p.b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *pair) close(t *testing.T) {
	t.Helper()
	if err := p.b.Close(); err != nil {
		t.Fatal(err)
	}
	p.src.Close()
	p.dst.Close()
}

func (p *pair) send(t *testing.T) {
	t.Helper()
	err := p.out.Write(context.Background(), func(tx *Tx) error {
		return tx.Emit(context.Background(), Message{Topic: "things", Type: "Thing", CorrelationID: "c", Payload: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A handler that fails a few times is retried; its effect happens once.
func TestRetriedUntilHandled(t *testing.T) {
	p := startPair(t, t.TempDir(), 2)
	defer p.close(t)
	p.send(t)
	waitFor(t, "the message to be handled", func() bool { return p.b.Idle() })
	if p.handled.Load() != 1 {
		t.Fatalf("handled %d times, want 1", p.handled.Load())
	}
}

// The relay's position passes only messages every consumer has handled,
// whatever order the acknowledgements come in.
func TestDeliveredPositionFollowsAcks(t *testing.T) {
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, filepath.Join(t.TempDir(), "src.db"))
	defer db.Close()
	defer b.Close()
	o := b.Outbox("producer", db)
	b.consumers["t"] = map[string]bool{"a": true, "b": true}
	for seq := int64(1); seq <= 3; seq++ {
		o.relay.markPublished(context.Background(), Envelope{ID: string(rune('0' + seq)), Seq: seq, Topic: "t"}, nil, time.Now())
	}
	steps := []struct {
		id, consumer string
		want         int64
	}{{"2", "a", 0}, {"2", "b", 0}, {"1", "b", 0}, {"1", "a", 2}, {"3", "a", 2}, {"3", "b", 3}}
	for _, s := range steps {
		o.relay.acked(s.id, s.consumer)
		if o.relay.delivered != s.want {
			t.Fatalf("after %s acks %s: delivered %d, want %d", s.consumer, s.id, o.relay.delivered, s.want)
		}
	}
}
