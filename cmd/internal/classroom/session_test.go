package classroom

import (
	"context"
	"slices"
	"testing"
	"time"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

// pausedSession runs one order of 12.34 against a credit of 15.00 in a
// session on the wall clock (as the demo does) with module down for pause
// from the start. Settle, not polling, decides when the run is over.
func pausedSession(t *testing.T, cfg system.Config, clock *Clock, module string, pause time.Duration) (*Session, string, string, []string) {
	t.Helper()
	cfg.DataDir = t.TempDir()
	cfg.Faults.Pauses = map[string]time.Duration{module: pause}
	var back []string
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := NewSession(ctx, cfg, SessionOptions{Clock: clock, Returned: func(m string, d time.Duration) error {
		if d != pause {
			t.Errorf("%s back after %s, want %s", m, d, pause)
		}
		back = append(back, m)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := s.CreateCustomer(ctx, "John", 1500)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := s.CreateOrder(ctx, c, 1234)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	return s, c, o.ID, back
}

// A module down for a while (pause-MODULE=D) is waited for: once Settle
// returns, the saga has ended as it would have without the fault, the view
// has caught up, and the module came back once.
func TestSettleWaitsForPausedModule(t *testing.T) {
	for _, mode := range modes {
		for _, module := range system.Participants {
			t.Run(string(mode)+"/"+module, func(t *testing.T) {
				s, c, id, back := pausedSession(t, system.Config{SagaMode: mode}, nil, module, 100*time.Millisecond)
				ctx := context.Background()
				o, err := s.Order(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if o.State != ordercontract.Approved {
					t.Fatalf("order is %s/%s after Settle, want APPROVED", o.State, o.RejectionReason)
				}
				if got, err := s.Customer(ctx, c); err != nil || got.AvailableCredit != 266 {
					t.Fatalf("available credit %v (%v), want 2.66", got.AvailableCredit, err)
				}
				doc, err := s.System().History.Document(ctx, c)
				if err != nil || len(doc.Orders) != 1 || doc.Orders[0].State != ordercontract.Approved {
					t.Fatalf("view %+v (%v), want the order APPROVED", doc.Orders, err)
				}
				if !slices.Equal(back, []string{module}) {
					t.Fatalf("modules back: %v, want [%s]", back, module)
				}
				if !s.System().Bus.Idle() || len(s.System().Bus.Awaited()) > 0 {
					t.Fatalf("messages still wait for %v after Settle", s.System().Bus.Awaited())
				}
			})
		}
	}
}

// A pause longer than the saga timeout ends in the timeout's compensation:
// the order is REJECTED/TIMEOUT and, once the module is back, its late
// reservation is released.
func TestPauseLongerThanSagaTimeout(t *testing.T) {
	for _, mode := range modes {
		for _, module := range []string{"customer", "order"} {
			t.Run(string(mode)+"/"+module, func(t *testing.T) {
				// On the session's clock: the pause outlasts the timeout by
				// construction, not by a race between wall-clock timers.
				cfg := system.Config{SagaMode: mode, SagaTimeout: 30 * time.Second}
				s, c, id, _ := pausedSession(t, cfg, NewClock(time.Now()), module, time.Minute)
				ctx := context.Background()
				o, err := s.Order(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if o.State != ordercontract.Rejected || o.RejectionReason != ordercontract.ReasonTimeout {
					t.Fatalf("order is %s/%s after Settle, want REJECTED/TIMEOUT", o.State, o.RejectionReason)
				}
				if got, err := s.Customer(ctx, c); err != nil || got.AvailableCredit != 1500 {
					t.Fatalf("available credit %v (%v), want 15.00: the late reservation leaked", got.AvailableCredit, err)
				}
			})
		}
	}
}

// modes are the saga modes every scenario runs in.
var modes = []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration}
