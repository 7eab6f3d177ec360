package load

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// PrepareMonolith creates on the monolith the customers a load spreads its
// orders over, with credit enough for every order, as Prepare does.
func PrepareMonolith(ctx context.Context, m *system.MonolithSystem, l Config) ([]string, error) {
	ids := make([]string, max(l.Customers, 1))
	for i := range ids {
		id, err := m.Store.CreateCustomer(ctx, fmt.Sprintf("Load customer %d", i+1), 1_000_000_000_00)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// RunMonolith places l.Sagas orders of 1.00 across customers, as Run does,
// each one ACID transaction: the monolith baseline the sagas are measured
// against, under the load Run puts on them. Every order is final when its
// call returns, so its latency is the call's.
func RunMonolith(ctx context.Context, m *system.MonolithSystem, l Config, customers []string) (Result, error) {
	before := m.Store.Stats()
	var mu sync.Mutex
	took := make([]time.Duration, 0, l.Sagas)
	waits, cpu, started := readWaits(), cpuTime(), time.Now()
	late, err := place(ctx, l, func(i int, due time.Time) error {
		if _, err := m.Store.PlaceOrder(ctx, customers[i%len(customers)], money.Money(100)); err != nil {
			return err
		}
		d := time.Since(due)
		mu.Lock()
		took = append(took, d)
		mu.Unlock()
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{Sagas: l.Sagas, Elapsed: time.Since(started), CPU: cpuTime() - cpu, Latencies: took, Late: late,
		Waits: readWaits().Since(waits)}
	slices.Sort(res.Latencies)
	res.Databases = []system.DatabaseStats{{Module: "store", Stats: m.Store.Stats().Sub(before)}}
	return res, nil
}
