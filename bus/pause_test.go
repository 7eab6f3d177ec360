package bus

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a log destination handlers write to concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startPaused starts a bus where "consumer" handles messages of type Thing
// on "producer"'s topic, and is paused.
func startPaused(t *testing.T, dir string, log *slog.Logger, handled *atomic.Int32) (*Bus, *Outbox, func()) {
	t.Helper()
	src, dst := openDB(t, filepath.Join(dir, "src.db")), openDB(t, filepath.Join(dir, "dst.db"))
	b, err := New(Config{Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out := b.Outbox("producer", src)
	Handle(b.Consumer("consumer", dst, nil), "things", "Thing", func(context.Context, *Tx, Received[int]) error {
		handled.Add(1)
		return nil
	})
	b.PauseConsumer("consumer")
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b, out, func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
		src.Close()
		dst.Close()
	}
}

func write(t *testing.T, o *Outbox, typ string) {
	t.Helper()
	err := o.Write(context.Background(), func(tx *Tx) error {
		return tx.Emit(context.Background(), Message{Topic: "things", Type: typ, CorrelationID: "c", Payload: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Closing the bus while a paused consumer holds a message is no error: the
// handling it interrupts logs nothing at ERROR, and the message, still in
// the outbox, is handled once after the next start.
func TestCloseWhilePausedIsQuiet(t *testing.T) {
	dir := t.TempDir()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var handled atomic.Int32
	b, out, stop := startPaused(t, dir, log, &handled)
	write(t, out, "Thing")
	waitFor(t, "the message to wait for the paused consumer", func() bool {
		return slices.Equal(b.Awaited(), []string{"consumer"}) && b.Idle()
	})
	stop()
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("closing with a paused consumer logged errors:\n%s", logs.String())
	}
	if handled.Load() != 0 {
		t.Fatalf("the paused consumer handled %d messages", handled.Load())
	}

	b, _, stop = startPaused(t, dir, log, &handled)
	defer stop()
	b.ResumeConsumer("consumer")
	waitFor(t, "the kept message to be handled after the restart", func() bool { return handled.Load() == 1 })
	waitFor(t, "the bus to be idle", func() bool { return b.Idle() && len(b.Awaited()) == 0 })
}

// In step mode, a paused consumer owes nothing for a message type it does
// not handle: it is acknowledged at once, as the pub/sub path does.
func TestStepSkipsIgnoredTypesOfPausedConsumer(t *testing.T) {
	var handled atomic.Int32
	b, out, stop := startPaused(t, t.TempDir(), nil, &handled)
	defer stop()
	b.Hold()
	write(t, out, "Other")
	write(t, out, "Thing")
	st, ok, err := b.DeliverNext(context.Background())
	if err != nil || !ok {
		t.Fatalf("DeliverNext = %v, %v", ok, err)
	}
	if len(st.Waiting) > 0 || len(st.Deliveries) != 1 || !st.Deliveries[0].Ignored {
		t.Fatalf("Other: waiting %v, deliveries %+v; want one ignored delivery", st.Waiting, st.Deliveries)
	}
	st, ok, err = b.DeliverNext(context.Background())
	if err != nil || !ok {
		t.Fatalf("DeliverNext = %v, %v", ok, err)
	}
	if !slices.Equal(st.Waiting, []string{"consumer"}) || len(st.Deliveries) > 0 {
		t.Fatalf("Thing: waiting %v, deliveries %+v; want it to wait for the consumer", st.Waiting, st.Deliveries)
	}
	if got := b.Awaited(); !slices.Equal(got, []string{"consumer"}) {
		t.Fatalf("Awaited = %v, want [consumer]: only Thing is owed", got)
	}
}
