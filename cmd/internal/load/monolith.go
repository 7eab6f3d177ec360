package load

import (
	"context"
	"fmt"
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

// RunMonolith places l.Sagas orders of 1.00 from l.Clients concurrent
// clients across customers, each one ACID transaction: the monolith
// baseline the sagas are measured against, under the load Run puts on
// them. Every order is final when its call returns.
func RunMonolith(ctx context.Context, m *system.MonolithSystem, l Config, customers []string) (Result, error) {
	clients := max(l.Clients, 1)
	started := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for w := range clients {
		wg.Go(func() {
			for i := w; i < l.Sagas; i += clients {
				if _, err := m.Store.PlaceOrder(ctx, customers[i%len(customers)], money.Money(100)); err != nil {
					errs <- err
					return
				}
				if l.Progress != nil {
					l.Progress()
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return Result{}, err
	}
	return Result{Sagas: l.Sagas, Elapsed: time.Since(started)}, nil
}
