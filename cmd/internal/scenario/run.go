package scenario

import (
	"context"
	"fmt"
	"time"

	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// System is what a scenario needs of a running sagalab.
type System interface {
	CreateCustomer(ctx context.Context, name string, limit money.Money) (string, error)
	CreateOrder(ctx context.Context, customerID string, total money.Money) (contract.Order, error)
	CancelOrder(ctx context.Context, id string) (contract.Order, error)
	Order(ctx context.Context, id string) (contract.Order, error)
	Customer(ctx context.Context, id string) (customercontract.Customer, error)
	// Settle returns once every message sent so far has been handled by
	// every consumer that is not paused.
	Settle(ctx context.Context) error
	// Pause stops a module's consumers; Resume starts them again.
	Pause(module string)
	Resume(module string)
	// CrashAfter runs commit, a local transaction, then stops the process
	// before anything it wrote is published, and starts it again on the
	// same data.
	CrashAfter(ctx context.Context, commit func() error) error
	// Wait lets d pass and times out the sagas whose deadline passed.
	Wait(ctx context.Context, d time.Duration) error
	// Describe returns lines that show something about customer id: "events"
	// (its stream and its state from the latest snapshot) or "compare" (its
	// order history by API composition and from the CQRS view).
	Describe(ctx context.Context, what, id string) ([]string, error)
}

// ModeChooser is a System that can create an order in a given saga mode.
type ModeChooser interface {
	CreateOrderIn(ctx context.Context, customerID string, total money.Money, mode contract.SagaMode) (contract.Order, error)
}

// CoordinatorCrasher is a System whose two-phase commit coordinator can
// crash after the votes: CrashCoordinator takes the coordinator down, runs
// create, lets the participants vote, and restarts the system on the same
// data with the coordinator still down.
type CoordinatorCrasher interface {
	CrashCoordinator(ctx context.Context, create func() error) error
}

// Event is a step of a run, for whoever shows progress.
type Event struct {
	Step int // 0 while customers are created
	// Kind is customer, order, cancel, pause, resume, crash, wait, events or
	// compare.
	Kind string
	Text string
	// Ref and ID name the customer or order the step concerns, if any.
	Ref, ID string
	// Mode is the saga mode of the order an order step created.
	Mode contract.SagaMode
	// Say is the scenario's own sentence for the step.
	Say string
	// Lines are what an events or compare step shows.
	Lines []string
}

// Result is what a run came to.
type Result struct {
	// IDs maps every ref (customers and orders) to the id it got.
	IDs       map[string]string
	Orders    map[string]contract.Order
	Customers map[string]customercontract.Customer
	// Failures lists each expectation that was not met.
	Failures []string
}

// Passed reports whether every expectation was met.
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// Run performs the scenario on sys, letting the messages of each step settle
// before the next, and checks its expectations. progress, if not nil, is
// told about each step; an error from it stops the run. An error means the
// run itself failed; unmet expectations are in Result.Failures.
func (sc *Scenario) Run(ctx context.Context, sys System, progress func(Event) error) (*Result, error) {
	say := func(e Event) error {
		if progress != nil {
			return progress(e)
		}
		return nil
	}
	res := &Result{IDs: map[string]string{}, Orders: map[string]contract.Order{}, Customers: map[string]customercontract.Customer{}}
	for _, c := range sc.Customers {
		id, err := sys.CreateCustomer(ctx, c.Name, c.CreditLimit)
		if err != nil {
			return nil, fmt.Errorf("create customer %s: %w", c.Ref, err)
		}
		res.IDs[c.Ref] = id
		err = say(Event{Kind: "customer", Ref: c.Ref, ID: id,
			Text: fmt.Sprintf("create customer %s (%s), credit limit %s", c.Ref, c.Name, c.CreditLimit)})
		if err != nil {
			return nil, err
		}
		if err := sys.Settle(ctx); err != nil {
			return nil, err
		}
	}
	crashAt := 0 // a crash asked for by the faults, after the local commit of that order
	if p, ok := sys.(interface{ CrashAfterOrder() int }); ok {
		crashAt = p.CrashAfterOrder()
	}
	orders := 0
	for i, st := range sc.Steps {
		if st.Order != "" {
			orders++
			st.Crash = st.Crash || orders == crashAt
		}
		if err := sc.step(ctx, sys, i+1, st, res, say); err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	if err := sys.Settle(ctx); err != nil {
		return nil, err
	}
	for _, ref := range sc.OrderRefs() {
		o, err := sys.Order(ctx, res.IDs[ref])
		if err != nil {
			return nil, err
		}
		res.Orders[ref] = o
		want, ok := sc.Expect.Orders[ref]
		if ok && (o.State != want.State || (want.Reason != "" && o.RejectionReason != want.Reason)) {
			res.Failures = append(res.Failures, fmt.Sprintf("order %s is %s, want %s",
				ref, describe(o.State, o.RejectionReason), describe(want.State, want.Reason)))
		}
		if !ok && !o.Final() {
			res.Failures = append(res.Failures, fmt.Sprintf("order %s is still PENDING", ref))
		}
	}
	for _, c := range sc.Customers {
		got, err := sys.Customer(ctx, res.IDs[c.Ref])
		if err != nil {
			return nil, err
		}
		res.Customers[c.Ref] = got
		if want, ok := sc.Expect.Customers[c.Ref]; ok && got.AvailableCredit != want.AvailableCredit {
			res.Failures = append(res.Failures, fmt.Sprintf("customer %s has %s available, want %s",
				c.Ref, got.AvailableCredit, want.AvailableCredit))
		}
	}
	return res, nil
}

func (sc *Scenario) step(ctx context.Context, sys System, n int, st Step, res *Result, say func(Event) error) error {
	e := Event{Step: n, Say: st.Say}
	switch {
	case st.Order != "":
		customerID, known := res.IDs[st.Customer]
		if !known {
			customerID = st.Customer // a customer that does not exist
		}
		create := func() error {
			var o contract.Order
			var err error
			if st.Mode != "" {
				mc, ok := sys.(ModeChooser)
				if !ok {
					return fmt.Errorf("create order %s: this system cannot choose the mode %s", st.Order, st.Mode)
				}
				o, err = mc.CreateOrderIn(ctx, customerID, st.Total, st.Mode)
			} else {
				o, err = sys.CreateOrder(ctx, customerID, st.Total)
			}
			if err != nil {
				return fmt.Errorf("create order %s: %w", st.Order, err)
			}
			res.IDs[st.Order] = o.ID
			e.Kind, e.Ref, e.ID, e.Mode = "order", st.Order, o.ID, o.SagaMode
			how := "saga " + string(o.SagaMode)
			switch o.SagaMode {
			case "":
				how = "one transaction, no saga"
			case contract.TwoPhaseCommit:
				how = "two-phase commit, no saga"
			}
			e.Text = fmt.Sprintf("order %s: %s orders %s (%s)", st.Order, st.Customer, st.Total, how)
			return say(e)
		}
		if st.CrashCoordinator {
			cc, ok := sys.(CoordinatorCrasher)
			if !ok {
				return fmt.Errorf("this system has no coordinator to crash")
			}
			if err := cc.CrashCoordinator(ctx, create); err != nil {
				return err
			}
			err := say(Event{Step: n, Kind: "crash-coordinator", Ref: st.Order, ID: res.IDs[st.Order],
				Text: "the coordinator crashes after both votes, before it decides; sagalab restarts without it"})
			if err != nil {
				return err
			}
		} else if st.Crash {
			if err := sys.CrashAfter(ctx, create); err != nil {
				return err
			}
			err := say(Event{Step: n, Kind: "crash", Ref: st.Order, ID: res.IDs[st.Order],
				Text: "crash after the local commit, before the publish; sagalab restarts on the same data"})
			if err != nil {
				return err
			}
		} else if err := create(); err != nil {
			return err
		}
		if st.NoWait {
			return nil
		}
	case st.Cancel != "":
		e.Kind, e.Ref, e.ID, e.Text = "cancel", st.Cancel, res.IDs[st.Cancel], "cancel order "+st.Cancel
		if _, err := sys.CancelOrder(ctx, res.IDs[st.Cancel]); err != nil {
			return fmt.Errorf("cancel order %s: %w", st.Cancel, err)
		}
		if err := say(e); err != nil {
			return err
		}
	case st.Pause != "":
		sys.Pause(st.Pause)
		e.Kind, e.Ref, e.Text = "pause", st.Pause, "the "+st.Pause+" module goes down: its consumers stop"
		return say(e)
	case st.Resume != "":
		sys.Resume(st.Resume)
		e.Kind, e.Ref, e.Text = "resume", st.Resume, "the "+st.Resume+" module is back: its consumers catch up"
		if err := say(e); err != nil {
			return err
		}
	case st.Wait > 0:
		d := time.Duration(st.Wait)
		e.Kind, e.Text = "wait", fmt.Sprintf("%s pass", d)
		if err := say(e); err != nil {
			return err
		}
		if err := sys.Wait(ctx, d); err != nil {
			return err
		}
	case st.Events != "" || st.Compare != "":
		what, ref := "events", st.Events
		if st.Compare != "" {
			what, ref = "compare", st.Compare
		}
		lines, err := sys.Describe(ctx, what, res.IDs[ref])
		if err != nil {
			return err
		}
		e.Kind, e.Ref, e.ID, e.Lines = what, ref, res.IDs[ref], lines
		e.Text = map[string]string{"events": "the event store: customer " + ref + "'s stream",
			"compare": "customer " + ref + "'s order history, two ways"}[what]
		return say(e)
	}
	return sys.Settle(ctx)
}

func describe(s contract.State, reason string) string {
	if reason == "" {
		return string(s)
	}
	return string(s) + "/" + reason
}
