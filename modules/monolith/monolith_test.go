package monolith

import (
	"context"
	"errors"
	"sync"
	"testing"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func customer(t *testing.T, s *Store, limit money.Money) string {
	t.Helper()
	id, err := s.CreateCustomer(context.Background(), "John", limit)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Many concurrent orders on one customer: the credit check and the
// reservation are one transaction, so the credit is never reserved beyond
// the limit, and exactly the approved orders hold it.
func TestConcurrentOrdersNeverOverReserve(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	const clients, limit = 160, money.Money(10000) // 100.00: room for 100 orders of 1.00
	c := customer(t, s, limit)
	var wg sync.WaitGroup
	results := make([]ordercontract.Order, clients)
	errs := make([]error, clients)
	for i := range clients {
		wg.Go(func() { results[i], errs[i] = s.PlaceOrder(ctx, c, 100) })
	}
	wg.Wait()
	approved := money.Money(0)
	n := 0
	for i, o := range results {
		if errs[i] != nil {
			t.Fatalf("order %d: %v", i, errs[i])
		}
		switch {
		case o.State == ordercontract.Approved:
			approved += o.OrderTotal
			n++
		case o.State != ordercontract.Rejected || o.RejectionReason != ordercontract.ReasonInsufficientCredit:
			t.Errorf("order %d is %s/%s", i, o.State, o.RejectionReason)
		}
	}
	if n != 100 || approved != limit {
		t.Fatalf("%d orders approved for %s, want 100 for exactly the limit %s", n, approved, limit)
	}
	got, err := s.Customer(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if got.AvailableCredit != 0 {
		t.Fatalf("available credit %s, want 0.00", got.AvailableCredit)
	}
	// What is stored agrees with what the callers were told.
	all, err := s.Orders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, o := range all {
		if o.State == ordercontract.Approved {
			stored++
		}
	}
	if len(all) != clients || stored != 100 {
		t.Fatalf("%d orders stored, %d APPROVED; want %d and 100", len(all), stored, clients)
	}
	if got := s.Commits(); got != clients+1 {
		t.Fatalf("%d commits, want %d: one per order and the customer's", got, clients+1)
	}
}

// Cancel releases exactly the order's credit, in the transaction that
// cancels it, and only once.
func TestCancelReleasesExactly(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	c := customer(t, s, 1500)
	a, err := s.PlaceOrder(ctx, c, 1234)
	if err != nil || a.State != ordercontract.Approved {
		t.Fatalf("order of 12.34 = %v, %v", a.State, err)
	}
	b, err := s.PlaceOrder(ctx, c, 200)
	if err != nil || b.State != ordercontract.Approved {
		t.Fatalf("order of 2.00 = %v, %v", b.State, err)
	}
	if o, err := s.Cancel(ctx, a.ID); err != nil || o.State != ordercontract.Cancelled {
		t.Fatalf("cancel = %v, %v", o.State, err)
	}
	if got, _ := s.Customer(ctx, c); got.AvailableCredit != 1300 {
		t.Fatalf("available after cancel %s, want 13.00: only 12.34 released", got.AvailableCredit)
	}
	if _, err := s.Cancel(ctx, a.ID); !errors.Is(err, ErrNotApproved) {
		t.Fatalf("second cancel: %v, want ErrNotApproved", err)
	}
	if got, _ := s.Customer(ctx, c); got.AvailableCredit != 1300 {
		t.Fatalf("available after a second cancel %s, want 13.00 still", got.AvailableCredit)
	}
	r, err := s.PlaceOrder(ctx, c, 9999)
	if err != nil || r.State != ordercontract.Rejected {
		t.Fatalf("order of 99.99 = %v, %v", r.State, err)
	}
	if _, err := s.Cancel(ctx, r.ID); !errors.Is(err, ErrNotApproved) {
		t.Fatalf("cancel of a rejected order: %v, want ErrNotApproved", err)
	}
	if _, err := s.Cancel(ctx, "nope"); !errors.Is(err, ordercontract.ErrNotFound) {
		t.Fatalf("cancel of an unknown order: %v, want ErrNotFound", err)
	}
	if got, _ := s.Customer(ctx, c); got.AvailableCredit != 1300 {
		t.Fatalf("available %s, want 13.00: a refused cancel releases nothing", got.AvailableCredit)
	}
}

// Concurrent cancels and orders on one customer: the reservation always
// equals the sum of the APPROVED orders.
func TestReservationMatchesApprovedOrders(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	c := customer(t, s, 5000)
	var first []string
	for range 50 {
		o, err := s.PlaceOrder(ctx, c, 100)
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, o.ID)
	}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			if i < 50 {
				s.Cancel(ctx, first[i])
			} else {
				s.PlaceOrder(ctx, c, 100)
			}
		})
	}
	wg.Wait()
	all, _ := s.Orders(ctx)
	approved := money.Money(0)
	for _, o := range all {
		if o.State == ordercontract.Approved {
			approved += o.OrderTotal
		}
	}
	got, _ := s.Customer(ctx, c)
	if got.CreditLimit-got.AvailableCredit != approved {
		t.Fatalf("reserved %s, APPROVED orders total %s", got.CreditLimit-got.AvailableCredit, approved)
	}
}
