package system

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"sagalab/modules/money"
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
				benchmarkSagas(b, Config{SagaMode: mode, Synchronous: sync})
			})
		}
	}
}

func benchmarkSagas(b *testing.B, cfg Config) {
	s := start(b, cfg)
	ctx := context.Background()
	customers := make([]string, 100)
	for i := range customers {
		customers[i] = mustCustomer(b, s, fmt.Sprintf("c%d", i), "1000000000.00")
	}
	settled(b, s)
	const clients = 32
	b.ResetTimer()
	var wg sync.WaitGroup
	ids := make([]string, b.N)
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += clients {
				o, err := s.Orders.Create(ctx, customers[i%len(customers)], money.Money(100), "")
				if err != nil {
					b.Error(err)
					return
				}
				ids[i] = o.ID
			}
		}()
	}
	wg.Wait()
	for {
		n, err := s.Orders.CountPending(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sagas/s")
}
