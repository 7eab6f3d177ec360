package customer

import (
	"context"
	"fmt"
	"testing"

	"sagalab/bus"
	"sagalab/bus/eventstore"
	"sagalab/modules/customer/contract"
)

// longCustomer makes a customer whose stream has n events: reservations and
// releases of 1.00, appended 1000 to a transaction, with snapshots as the
// module would take them.
func longCustomer(b *testing.B, n int, snapshotEvery int) (*Module, string) {
	m, done := newModule(b, b.TempDir(), snapshotEvery)
	b.Cleanup(done)
	ctx := context.Background()
	id, err := m.Create(ctx, "Long", 1_000_00)
	if err != nil {
		b.Fatal(err)
	}
	for done := 1; done < n; {
		err := m.out.Write(ctx, func(tx *bus.Tx) error {
			c, err := m.repo.load(ctx, tx, id)
			if err != nil {
				return err
			}
			var evs []eventstore.NewEvent
			for ; done < n && len(evs) < 1000; done++ {
				order := fmt.Sprintf("o%d", (done-1)/2) // reserved at odd, released at even
				if done%2 == 1 {
					evs = append(evs, eventstore.NewEvent{Type: contract.CustomerCreditReserved,
						Data: contract.CreditReserved{CustomerID: id, OrderID: order, OrderTotal: 1_00}})
				} else {
					evs = append(evs, eventstore.NewEvent{Type: contract.CustomerCreditReleased,
						Data: contract.CreditReleased{CustomerID: id, OrderID: order, Amount: 1_00}})
				}
			}
			_, err = m.repo.save(ctx, tx, c, evs)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return m, id
}

// BenchmarkLoadCustomer rebuilds a customer whose stream has 1,000 to
// 100,000 events, from the latest snapshot plus its tail, or by replaying the
// whole stream; and loads it through the module's cache, which checks the
// stream's head. With snapshots the time does not grow with the stream.
func BenchmarkLoadCustomer(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		for _, how := range []string{"snapshot+tail", "full-replay", "cached"} {
			name := fmt.Sprintf("events=%d/%s", n, how)
			b.Run(name, func(b *testing.B) {
				every := DefaultSnapshotEvery
				if how == "full-replay" {
					every = -1
				}
				m, id := longCustomer(b, n, every)
				ctx := context.Background()
				load := func() (*Customer, error) { return m.repo.loadAt(ctx, m.db.Reader(), id, 0) }
				if how == "cached" {
					load = func() (*Customer, error) { return m.repo.load(ctx, m.db.Reader(), id) }
				}
				b.ResetTimer()
				for range b.N {
					c, err := load()
					if err != nil || c.Version != int64(n) {
						b.Fatalf("loaded version %d, %v; want %d", c.Version, err, n)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/load")
			})
		}
	}
}

// BenchmarkReplay reads every event from position 0 and applies it to its
// customer, as a rebuild would: events per second.
func BenchmarkReplay(b *testing.B) {
	const n = 100_000
	m, _ := longCustomer(b, n, -1)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		customers := map[string]*Customer{}
		var after int64
		applied := 0
		for {
			evs, err := m.events.ReadAll(ctx, after, 5000)
			if err != nil {
				b.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			for _, e := range evs {
				c := customers[e.Stream]
				if c == nil {
					c = &Customer{}
					customers[e.Stream] = c
				}
				if err := c.apply(e); err != nil {
					b.Fatal(err)
				}
				applied++
			}
			after = evs[len(evs)-1].Position
		}
		if applied != n {
			b.Fatalf("replayed %d events, want %d", applied, n)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
}
