// Package load runs many Create Order sagas at once against a running
// sagalab (or many orders against the monolith), to measure it: throughput,
// latency from create to final state, commits per saga per database and
// messages per saga. Closed loop (clients that place their next order when
// the last call returns) or open loop (orders placed at a fixed rate).
package load

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// Config describes a run of many Create Order sagas at once.
type Config struct {
	Sagas     int // how many orders to place
	Clients   int // how many place orders at the same time (closed loop)
	Customers int // how many customers the orders are spread over
	// Rate, if positive, places orders at this many per second whatever
	// the system's pace (open loop), in place of Clients; each saga's
	// latency counts from the moment its order was due.
	Rate float64
	// Progress, if set, is told about each order placed.
	Progress func()
}

// Result is what a load run measured.
type Result struct {
	Sagas   int
	Elapsed time.Duration // from the first order to the last saga's end
	// Latencies holds each saga's time from create to final state,
	// sorted.
	Latencies []time.Duration
	// Databases holds, per module database, the writes of the run.
	Databases []system.DatabaseStats
	// Messages counts the messages the run wrote to outboxes.
	Messages int64
	// CPU is the CPU time (user and system) the process used during the
	// run: on a shared machine a steadier measure of cost than Elapsed.
	CPU time.Duration
	// Late holds, in open loop, how long after its due time each order
	// went out, sorted: the load generator's own lateness (its timers,
	// starting a goroutine), which the latencies include.
	Late []time.Duration
	// Waits is how long goroutines ready to run waited for the Go
	// scheduler during the run.
	Waits Waits
}

// Start starts a sagalab whose finished orders the returned Tracker
// times; Run needs it.
func Start(ctx context.Context, cfg system.Config) (*system.System, *Tracker, error) {
	t := NewTracker()
	cfg.OrderFinished = func(id string, _ ordercontract.State) { t.Finished(id) }
	s, err := system.Start(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return s, t, nil
}

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

// Run places l.Sagas orders of 1.00 across customers, from l.Clients
// concurrent clients or at l.Rate, and waits until every saga has ended.
// s must have been started by Start with t.
func Run(ctx context.Context, s *system.System, t *Tracker, l Config, customers []string) (Result, error) {
	stats := s.StorageStats()
	msgs, err := s.MessagesWritten(ctx)
	if err != nil {
		return Result{}, err
	}
	t.reset()
	waits, cpu, started := readWaits(), cpuTime(), time.Now()
	late, err := place(ctx, l, func(i int, due time.Time) error {
		o, err := s.Orders.Create(ctx, customers[i%len(customers)], money.Money(100), "")
		if err != nil {
			return err
		}
		t.Started(o.ID, due)
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	if err := t.wait(ctx, l.Sagas); err != nil {
		return Result{}, err
	}
	res := Result{Sagas: l.Sagas, Elapsed: time.Since(started), CPU: cpuTime() - cpu, Latencies: t.latencies(), Late: late,
		Waits: readWaits().Since(waits)}
	for i, st := range s.StorageStats() {
		st.Stats = st.Stats.Sub(stats[i].Stats)
		res.Databases = append(res.Databases, st)
	}
	after, err := s.MessagesWritten(ctx)
	if err != nil {
		return Result{}, err
	}
	res.Messages = after - msgs
	return res, nil
}

// place calls order(i, due) for every i below l.Sagas: from l.Clients
// clients, each calling again when its last call returned (due is the
// call's start), or, with l.Rate, each at its due time on its own. In
// open loop it returns, sorted, how late each call started.
func place(ctx context.Context, l Config, order func(i int, due time.Time) error) ([]time.Duration, error) {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	fail := func(err error) { once.Do(func() { first = err }) }
	done := func() {
		if l.Progress != nil {
			l.Progress()
		}
	}
	if l.Rate > 0 {
		start := time.Now()
		every := time.Duration(float64(time.Second) / l.Rate)
		late := make([]time.Duration, l.Sagas)
		for i := range l.Sagas {
			due := start.Add(time.Duration(i) * every)
			if wait := time.Until(due); wait > 0 {
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(wait):
				}
			}
			wg.Go(func() {
				late[i] = time.Since(due)
				if err := order(i, due); err != nil {
					fail(err)
					return
				}
				done()
			})
		}
		wg.Wait()
		slices.Sort(late)
		return late, first
	}
	clients := max(l.Clients, 1)
	for w := range clients {
		wg.Go(func() {
			for i := w; i < l.Sagas; i += clients {
				if err := order(i, time.Now()); err != nil {
					fail(err)
					return
				}
				done()
			}
		})
	}
	wg.Wait()
	return nil, first
}
