package bus

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sagalab/storage"
)

// BenchmarkOutboxWrite measures writing a message to an outbox: a
// transaction per message, and eight messages sharing one.
func BenchmarkOutboxWrite(b *testing.B) {
	for _, per := range []int{1, 8} {
		b.Run(fmt.Sprintf("per-tx=%d", per), func(b *testing.B) {
			db, out := openOutbox(b)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i += per {
				err := db.WriteTx(ctx, func(st *storage.Tx) error {
					for range per {
						id := out.NewID()
						_, err := out.write(ctx, st, time.Now(), Message{Topic: "order", Type: "OrderCreated", CorrelationID: id,
							CausationID: id, Payload: map[string]any{"orderId": id, "orderTotal": map[string]int{"amount": 100}}})
						if err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
