package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/money"
	"sagalab/modules/order/contract"
)

// System is what a scenario needs of a running sagalab.
type System interface {
	CreateCustomer(ctx context.Context, name string, limit money.Money) (string, error)
	CreateOrder(ctx context.Context, customerID string, total money.Money) (contract.Order, error)
	CancelOrder(ctx context.Context, id string) (contract.Order, error)
	Order(ctx context.Context, id string) (contract.Order, error)
	Customer(ctx context.Context, id string) (customercontract.Customer, error)
	// Settled reports whether every message sent so far has been handled.
	Settled() bool
}

// Event is a step of a run, for whoever shows progress.
type Event struct {
	Step int // 0 while customers are created
	Text string
	// Ref and ID name the customer or order the step created, if any.
	Ref, ID string
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

// Run performs the scenario on sys, waits for its sagas to end and checks
// its expectations. progress, if not nil, is told about each step. An error
// means the run itself failed; unmet expectations are in Result.Failures.
func (sc *Scenario) Run(ctx context.Context, sys System, progress func(Event)) (*Result, error) {
	say := func(step int, ref, id, format string, args ...any) {
		if progress != nil {
			progress(Event{Step: step, Ref: ref, ID: id, Text: fmt.Sprintf(format, args...)})
		}
	}
	res := &Result{IDs: map[string]string{}, Orders: map[string]contract.Order{}, Customers: map[string]customercontract.Customer{}}
	for _, c := range sc.Customers {
		id, err := sys.CreateCustomer(ctx, c.Name, c.CreditLimit)
		if err != nil {
			return nil, fmt.Errorf("create customer %s: %w", c.Ref, err)
		}
		res.IDs[c.Ref] = id
		say(0, c.Ref, id, "create customer %s (%s), credit limit %s", c.Ref, c.Name, c.CreditLimit)
	}
	if err := waitSettled(ctx, sys); err != nil {
		return nil, err
	}
	for i, st := range sc.Steps {
		n := i + 1
		switch {
		case st.Order != "":
			customerID, known := res.IDs[st.Customer]
			if !known {
				customerID = st.Customer // a customer that does not exist
			}
			o, err := sys.CreateOrder(ctx, customerID, st.Total)
			if err != nil {
				return nil, fmt.Errorf("step %d: create order %s: %w", n, st.Order, err)
			}
			res.IDs[st.Order] = o.ID
			say(n, st.Order, o.ID, "order %s: %s orders %s (saga %s)", st.Order, st.Customer, st.Total, o.SagaMode)
			if !st.NoWait {
				if _, err := waitFinal(ctx, sys, o.ID); err != nil {
					return nil, fmt.Errorf("step %d: order %s: %w", n, st.Order, err)
				}
				if err := waitSettled(ctx, sys); err != nil {
					return nil, fmt.Errorf("step %d: %w", n, err)
				}
			}
		case st.Cancel != "":
			if _, err := waitFinal(ctx, sys, res.IDs[st.Cancel]); err != nil {
				return nil, fmt.Errorf("step %d: order %s: %w", n, st.Cancel, err)
			}
			say(n, "", "", "cancel order %s", st.Cancel)
			if _, err := sys.CancelOrder(ctx, res.IDs[st.Cancel]); err != nil {
				return nil, fmt.Errorf("step %d: cancel order %s: %w", n, st.Cancel, err)
			}
			if err := waitSettled(ctx, sys); err != nil {
				return nil, fmt.Errorf("step %d: %w", n, err)
			}
		}
	}
	for _, ref := range sc.OrderRefs() {
		o, err := waitFinal(ctx, sys, res.IDs[ref])
		if err != nil {
			return nil, fmt.Errorf("order %s: %w", ref, err)
		}
		res.Orders[ref] = o
	}
	if err := waitSettled(ctx, sys); err != nil {
		return nil, err
	}
	for ref, want := range sc.Expect.Orders {
		o, err := sys.Order(ctx, res.IDs[ref])
		if err != nil {
			return nil, err
		}
		res.Orders[ref] = o
		if o.State != want.State || (want.Reason != "" && o.RejectionReason != want.Reason) {
			res.Failures = append(res.Failures, fmt.Sprintf("order %s is %s, want %s",
				ref, describe(o.State, o.RejectionReason), describe(want.State, want.Reason)))
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

func describe(s contract.State, reason string) string {
	if reason == "" {
		return string(s)
	}
	return string(s) + "/" + reason
}

// waitFinal polls until the order's saga has ended.
func waitFinal(ctx context.Context, sys System, id string) (contract.Order, error) {
	var o contract.Order
	err := poll(ctx, func() (bool, error) {
		var err error
		o, err = sys.Order(ctx, id)
		return err == nil && o.Final(), err
	})
	return o, err
}

// waitSettled polls until every message sent so far has been handled: a
// step's compensations have run before the next step starts.
func waitSettled(ctx context.Context, sys System) error {
	if err := poll(ctx, func() (bool, error) { return sys.Settled(), nil }); err != nil {
		return fmt.Errorf("wait for the messages in flight: %w", err)
	}
	return nil
}

// poll calls done every few milliseconds until it reports true, fails, or
// ctx ends.
func poll(ctx context.Context, done func() (bool, error)) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.New("gave up waiting: " + context.Cause(ctx).Error())
		case <-t.C:
		}
	}
}
