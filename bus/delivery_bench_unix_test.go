//go:build unix

package bus

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sagalab/storage"
)

// BenchmarkDelivery measures what the bus spends on a message from the
// outbox to its consumers: the outbox row, the relay, the in-process
// transport and router, and each consumer's batch with its inbox row. The
// message goes to two consumers, each in its own file, as an Order
// service event goes to the Customer service and the view; their
// handlers do nothing. Sixteen messages share each sending transaction.
// cpu-µs/msg is the process's CPU time per message sent.
func BenchmarkDelivery(b *testing.B) {
	dir := b.TempDir()
	src := openDB(b, filepath.Join(dir, "src.db"))
	defer src.Close()
	bus, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	out := bus.Outbox("producer", src)
	var handled atomic.Int64
	var dbs []*storage.DB
	for _, name := range []string{"customer", "history"} {
		db := openDB(b, filepath.Join(dir, name+".db"))
		dbs = append(dbs, db)
		defer db.Close()
		HandleAll(bus.Consumer(name, db, nil), "order", func(context.Context, *Tx, Envelope) error {
			handled.Add(1)
			return nil
		})
	}
	ctx := context.Background()
	if err := bus.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	const perTx = 16
	cpu := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i += perTx {
		err := out.Write(ctx, func(tx *Tx) error {
			for j := i; j < min(i+perTx, b.N); j++ {
				id := out.NewID()
				if err := tx.Emit(ctx, Message{Topic: "order", Type: "OrderCreated", CorrelationID: id,
					Payload: map[string]any{"orderId": id, "orderTotal": "1.00"}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for deadline := time.Now().Add(time.Minute); handled.Load() < int64(2*b.N); {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries handled after a minute", handled.Load(), 2*b.N)
		}
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
	var commits int64
	for _, db := range dbs {
		commits += db.Stats().Commits
	}
	b.ReportMetric(float64(commits)/float64(2*b.N), "commits/delivery")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
