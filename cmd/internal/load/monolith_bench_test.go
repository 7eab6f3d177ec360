package load

import (
	"context"
	"fmt"
	"testing"

	"sagalab/modules/system"
	"sagalab/storage"
)

// BenchmarkCreateOrderMonolith measures the monolith baseline: b.N orders
// placed by 32 concurrent clients across 100 customers, each one ACID
// transaction on store.db, under the same load as BenchmarkCreateOrderSaga.
func BenchmarkCreateOrderMonolith(b *testing.B) {
	for _, sync := range []storage.Synchronous{storage.SyncNormal, storage.SyncFull} {
		b.Run(fmt.Sprintf("sync=%s", sync), func(b *testing.B) {
			m, err := system.StartMonolith(context.Background(), system.Config{DataDir: b.TempDir(), Synchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			ctx := context.Background()
			l := Config{Sagas: b.N, Clients: 32, Customers: 100}
			customers, err := PrepareMonolith(ctx, m, l)
			if err != nil {
				b.Fatal(err)
			}
			before := m.Store.Commits()
			b.ResetTimer()
			res, err := RunMonolith(ctx, m, l, customers)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(res.PerSecond(), "orders/s")
			b.ReportMetric(float64(m.Store.Commits()-before)/float64(b.N), "commits/order")
		})
	}
}
