package system

import (
	"context"
	"fmt"
	"testing"

	"sagalab/storage"
)

// BenchmarkCreateOrderSaga measures whole Create Order sagas: b.N orders
// placed by 32 concurrent clients across 100 customers, timed until every
// order has reached its final state. Every saga is durable: each step is a
// committed SQLite transaction with its outbox and inbox rows.
func BenchmarkCreateOrderSaga(b *testing.B) {
	for _, mode := range modes {
		for _, sync := range []storage.Synchronous{storage.SyncNormal, storage.SyncFull} {
			b.Run(fmt.Sprintf("%s/sync=%s", mode, sync), func(b *testing.B) {
				s := start(b, Config{SagaMode: mode, Synchronous: sync})
				ctx := context.Background()
				l := Load{Sagas: b.N, Clients: 32, Customers: 100}
				customers, err := s.PrepareLoad(ctx, l)
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				res, err := s.RunLoad(ctx, l, customers)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(res.PerSecond(), "sagas/s")
			})
		}
	}
}
