package classroom

import (
	"context"
	"fmt"
	"time"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// MonolithSession runs the monolith for a scenario, as Session runs the
// services: the same steps, the same expectations. The monolith has no bus
// and no modules to take down: each step is one local transaction, done
// when it returns, so Settle has nothing to wait for and Pause and Resume
// change nothing.
type MonolithSession struct {
	cfg    system.Config
	sys    *system.MonolithSystem
	commit func(system.MonolithCommit)
	clock  *Clock
}

// NewMonolithSession starts the monolith with cfg. commit, if set, is told
// about each committed transaction; clock, if set, is the monolith's time.
func NewMonolithSession(ctx context.Context, cfg system.Config, commit func(system.MonolithCommit), clock *Clock) (*MonolithSession, error) {
	s := &MonolithSession{cfg: cfg, commit: commit, clock: clock}
	if clock != nil {
		s.cfg.Now = clock.Now
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *MonolithSession) start(ctx context.Context) error {
	sys, err := system.StartMonolith(ctx, s.cfg)
	if err != nil {
		return err
	}
	sys.Store.Observe(s.commit)
	s.sys = sys
	return nil
}

// System is the running monolith (a new one after each crash).
func (s *MonolithSession) System() *system.MonolithSystem { return s.sys }

// CrashAfterOrder is the order after whose commit the session's faults say
// to crash (0: none).
func (s *MonolithSession) CrashAfterOrder() int { return s.cfg.Faults.CrashAfterOrder }

// Close stops the monolith.
func (s *MonolithSession) Close() error { return s.sys.Close() }

// CreateCustomer creates a customer.
func (s *MonolithSession) CreateCustomer(ctx context.Context, name string, limit money.Money) (string, error) {
	return s.sys.Store.CreateCustomer(ctx, name, limit)
}

// CreateOrder places an order: one transaction, final when it returns.
func (s *MonolithSession) CreateOrder(ctx context.Context, customerID string, total money.Money) (ordercontract.Order, error) {
	return s.sys.Store.PlaceOrder(ctx, customerID, total)
}

// CancelOrder cancels an approved order and releases its credit.
func (s *MonolithSession) CancelOrder(ctx context.Context, id string) (ordercontract.Order, error) {
	return s.sys.Store.Cancel(ctx, id)
}

// Order returns an order.
func (s *MonolithSession) Order(ctx context.Context, id string) (ordercontract.Order, error) {
	return s.sys.Store.Order(ctx, id)
}

// Customer returns a customer.
func (s *MonolithSession) Customer(ctx context.Context, id string) (customercontract.Customer, error) {
	return s.sys.Store.Customer(ctx, id)
}

// Settle returns at once: nothing is in flight between transactions.
func (s *MonolithSession) Settle(context.Context) error { return nil }

// Pause does nothing: the monolith has no module to take down alone.
func (s *MonolithSession) Pause(string) {}

// Resume does nothing, as Pause.
func (s *MonolithSession) Resume(string) {}

// CrashAfter runs commit, then stops the monolith and starts it again on
// the same data: what commit wrote is all there, nothing was in flight.
func (s *MonolithSession) CrashAfter(ctx context.Context, commit func() error) error {
	if err := commit(); err != nil {
		return err
	}
	if err := s.sys.Close(); err != nil {
		return fmt.Errorf("crash: %w", err)
	}
	return s.start(ctx)
}

// Wait lets d pass; no deadline waits in the monolith.
func (s *MonolithSession) Wait(ctx context.Context, d time.Duration) error {
	if s.clock != nil {
		s.clock.Advance(d)
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Describe shows a customer's order history ("compare"): in the monolith,
// one read of one database, current when it answers. The monolith stores
// state, not events: "events" says so.
func (s *MonolithSession) Describe(ctx context.Context, what, id string) ([]string, error) {
	if what == "events" {
		return []string{"the monolith stores each customer's current state, not its events: no stream to show"}, nil
	}
	c, orders, err := s.sys.Store.OrderHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	lines := []string{fmt.Sprintf("one SQL join on store.db (1 round trip): %s, limit %s, available %s",
		c.Name, c.CreditLimit, c.AvailableCredit)}
	for _, o := range orders {
		lines = append(lines, fmt.Sprintf("  order %s %s %s", o.ID, o.State, o.OrderTotal))
	}
	return lines, nil
}
