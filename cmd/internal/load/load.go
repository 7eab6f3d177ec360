// Package load runs many Create Order sagas at once against a running
// sagalab, to measure it.
package load

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// Config describes a run of many Create Order sagas at once.
type Config struct {
	Sagas     int // how many orders to place
	Clients   int // how many place orders at the same time
	Customers int // how many customers the orders are spread over
	// Progress, if set, is told about each order placed.
	Progress func()
}

// Result is what a load run measured.
type Result struct {
	Sagas   int
	Elapsed time.Duration // from the first order to the last saga's end
}

// PerSecond is the rate of completed sagas.
func (r Result) PerSecond() float64 { return float64(r.Sagas) / r.Elapsed.Seconds() }

// Prepare creates the customers a load spreads its orders over, with
// credit enough for every order, and waits for their events to settle.
func Prepare(ctx context.Context, s *system.System, l Config) ([]string, error) {
	ids := make([]string, max(l.Customers, 1))
	for i := range ids {
		id, err := s.Customers.Create(ctx, fmt.Sprintf("Load customer %d", i+1), 1_000_000_000_00)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, s.WaitIdle(ctx)
}

// Run places l.Sagas orders of 1.00 from l.Clients concurrent clients
// across customers, and waits until every saga has ended.
func Run(ctx context.Context, s *system.System, l Config, customers []string) (Result, error) {
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
		return Result{}, err
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		n, err := s.Orders.CountPending(ctx)
		if err != nil {
			return Result{}, err
		}
		if n == 0 {
			return Result{Sagas: l.Sagas, Elapsed: time.Since(started)}, nil
		}
		select {
		case <-ctx.Done():
			return Result{}, ctx.Err()
		case <-tick.C:
		}
	}
}
