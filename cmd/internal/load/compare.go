package load

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// Figures is what bench compare measures of one way of running Create
// Order: throughput, latency from the request to the order's final state,
// local transactions (each one COMMIT) and messages per order, and what
// happens while the Customer service is down.
type Figures struct {
	Name            string  `json:"name"`
	Orders          int     `json:"orders"`
	PerSecond       float64 `json:"ordersPerSecond"`
	P50Ms           float64 `json:"p50Ms"`
	P99Ms           float64 `json:"p99Ms"`
	CommitsPerOrder float64 `json:"commitsPerOrder"`
	MessagesPerOrd  float64 `json:"messagesPerOrder"`
	// AcceptedDuringPause counts the orders accepted while the Customer
	// service was paused, and CompletedAfterPause those of them that ended
	// APPROVED once it was back. The monolith has no service to pause.
	AcceptedDuringPause int `json:"acceptedDuringPause"`
	CompletedAfterPause int `json:"completedAfterPause"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// us is d in microseconds.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// closedLoop runs l.Sagas orders from l.Clients clients, each placing an
// order and waiting for it to end (place returns once it has) before the
// next, and returns the sorted latencies and the elapsed time.
func closedLoop(ctx context.Context, l Config, place func(ctx context.Context, i int) error) ([]time.Duration, time.Duration, error) {
	clients := max(l.Clients, 1)
	lat := make([]time.Duration, l.Sagas)
	started := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for w := range clients {
		wg.Go(func() {
			for i := w; i < l.Sagas && failed.Load() == nil; i += clients {
				t0 := time.Now()
				if err := place(ctx, i); err != nil {
					failed.Store(&err)
					return
				}
				lat[i] = time.Since(t0)
				if l.Progress != nil {
					l.Progress()
				}
			}
		})
	}
	wg.Wait()
	if e := failed.Load(); e != nil {
		return nil, 0, *e
	}
	elapsed := time.Since(started)
	slices.Sort(lat)
	return lat, elapsed, nil
}

// waitFinal polls order id until it leaves PENDING.
func waitFinal(ctx context.Context, s *system.System, id string) (ordercontract.Order, error) {
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	for {
		o, err := s.Orders.Order(ctx, id)
		if err != nil || o.Final() {
			return o, err
		}
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-tick.C:
		}
	}
}

// counts returns the rows of table in each module's database, summed.
func counts(ctx context.Context, s *system.System, table string) (int, error) {
	total := 0
	for _, module := range system.Participants {
		rows, err := s.Query(ctx, module, `SELECT count(*) FROM `+table)
		if err != nil {
			return 0, fmt.Errorf("count %s of %s: %w", table, module, err)
		}
		var n int
		if rows.Next() {
			err = rows.Scan(&n)
		}
		rows.Close()
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// MeasureServices measures l.Sagas orders in mode on the services: each
// handled message is one local transaction (its inbox row), and each order
// one more, its first.
func MeasureServices(ctx context.Context, s *system.System, mode ordercontract.SagaMode, l Config, customers []string) (Figures, error) {
	if err := s.WaitIdle(ctx); err != nil {
		return Figures{}, err
	}
	inbox0, err := counts(ctx, s, "inbox")
	if err != nil {
		return Figures{}, err
	}
	outbox0, err := counts(ctx, s, "outbox")
	if err != nil {
		return Figures{}, err
	}
	lat, elapsed, err := closedLoop(ctx, l, func(ctx context.Context, i int) error {
		o, err := s.Orders.Create(ctx, customers[i%len(customers)], money.Money(100), mode)
		if err == nil {
			_, err = waitFinal(ctx, s, o.ID)
		}
		return err
	})
	if err != nil {
		return Figures{}, err
	}
	if err := s.WaitIdle(ctx); err != nil {
		return Figures{}, err
	}
	inbox1, err := counts(ctx, s, "inbox")
	if err != nil {
		return Figures{}, err
	}
	outbox1, err := counts(ctx, s, "outbox")
	if err != nil {
		return Figures{}, err
	}
	n := float64(l.Sagas)
	return Figures{Name: string(mode), Orders: l.Sagas, PerSecond: n / elapsed.Seconds(),
		P50Ms: ms(percentile(lat, .5)), P99Ms: ms(percentile(lat, .99)),
		CommitsPerOrder: float64(inbox1-inbox0+l.Sagas) / n, MessagesPerOrd: float64(outbox1-outbox0) / n}, nil
}

// MeasureMonolith measures l.Sagas orders on the monolith: one local
// transaction each, no messages.
func MeasureMonolith(ctx context.Context, m *system.MonolithSystem, l Config, customers []string) (Figures, error) {
	lat, elapsed, err := closedLoop(ctx, l, func(ctx context.Context, i int) error {
		_, err := m.Store.PlaceOrder(ctx, customers[i%len(customers)], money.Money(100))
		return err
	})
	if err != nil {
		return Figures{}, err
	}
	n := float64(l.Sagas)
	return Figures{Name: "monolith", Orders: l.Sagas, PerSecond: n / elapsed.Seconds(),
		P50Ms: ms(percentile(lat, .5)), P99Ms: ms(percentile(lat, .99)), CommitsPerOrder: 1}, nil
}

// Availability pauses the Customer service for pause while l.Clients
// clients keep placing orders in mode, then resumes it and waits for every
// order placed meanwhile: how many were accepted during the pause, and how
// many of those ended APPROVED after it.
func Availability(ctx context.Context, s *system.System, mode ordercontract.SagaMode, l Config, customers []string,
	pause time.Duration) (accepted, completed int, err error) {
	s.Bus.PauseConsumer(customercontract.Module)
	until := time.Now().Add(pause)
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for w := range max(l.Clients, 1) {
		wg.Go(func() {
			for i := w; time.Now().Before(until) && failed.Load() == nil; i += l.Clients {
				o, err := s.Orders.Create(ctx, customers[i%len(customers)], money.Money(100), mode)
				if err != nil {
					failed.Store(&err)
					return
				}
				mu.Lock()
				ids = append(ids, o.ID)
				mu.Unlock()
				time.Sleep(time.Millisecond) // a client's think time: the pause is not a flood
			}
		})
	}
	wg.Wait()
	s.Bus.ResumeConsumer(customercontract.Module)
	if e := failed.Load(); e != nil {
		return 0, 0, *e
	}
	for _, id := range ids {
		o, err := waitFinal(ctx, s, id)
		if err != nil {
			return 0, 0, err
		}
		if o.State == ordercontract.Approved {
			completed++
		}
	}
	return len(ids), completed, nil
}
