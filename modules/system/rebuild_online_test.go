package system

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// Rebuilding a running server's view while orders, sagas and cancels go on
// loses nothing: afterwards the view shows every order as the Order service
// has it, equals a rebuild from scratch, answers read-your-writes, and after
// a restart nothing is missing and it does not lag.
func TestOnlineViewRebuild(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			ctx := context.Background()
			cfg := Config{DataDir: t.TempDir(), SagaMode: mode}
			s := start(t, cfg)
			srv := apiServer(t, s)
			defer srv.Close()
			var customers []string
			for i := range 6 {
				customers = append(customers, mustCustomer(t, s, fmt.Sprintf("C%d", i), "300.00"))
			}

			// Orders (some rejected for want of credit, some for an unknown
			// customer) and cancels, from several clients at once.
			var load sync.WaitGroup
			for w := range 4 {
				load.Go(func() {
					var mine []string
					for i := range 40 {
						c := customers[(w+i)%len(customers)]
						if i%13 == 12 {
							c = "nobody"
						}
						o, err := s.Orders.Create(ctx, c, money.Money(100*(1+(i*7+w)%40)), "")
						if err != nil {
							t.Errorf("create an order: %v", err)
							return
						}
						mine = append(mine, o.ID)
						if i%5 == 4 {
							if o, err := s.Orders.Order(ctx, mine[i-4]); err == nil && o.State == ordercontract.Approved {
								if _, err := s.Orders.Cancel(ctx, o.ID); err != nil {
									t.Errorf("cancel %s: %v", o.ID, err)
								}
							}
						}
					}
				})
			}
			loaded := make(chan struct{})
			go func() { load.Wait(); close(loaded) }()

			// Rebuilds meanwhile, in process and over HTTP, and one more
			// after the load while sagas are still finishing.
			rebuilds := 0
			for busy := true; busy || rebuilds < 3; rebuilds++ {
				select {
				case <-loaded:
					busy = false
				default:
				}
				if rebuilds%2 == 1 {
					if code, body := call(t, srv, "POST", "/views/rebuild", ""); code != 200 || body["events"].(float64) == 0 {
						t.Fatalf("POST /views/rebuild = %d %v", code, body)
					}
					continue
				}
				if _, err := s.RebuildView(ctx, nil); err != nil {
					t.Fatalf("rebuild %d: %v", rebuilds, err)
				}
			}
			if t.Failed() {
				return
			}
			t.Logf("%d rebuilds under load", rebuilds)

			// Read-your-writes right after a rebuild, for a write made
			// before it and one made after.
			_, before := call(t, srv, "POST", "/orders", `{"customerId":"`+customers[0]+`","orderTotal":{"amount":"1.00"}}`)
			if code, body := call(t, srv, "POST", "/views/rebuild", ""); code != 200 {
				t.Fatalf("POST /views/rebuild = %d %v", code, body)
			}
			_, after := call(t, srv, "POST", "/orders", `{"customerId":"`+customers[0]+`","orderTotal":{"amount":"1.00"}}`)
			for _, created := range []map[string]any{before, after} {
				code, doc := orderHistory(t, srv, customers[0], created["position"].(string)+"&wait=20s")
				if code != 200 || doc["orders"].(map[string]any)[created["orderId"].(string)] == nil {
					t.Fatalf("read-your-writes of %v after a rebuild = %d %v", created, code, doc)
				}
			}

			all, err := s.Orders.Orders(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range all {
				final(t, s, o.ID)
			}
			settled(t, s)
			want := ordersOf(t, s)
			checkView(t, s, "after online rebuilds", want)

			s = restart(t, s, cfg)
			settled(t, s)
			checkView(t, s, "after a restart", want)

			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := RebuildView(ctx, cfg.DataDir, nil); err != nil {
				t.Fatal(err)
			}
			inspected := start(t, Config{DataDir: cfg.DataDir, Inspect: true})
			checkView(t, inspected, "rebuilt from scratch", want)
		})
	}
}

// A rebuild asked for while one runs is refused with 409.
func TestOnlineViewRebuildConflict(t *testing.T) {
	s := start(t, Config{})
	srv := apiServer(t, s)
	defer srv.Close()
	s.rebuild.running.Lock() // as a rebuild in progress does
	code, body := call(t, srv, "POST", "/views/rebuild", "")
	s.rebuild.running.Unlock()
	if code != 409 || body["error"] == "" {
		t.Fatalf("POST /views/rebuild during a rebuild = %d %v, want 409 with an error", code, body)
	}
	if code, body := call(t, srv, "POST", "/views/rebuild", ""); code != 200 {
		t.Fatalf("POST /views/rebuild = %d %v", code, body)
	}
}

// ordersOf is every order as the Order service has it, by customer: what
// the view must show.
func ordersOf(t *testing.T, s *System) map[string]map[string]string {
	t.Helper()
	all, err := s.Orders.Orders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, o := range all {
		if out[o.CustomerID] == nil {
			out[o.CustomerID] = map[string]string{}
		}
		out[o.CustomerID][o.ID] = fmt.Sprintf("%s %s", o.State, o.OrderTotal)
	}
	return out
}

// checkView checks that s's view shows exactly want and lags behind
// nothing.
func checkView(t *testing.T, s *System, when string, want map[string]map[string]string) {
	t.Helper()
	ctx := context.Background()
	for customer, orders := range want {
		got := map[string]string{}
		if d, err := s.History.Document(ctx, customer); err == nil {
			for _, o := range d.Orders {
				got[o.OrderID] = fmt.Sprintf("%s %s", o.State, o.OrderTotal)
			}
		} else if customer != "nobody" {
			t.Fatalf("%s: %v", when, err)
		}
		if customer == "nobody" {
			continue // no customer document; its orders are checked below
		}
		if !maps.Equal(got, orders) {
			missing := 0
			for id, o := range orders {
				if got[id] != o {
					missing++
				}
			}
			t.Fatalf("%s: the view shows %d orders of %s, %d of them wrong or missing, of %d", when, len(got), customer, missing, len(orders))
		}
	}
	st, err := s.ViewStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range st {
		if v.Lag != 0 || v.Applied == 0 {
			t.Fatalf("%s: view status %+v, want no lag", when, st)
		}
	}
}
