package system

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/money"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/trace"
)

// Session runs sagalab for a scenario: it settles after each step, can
// crash and restart sagalab on the same data, and lets time pass. In step
// mode its relays stay held and Settle hands out one message at a time,
// telling the step function about each.
type Session struct {
	cfg    Config
	sys    *System
	step   func(bus.Stepped) error
	clock  *Clock
	paused []string
}

// SessionOptions choose how a Session runs.
type SessionOptions struct {
	// Step, if set, puts the session in step mode and is told about each
	// message delivered; an error from it ends the run.
	Step func(bus.Stepped) error
	// Clock, if set, is the session's time: Wait advances it instead of
	// sleeping.
	Clock *Clock
}

// NewSession starts sagalab with cfg.
func NewSession(ctx context.Context, cfg Config, opt SessionOptions) (*Session, error) {
	s := &Session{cfg: cfg, step: opt.Step, clock: opt.Clock}
	if s.clock != nil {
		s.cfg.Now = s.clock.Now
		s.cfg.ManualDeadlines = true
	}
	if s.step != nil {
		s.cfg.HoldDelivery = true
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Session) start(ctx context.Context) error {
	cfg := s.cfg
	cfg.Paused = slices.Clone(s.paused) // still down after a crash
	sys, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	s.sys = sys
	return nil
}

// CrashAfterOrder is the order after whose commit the session's faults say
// to crash (0: none).
func (s *Session) CrashAfterOrder() int { return s.cfg.Faults.CrashAfterOrder }

// System is the running sagalab (a new one after each crash).
func (s *Session) System() *System { return s.sys }

// Close stops sagalab.
func (s *Session) Close() error { return s.sys.Close() }

// CreateCustomer creates a customer.
func (s *Session) CreateCustomer(ctx context.Context, name string, limit money.Money) (string, error) {
	return s.sys.Customers.Create(ctx, name, limit)
}

// CreateOrder creates an order in the default saga mode.
func (s *Session) CreateOrder(ctx context.Context, customerID string, total money.Money) (ordercontract.Order, error) {
	return s.sys.Orders.Create(ctx, customerID, total, "")
}

// CancelOrder cancels an approved order.
func (s *Session) CancelOrder(ctx context.Context, id string) (ordercontract.Order, error) {
	return s.sys.Orders.Cancel(ctx, id)
}

// Order returns an order.
func (s *Session) Order(ctx context.Context, id string) (ordercontract.Order, error) {
	return s.sys.Orders.Order(ctx, id)
}

// Customer returns a customer.
func (s *Session) Customer(ctx context.Context, id string) (customercontract.Customer, error) {
	return s.sys.Customers.Customer(ctx, id)
}

// Settle returns once every message sent so far has been handled by every
// consumer that is not paused. In step mode it delivers them, one by one.
func (s *Session) Settle(ctx context.Context) error {
	if s.step == nil {
		return s.sys.waitIdle(ctx)
	}
	for {
		st, ok, err := s.sys.Bus.DeliverNext(ctx)
		if err != nil || !ok {
			return err
		}
		if err := s.step(st); err != nil {
			return err
		}
	}
}

// Pause stops a module's consumers.
func (s *Session) Pause(module string) {
	if !slices.Contains(s.paused, module) {
		s.paused = append(s.paused, module)
	}
	s.sys.Bus.PauseConsumer(module)
}

// Resume starts a module's consumers again.
func (s *Session) Resume(module string) {
	s.paused = slices.DeleteFunc(s.paused, func(m string) bool { return m == module })
	s.sys.Bus.ResumeConsumer(module)
}

// CrashAfter runs commit with every relay held, then closes sagalab, as a
// crash after the local commit and before the publish would, and starts it
// again on the same data.
func (s *Session) CrashAfter(ctx context.Context, commit func() error) error {
	s.sys.Bus.Hold()
	if err := commit(); err != nil {
		return err
	}
	if err := s.sys.Close(); err != nil {
		return fmt.Errorf("crash: %w", err)
	}
	return s.start(ctx)
}

// Wait lets d pass, then times out the sagas whose deadline passed.
func (s *Session) Wait(ctx context.Context, d time.Duration) error {
	if s.clock != nil {
		s.clock.Advance(d)
	} else {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.sys.ExpireNow(ctx)
}

// Describe shows something about customer id: "events" or "compare".
func (s *Session) Describe(ctx context.Context, what, id string) ([]string, error) {
	switch what {
	case "events":
		return s.describeEvents(ctx, id)
	case "compare":
		return s.describeCompare(ctx, id)
	}
	return nil, fmt.Errorf("describe: nothing called %q", what)
}

func (s *Session) describeEvents(ctx context.Context, id string) ([]string, error) {
	evs, err := s.sys.Customers.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, e := range evs {
		lines = append(lines, fmt.Sprintf("v%-3d %-32s %s", e.Version, e.Type, trace.Summarize(e.Data)))
	}
	st, snapshot, err := s.sys.Customers.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	how := fmt.Sprintf("replayed all %d events (no snapshot yet)", st.Version)
	if snapshot > 0 {
		how = fmt.Sprintf("loaded from the snapshot at v%d, then %d events replayed", snapshot, st.Version-snapshot)
	}
	return append(lines, fmt.Sprintf("state: %s; limit %s, reserved %s, available %s, %d open reservations",
		how, st.CreditLimit, st.Reserved, st.Available, len(st.Open))), nil
}

func (s *Session) describeCompare(ctx context.Context, id string) ([]string, error) {
	composed, stats, err := s.sys.Composer.OrderHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	doc, err := s.sys.History.Document(ctx, id)
	if err != nil {
		return nil, err
	}
	var a, b []string
	for _, o := range composed.Orders {
		a = append(a, fmt.Sprintf("%s %s %s", o.ID, o.State, o.OrderTotal))
	}
	for _, o := range doc.Orders {
		b = append(b, fmt.Sprintf("%s %s %s", o.OrderID, o.State, o.OrderTotal))
	}
	slices.Sort(a)
	slices.Sort(b)
	same := "the same orders and states"
	if !slices.Equal(a, b) {
		same = "different answers: the view has not caught up yet"
	}
	return []string{
		fmt.Sprintf("API composition: %d round trips (Customer service, then Order service), %d rows moved, joined in memory",
			stats.RoundTrips, stats.RowsFetched),
		fmt.Sprintf("CQRS view: 1 query on history.db, %d rows", len(doc.Orders)),
		"orders: " + strings.Join(b, ", "),
		"both give " + same,
	}, nil
}
