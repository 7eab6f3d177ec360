package saga_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sagalab/bus"
	"sagalab/bus/saga"
	"sagalab/storage"
)

type benchData struct {
	OrderID string `json:"orderId"`
	Total   int64  `json:"total"`
}

// BenchmarkSagaRoundTrip is the orchestrator's own work for one saga of
// three steps (local, command, local), as Create Order has: the
// transaction that starts it and sends its command, and the one that
// takes the reply and completes it. The participant's side and the
// messages' delivery are left out.
func BenchmarkSagaRoundTrip(b *testing.B) {
	ctx := context.Background()
	migrations := append(append(append(append([]storage.Migration{}, bus.Migrations...), saga.Migrations...), bus.TraceMigrations...), saga.LogMigrations...)
	db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "order.db"), migrations, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	bs, err := bus.New(bus.Config{})
	if err != nil {
		b.Fatal(err)
	}
	out := bs.Outbox("order", db)
	var n int
	lastID := ""
	e := saga.NewEngine(saga.Config{DB: db, Outbox: out, RepliesTopic: "replies", Timeout: time.Minute, Now: time.Now,
		NewID: func() string {
			n++
			lastID = "m" + strconv.Itoa(n)
			return lastID
		}})
	s := saga.Register(e, saga.Definition[benchData]{Type: "Bench", Steps: []saga.Step[benchData]{
		saga.Local("create", func(context.Context, *bus.Tx, *benchData) error { return nil }),
		saga.Call("reserve", func(d *benchData) saga.Command {
			return saga.Command{Topic: "commands", Type: "Reserve", Payload: d}
		}, saga.Success[benchData]("Reserved")),
		saga.Local("approve", func(context.Context, *bus.Tx, *benchData) error { return nil }),
	}})
	// Sixteen sagas share each transaction, as group commit has them share
	// one under load.
	const perTx = 16
	b.ResetTimer()
	for i := 0; i < b.N; i += perTx {
		replies := make([]bus.Envelope, 0, perTx)
		if err := out.Write(ctx, func(tx *bus.Tx) error {
			for j := i; j < min(i+perTx, b.N); j++ {
				id := "o" + strconv.Itoa(j)
				if _, err := s.Start(ctx, tx, id, benchData{OrderID: id, Total: 100}); err != nil {
					return err
				}
				replies = append(replies, bus.Envelope{ID: "r" + id, Type: "Reserved", Topic: "replies",
					CorrelationID: id, CausationID: lastID, Payload: []byte(`{}`)})
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if err := out.Write(ctx, func(tx *bus.Tx) error {
			for _, r := range replies {
				if err := e.HandleReply(ctx, tx, r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var done int
	if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM saga_instances WHERE state = 'COMPLETED'`).Scan(&done); err != nil || done != b.N {
		b.Fatalf("%d of %d sagas completed (%v)", done, b.N, err)
	}
}
