package saga_test

import (
	"context"
	"strconv"
	"testing"

	"sagalab/bus"
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
	o := newOrchestrator(b)
	db, out, e, s := o.db, o.out, o.e, o.s
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
					CorrelationID: id, CausationID: o.last, Payload: []byte(`{}`)})
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
