package jetstream_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"sagalab/bus"
	"sagalab/bus/jetstream"
	"sagalab/storage"
)

// node is a producer and a consumer module on one bus over JetStream.
type node struct {
	b        *bus.Bus
	src, dst *storage.DB
	out      *bus.Outbox
	attempts atomic.Int32

	mu         sync.Mutex
	duplicates int // copies the inbox ignored
}

func openDB(t *testing.T, path string) *storage.DB {
	t.Helper()
	migrations := append(append(append(append([]storage.Migration{}, bus.Migrations...), bus.TraceMigrations...),
		bus.DeadLetterMigrations...), bus.LeanOutboxMigrations...)
	db, err := storage.Open(context.Background(), path, migrations, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// startNode starts a bus over ns whose consumer records each message in an
// effects table, or fails for ever when fail is set. Its databases are in
// dir, so a second node on dir is the first one restarted.
func startNode(t *testing.T, ns *jetstream.Server, dir string, fail bool) *node {
	t.Helper()
	tr, err := jetstream.New(context.Background(), jetstream.Config{InProcess: ns.Server, AckWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{src: openDB(t, filepath.Join(dir, "src.db")), dst: openDB(t, filepath.Join(dir, "dst.db"))}
	n.b, err = bus.New(bus.Config{Transport: tr, MaxRetries: 2, PollInterval: 10 * time.Millisecond,
		Observer: bus.ObserverFunc(func(d bus.Delivery) {
			if d.Duplicate {
				n.mu.Lock()
				n.duplicates++
				n.mu.Unlock()
			}
		})})
	if err != nil {
		t.Fatal(err)
	}
	n.out = n.b.Outbox("producer", n.src)
	bus.HandleAll(n.b.Consumer("consumer", n.dst, nil), "things", func(ctx context.Context, tx *bus.Tx, env bus.Envelope) error {
		n.attempts.Add(1)
		if fail {
			return errors.New("not today")
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS effects (id TEXT PRIMARY KEY)`)
		if err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO effects (id) VALUES (?)`, env.ID)
		}
		return err
	})
	if err := n.b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *node) send(t *testing.T, count int) {
	t.Helper()
	for range count {
		err := n.out.Write(context.Background(), func(tx *bus.Tx) error {
			return tx.Emit(context.Background(), bus.Message{Topic: "things", Type: "Thing", CorrelationID: "c", Payload: 1})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (n *node) effects(t *testing.T) int {
	t.Helper()
	var c int
	if err := n.dst.Reader().QueryRow(`SELECT count(*) FROM effects`).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (n *node) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !n.b.Idle() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the bus to settle")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// rawStream opens the stream the transport publishes to.
func rawStream(t *testing.T, ns *jetstream.Server) (natsjs.JetStream, natsjs.Stream) {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(ns.Server))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), "SAGALAB")
	if err != nil {
		t.Fatal(err)
	}
	return js, s
}

// A copy JetStream delivers again changes nothing: the relay's second
// publish of a row is dropped by JetStream (Nats-Msg-Id), and a copy past
// the duplicate window, stored again under another id, is ignored by the
// inbox.
func TestDuplicateDeliveryChangesNothing(t *testing.T) {
	ns := startServer(t)
	n := startNode(t, ns, t.TempDir(), false)
	defer n.b.Close()
	n.send(t, 5)
	n.settle(t)
	if got := n.effects(t); got != 5 {
		t.Fatalf("%d effects, want 5", got)
	}
	js, s := rawStream(t, ns)
	ctx := context.Background()
	for seq := uint64(1); seq <= 5; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		again := &nats.Msg{Subject: raw.Subject, Data: raw.Data, Header: raw.Header}
		ack, err := js.PublishMsg(ctx, again) // the same Nats-Msg-Id
		if err != nil {
			t.Fatal(err)
		}
		if !ack.Duplicate {
			t.Errorf("message %d published again was stored again, want dropped as a duplicate", seq)
		}
		again.Header.Set(natsjs.MsgIDHeader, "past-the-window-"+raw.Header.Get(natsjs.MsgIDHeader))
		if _, err := js.PublishMsg(ctx, again); err != nil {
			t.Fatal(err)
		}
	}
	n.settle(t)
	if got := n.effects(t); got != 5 {
		t.Fatalf("%d effects after the copies, want 5", got)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.duplicates != 5 {
		t.Fatalf("the inbox ignored %d copies, want 5", n.duplicates)
	}
}

// A consumer restarted on the same broker and data goes on after the last
// message it acknowledged: nothing acknowledged is delivered again
// (watermill#671), nothing old is replayed (watermill#389).
func TestRestartRedeliversNothing(t *testing.T) {
	ns := startServer(t)
	dir := t.TempDir()
	n := startNode(t, ns, dir, false)
	n.send(t, 5)
	n.settle(t)
	if err := n.b.Close(); err != nil {
		t.Fatal(err)
	}
	n.src.Close()
	n.dst.Close()
	n = startNode(t, ns, dir, false)
	defer n.b.Close()
	n.send(t, 2)
	n.settle(t)
	if got := n.effects(t); got != 7 {
		t.Fatalf("%d effects, want 7", got)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if got := n.attempts.Load(); got != 2 || n.duplicates != 0 {
		t.Fatalf("the restarted consumer ran its handler %d times and saw %d old messages again, want 2 and 0",
			got, n.duplicates)
	}
}

// A message its consumer keeps failing on is parked as a dead letter and
// acknowledged: JetStream does not deliver it round in circles.
func TestFailingMessageIsParked(t *testing.T) {
	ns := startServer(t)
	n := startNode(t, ns, t.TempDir(), true)
	defer n.b.Close()
	n.send(t, 1)
	n.settle(t)
	letters, err := n.b.DeadLetters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 {
		t.Fatalf("%d dead letters, want 1", len(letters))
	}
	before := n.attempts.Load()
	if before != 3 { // the first run and two retries
		t.Fatalf("%d attempts, want 3", before)
	}
	n.send(t, 1) // a later message flows past the parked one
	n.settle(t)
	if got := n.attempts.Load(); got != before+3 {
		t.Fatalf("%d attempts after a second message, want %d: the parked one came back", got, before+3)
	}
}

// A broker restart loses nothing: messages stored while their consumer was
// down are in the stream's files, and reach it once broker and consumer are
// back.
func TestBrokerRestartLosesNothing(t *testing.T) {
	storeDir, dir := t.TempDir(), t.TempDir()
	ns, err := jetstream.StartServer(jetstream.ServerConfig{InProcessOnly: true, DataDir: storeDir})
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, ns, dir, false)
	n.b.PauseConsumer("consumer")
	n.send(t, 5)
	deadline := time.Now().Add(10 * time.Second)
	for !n.b.Idle() { // idle: only the paused consumer has messages waiting
		if time.Now().After(deadline) {
			t.Fatal("the relay did not publish")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := n.b.Close(); err != nil {
		t.Fatal(err)
	}
	n.src.Close()
	n.dst.Close()
	ns.Close()

	ns, err = jetstream.StartServer(jetstream.ServerConfig{InProcessOnly: true, DataDir: storeDir})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	n = startNode(t, ns, dir, false)
	defer n.b.Close()
	n.settle(t)
	if got := n.effects(t); got != 5 {
		t.Fatalf("%d effects after the broker restarted, want 5", got)
	}
}
