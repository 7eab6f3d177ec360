package system

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sagalab/modules/shared/money"
)

// Load describes a run of many Create Order sagas at once.
type Load struct {
	Sagas     int // how many orders to place
	Clients   int // how many place orders at the same time
	Customers int // how many customers the orders are spread over
	// Progress, if set, is told about each order placed.
	Progress func()
}

// LoadResult is what a load run measured.
type LoadResult struct {
	Sagas   int
	Elapsed time.Duration // from the first order to the last saga's end
}

// PerSecond is the rate of completed sagas.
func (r LoadResult) PerSecond() float64 { return float64(r.Sagas) / r.Elapsed.Seconds() }

// PrepareLoad creates the customers a load spreads its orders over, with
// credit enough for every order, and waits for their events to settle.
func (s *System) PrepareLoad(ctx context.Context, l Load) ([]string, error) {
	ids := make([]string, max(l.Customers, 1))
	for i := range ids {
		id, err := s.Customers.Create(ctx, fmt.Sprintf("Load customer %d", i+1), 1_000_000_000_00)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, s.waitIdle(ctx)
}

// RunLoad places l.Sagas orders of 1.00 from l.Clients concurrent clients
// across customers, and waits until every saga has ended.
func (s *System) RunLoad(ctx context.Context, l Load, customers []string) (LoadResult, error) {
	clients := max(l.Clients, 1)
	started := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < l.Sagas; i += clients {
				if _, err := s.Orders.Create(ctx, customers[i%len(customers)], money.Money(100), ""); err != nil {
					errs <- err
					return
				}
				if l.Progress != nil {
					l.Progress()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return LoadResult{}, err
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		n, err := s.Orders.CountPending(ctx)
		if err != nil {
			return LoadResult{}, err
		}
		if n == 0 {
			return LoadResult{Sagas: l.Sagas, Elapsed: time.Since(started)}, nil
		}
		select {
		case <-ctx.Done():
			return LoadResult{}, ctx.Err()
		case <-tick.C:
		}
	}
}

// waitIdle waits until every message sent so far has been handled.
func (s *System) waitIdle(ctx context.Context) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !s.Bus.Idle() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the messages in flight: %w", context.Cause(ctx))
		case <-tick.C:
		}
	}
	return nil
}
