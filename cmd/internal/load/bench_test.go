package load

import (
	"context"
	"fmt"
	"testing"
	"time"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
	"sagalab/storage"
)

// BenchmarkCreateOrderSaga measures whole Create Order sagas: b.N orders
// placed by 32 concurrent clients across 100 customers, timed until every
// order has reached its final state. Every saga is durable: each step is a
// committed SQLite transaction with its outbox and inbox rows.
func BenchmarkCreateOrderSaga(b *testing.B) {
	for _, mode := range []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration} {
		for _, sync := range []storage.Synchronous{storage.SyncNormal, storage.SyncFull} {
			b.Run(fmt.Sprintf("%s/sync=%s", mode, sync), func(b *testing.B) {
				ctx := context.Background()
				s, t, err := Start(ctx, system.Config{DataDir: b.TempDir(), SagaMode: mode, Synchronous: sync})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { s.Close() })
				l := Config{Sagas: b.N, Clients: 32, Customers: 100}
				customers, err := Prepare(ctx, s, l)
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				res, err := Run(ctx, s, t, l, customers)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(res.PerSecond(), "sagas/s")
				b.ReportMetric(float64(res.Percentile(0.99))/float64(time.Millisecond), "p99-ms")
				sum := res.Summary(string(mode))
				b.ReportMetric(sum.Commits(), "commits/saga")
				b.ReportMetric(sum.CPUPerSaga, "cpu-µs/saga")
			})
		}
	}
}
