// Package classroom runs sagalab for a scenario as a class sees it: a
// session that settles after each step, a clock that moves only when told,
// and the rows of each module's tables.
package classroom

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"sagalab/bus"
	"sagalab/cmd/internal/trace"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// Session runs sagalab for a scenario: it settles after each step, can
// crash and restart sagalab on the same data, and lets time pass. In step
// mode its relays stay held and Settle hands out one message at a time,
// telling the step function about each.
//
// A session keeps its own time (a Clock, or the wall clock), so it brings
// back itself the modules that a pause fault takes down for a while: Settle
// waits for them when messages do, and a crash does not shorten the pause.
type Session struct {
	cfg      system.Config
	sys      *system.System
	step     func(bus.Stepped) error
	returned func(module string, down time.Duration) error
	clock    *Clock
	paused   []string            // down until Resume
	down     map[string]downTime // down for a while (pause faults)
}

// downTime is a module's pause fault: down for d, until until.
type downTime struct {
	until time.Time
	d     time.Duration
}

// SessionOptions choose how a Session runs.
type SessionOptions struct {
	// Step, if set, puts the session in step mode and is told about each
	// message delivered; an error from it ends the run.
	Step func(bus.Stepped) error
	// Returned, if set, is told when a module a pause fault took down comes
	// back, before it catches up; an error from it ends the run.
	Returned func(module string, down time.Duration) error
	// Clock, if set, is the session's time: Wait advances it instead of
	// sleeping.
	Clock *Clock
}

// NewSession starts sagalab with cfg.
func NewSession(ctx context.Context, cfg system.Config, opt SessionOptions) (*Session, error) {
	s := &Session{cfg: cfg, step: opt.Step, returned: opt.Returned, clock: opt.Clock, down: map[string]downTime{}}
	if s.clock != nil {
		s.cfg.Now = s.clock.Now
		s.cfg.ManualDeadlines = true
	}
	if s.step != nil {
		s.cfg.HoldDelivery = true
	}
	for module, d := range cfg.Faults.Pauses {
		s.down[module] = downTime{until: s.now().Add(d), d: d}
	}
	s.cfg.Faults.Pauses = nil // the session brings them back, not a timer
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Session) start(ctx context.Context) error {
	cfg := s.cfg
	cfg.Paused = slices.Clone(s.paused) // still down after a crash
	for module := range s.down {
		cfg.Paused = append(cfg.Paused, module)
	}
	sys, err := system.Start(ctx, cfg)
	if err != nil {
		return err
	}
	s.sys = sys
	return nil
}

func (s *Session) now() time.Time {
	if s.clock != nil {
		return s.clock.Now()
	}
	return time.Now()
}

// CrashAfterOrder is the order after whose commit the session's faults say
// to crash (0: none).
func (s *Session) CrashAfterOrder() int { return s.cfg.Faults.CrashAfterOrder }

// System is the running sagalab (a new one after each crash).
func (s *Session) System() *system.System { return s.sys }

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

// CreateOrderIn creates an order in saga mode mode.
func (s *Session) CreateOrderIn(ctx context.Context, customerID string, total money.Money, mode ordercontract.SagaMode) (ordercontract.Order, error) {
	return s.sys.Orders.Create(ctx, customerID, total, mode)
}

// CrashCoordinator takes the two-phase commit coordinator down, runs
// create, lets the participants handle their PREPARE and vote (the votes
// wait for the coordinator), then closes sagalab and starts it again on the
// same data with the coordinator still down, until Resume.
func (s *Session) CrashCoordinator(ctx context.Context, create func() error) error {
	s.Pause(ordercontract.Coordinator)
	if err := create(); err != nil {
		return err
	}
	if err := s.drain(ctx); err != nil {
		return err
	}
	if err := s.sys.Close(); err != nil {
		return fmt.Errorf("crash the coordinator: %w", err)
	}
	return s.start(ctx)
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
// consumer that is not paused until Resume. A module down for a while (a
// pause fault) that messages wait for is waited for: Settle lets the time
// pass until it is back, as Wait does (sagas whose deadline passes time
// out), and goes on until it has caught up. In step mode Settle delivers the
// messages, one by one.
func (s *Session) Settle(ctx context.Context) error {
	for {
		if err := s.drain(ctx); err != nil {
			return err
		}
		until, ok := s.awaitedReturn()
		if !ok {
			return nil
		}
		if err := s.Wait(ctx, until.Sub(s.now())); err != nil {
			return err
		}
	}
}

// drain delivers, or waits for, what can be handled now.
func (s *Session) drain(ctx context.Context) error {
	if s.step == nil {
		if err := s.bringBack(); err != nil {
			return err
		}
		return s.sys.WaitIdle(ctx)
	}
	for {
		if err := s.bringBack(); err != nil {
			return err
		}
		st, ok, err := s.sys.Bus.DeliverNext(ctx)
		if err != nil || !ok {
			return err
		}
		if err := s.step(st); err != nil {
			return err
		}
	}
}

// awaitedReturn returns the earliest time a module down for a while that
// messages wait for comes back.
func (s *Session) awaitedReturn() (time.Time, bool) {
	var until time.Time
	for _, c := range s.sys.Bus.Awaited() {
		p, ok := s.down[c]
		if ok && !slices.Contains(s.paused, c) && (until.IsZero() || p.until.Before(until)) {
			until = p.until
		}
	}
	return until, !until.IsZero()
}

// bringBack resumes the modules whose pause fault is over.
func (s *Session) bringBack() error {
	now := s.now()
	for _, module := range slices.Sorted(maps.Keys(s.down)) {
		p := s.down[module]
		if now.Before(p.until) {
			continue
		}
		delete(s.down, module)
		if slices.Contains(s.paused, module) {
			continue // also down until Resume
		}
		if s.returned != nil {
			if err := s.returned(module, p.d); err != nil {
				return err
			}
		}
		s.sys.Bus.ResumeConsumer(module)
	}
	return nil
}

// Pause stops a module's consumers until Resume.
func (s *Session) Pause(module string) {
	if !slices.Contains(s.paused, module) {
		s.paused = append(s.paused, module)
	}
	s.sys.Bus.PauseConsumer(module)
}

// Resume starts a module's consumers again, unless a pause fault still
// holds the module down.
func (s *Session) Resume(module string) {
	s.paused = slices.DeleteFunc(s.paused, func(m string) bool { return m == module })
	if _, down := s.down[module]; !down {
		s.sys.Bus.ResumeConsumer(module)
	}
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
	switch {
	case d <= 0:
	case s.clock != nil:
		s.clock.Advance(d)
	default:
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
