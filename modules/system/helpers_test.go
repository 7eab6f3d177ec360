package system

import (
	"context"
	"testing"
	"time"

	"sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// modes are the saga modes every scenario runs in.
var modes = []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration}

func start(t testing.TB, cfg Config) *System {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// restart stops s, as a crash or a stop would, and starts sagalab again on
// the same data with cfg.
func restart(t testing.TB, s *System, cfg Config) *System {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = s.DataDir()
	return start(t, cfg)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func mustCustomer(t testing.TB, s *System, name, limit string) string {
	t.Helper()
	l, err := money.Parse(limit)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Customers.Create(context.Background(), name, l)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustOrder(t testing.TB, s *System, customerID, total string, mode ordercontract.SagaMode) string {
	t.Helper()
	amt, err := money.Parse(total)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Orders.Create(context.Background(), customerID, amt, mode)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// final waits for the order's saga to end and returns the order.
func final(t testing.TB, s *System, id string) ordercontract.Order {
	t.Helper()
	var o ordercontract.Order
	eventually(t, "order "+id+" to leave PENDING", func() bool {
		var err error
		o, err = s.Orders.Order(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return o.Final()
	})
	return o
}

func available(t testing.TB, s *System, customerID string) money.Money {
	t.Helper()
	c, err := s.Customers.Customer(context.Background(), customerID)
	if err != nil {
		t.Fatal(err)
	}
	return c.AvailableCredit
}

// settled waits until every message has been handled by every consumer.
func settled(t testing.TB, s *System) {
	t.Helper()
	eventually(t, "the bus to settle", func() bool { return s.Bus.Idle() })
}

var _ = contract.ErrNotFound
