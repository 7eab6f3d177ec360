package cmd_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"sagalab/modules/shared/money"
)

// findings are what one look at the server found wrong. broken holds what
// no waiting can mend; unsettled holds what holds until the sagas and the
// view have caught up.
type findings struct {
	broken, unsettled []string
}

func (f *findings) brokenf(format string, args ...any) {
	f.broken = append(f.broken, fmt.Sprintf(format, args...))
}

func (f *findings) unsettledf(format string, args ...any) {
	f.unsettled = append(f.unsettled, fmt.Sprintf(format, args...))
}

// settle polls the server until everything the ledger and the server say
// agrees and every saga has ended, and fails the test at the first
// finding that cannot mend or if it does not settle by the deadline.
func (l *ledger) settle(ctx context.Context, t *testing.T, api *apiClient, deadline time.Time) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for first := true; ; first = false {
		f, err := l.audit(ctx, api)
		if first {
			t.Logf("after the restart: %d findings to settle", len(f.unsettled))
		}
		switch {
		case err != nil:
			t.Fatalf("audit: %v", err)
		case len(f.broken) > 0:
			t.Fatalf("broken:\n%s", list(f.broken))
		case len(f.unsettled) == 0:
			l.noteApproved()
			return
		case time.Now().After(deadline):
			t.Fatalf("not settled by the deadline:\n%s", list(f.unsettled))
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-tick.C:
		}
	}
}

// noteApproved remembers the orders last seen APPROVED.
func (l *ledger) noteApproved() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.approved = l.approved[:0]
	for id, state := range l.seen {
		if state == "APPROVED" {
			l.approved = append(l.approved, id)
		}
	}
	slices.Sort(l.approved) // for the seeded picks
}

// list shows up to 20 findings, one per line.
func list(lines []string) string {
	const max = 20
	if len(lines) > max {
		lines = append(lines[:max:max], fmt.Sprintf("… and %d more", len(lines)-max))
	}
	return "  " + strings.Join(lines, "\n  ")
}

// audit compares the server's customers, orders, event streams and order
// history view with the ledger and with each other.
func (l *ledger) audit(ctx context.Context, api *apiClient) (findings, error) {
	var f findings
	var orders struct{ Orders []apiOrder }
	if err := api.get(ctx, "/orders", &orders); err != nil {
		return f, err
	}
	var customers struct{ Customers []apiCustomer }
	if err := api.get(ctx, "/customers", &customers); err != nil {
		return f, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()

	byID := map[string]apiOrder{}
	byCustomer := map[string][]apiOrder{}
	for _, o := range orders.Orders {
		byID[o.ID] = o
		byCustomer[o.CustomerID] = append(byCustomer[o.CustomerID], o)
	}
	known := map[string]bool{}
	for _, c := range customers.Customers {
		known[c.ID] = true
	}
	for _, c := range l.customers {
		if !known[c.id] {
			f.brokenf("customer %s got a 201 and is gone", c.id)
		}
	}
	for _, want := range l.orders {
		got, ok := byID[want.id]
		switch {
		case !ok:
			f.brokenf("order %s got a 201 and is gone", want.id)
		case got.CustomerID != want.customerID || got.OrderTotal.Amount != want.total || got.SagaMode != want.mode:
			f.brokenf("order %s is %s %s %s, was created as %s %s %s", want.id,
				got.CustomerID, got.OrderTotal.Amount, got.SagaMode, want.customerID, want.total, want.mode)
		}
	}
	for _, o := range orders.Orders {
		l.checkOrder(&f, o, known[o.CustomerID])
	}
	for _, c := range customers.Customers {
		if limit, ok := l.limits[c.ID]; ok && c.CreditLimit.Amount != limit {
			f.brokenf("customer %s has a limit of %s, was created with %s", c.ID, c.CreditLimit.Amount, limit)
		}
		if err := checkCustomer(ctx, &f, api, c.ID, byCustomer[c.ID]); err != nil {
			return f, err
		}
	}
	return f, nil
}

// checkOrder checks an order's state: its saga ended as it must have, a
// cancel that was answered 200 stuck, and an ended saga stays ended.
func (l *ledger) checkOrder(f *findings, o apiOrder, customerKnown bool) {
	reason := ""
	if o.RejectionReason != nil {
		reason = *o.RejectionReason
	}
	switch {
	case o.State == "PENDING":
		f.unsettledf("order %s (%s) is PENDING", o.ID, o.SagaMode)
		return
	case !slices.Contains([]string{"APPROVED", "REJECTED", "CANCELLED"}, o.State):
		f.brokenf("order %s is in state %q", o.ID, o.State)
	case !customerKnown && (o.State != "REJECTED" || reason != "UNKNOWN_CUSTOMER"):
		f.brokenf("order %s of an unknown customer is %s %s, want REJECTED UNKNOWN_CUSTOMER", o.ID, o.State, reason)
	case customerKnown && o.State == "REJECTED" && reason != "INSUFFICIENT_CREDIT":
		f.brokenf("order %s is REJECTED %s, want INSUFFICIENT_CREDIT", o.ID, reason)
	case l.cancelled[o.ID] && o.State != "CANCELLED":
		f.brokenf("order %s was cancelled (200) and is %s", o.ID, o.State)
	}
	if prev := l.seen[o.ID]; prev != "" && prev != o.State && (prev != "APPROVED" || o.State != "CANCELLED") {
		f.brokenf("order %s was %s and is %s", o.ID, prev, o.State)
	}
	l.seen[o.ID] = o.State
}

// checkCustomer checks a customer's credit, event stream and order history
// view against its orders.
func checkCustomer(ctx context.Context, f *findings, api *apiClient, id string, orders []apiOrder) error {
	var c apiCustomer
	if err := api.get(ctx, "/customers/"+id, &c); err != nil {
		return err
	}
	approved := map[string]bool{}
	var reserved money.Money
	for _, o := range orders {
		if o.State == "APPROVED" {
			approved[o.ID] = true
			reserved += o.OrderTotal.Amount
		}
	}
	if want := c.CreditLimit.Amount - reserved; c.AvailableCredit.Amount != want {
		f.unsettledf("customer %s has %s available, want %s − %s = %s",
			id, c.AvailableCredit.Amount, c.CreditLimit.Amount, reserved, want)
	}
	if err := checkEvents(ctx, f, api, id, approved); err != nil {
		return err
	}
	return checkHistory(ctx, f, api, id, orders)
}

// checkEvents checks that the customer's event stream is contiguous, that
// it reserves credit for an order once at most and releases it once at
// most, and that the orders holding credit are the APPROVED ones.
func checkEvents(ctx context.Context, f *findings, api *apiClient, id string, approved map[string]bool) error {
	var stream struct{ Events []apiEvent }
	if err := api.get(ctx, "/customers/"+id+"/events", &stream); err != nil {
		return err
	}
	reservations, releases := map[string]int{}, map[string]int{}
	for i, e := range stream.Events {
		if e.Version != int64(i+1) {
			f.brokenf("customer %s: event %d of its stream has version %d", id, i+1, e.Version)
			return nil
		}
		switch e.Type {
		case "CustomerCreditReserved":
			reservations[e.Data.OrderID]++
		case "CustomerCreditReleased":
			releases[e.Data.OrderID]++
		}
	}
	if len(stream.Events) == 0 || stream.Events[0].Type != "CustomerCreated" {
		f.brokenf("customer %s: its stream does not start with CustomerCreated", id)
	}
	holding := map[string]bool{}
	for o, n := range reservations {
		if n > 1 || releases[o] > 1 {
			f.brokenf("customer %s: order %s reserved %d times, released %d times", id, o, n, releases[o])
		}
		if releases[o] == 0 {
			holding[o] = true
		}
	}
	if !maps.Equal(holding, approved) {
		f.unsettledf("customer %s: the orders holding credit are %v, the APPROVED ones %v",
			id, slices.Sorted(maps.Keys(holding)), slices.Sorted(maps.Keys(approved)))
	}
	return nil
}

// checkHistory checks that the order history view holds the customer's
// orders, each in its state and with its total.
func checkHistory(ctx context.Context, f *findings, api *apiClient, id string, orders []apiOrder) error {
	a, err := api.do(ctx, "GET", "/customers/"+id+"/orderhistory", nil)
	if err != nil {
		return err
	}
	if a.status == http.StatusNotFound {
		f.unsettledf("customer %s is not in the order history view yet", id)
		return nil
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("%s, want 200", a)
	}
	var view apiHistory
	if err := a.decode(&view); err != nil {
		return err
	}
	for _, o := range orders {
		v, ok := view.Orders[o.ID]
		switch {
		case !ok:
			f.unsettledf("customer %s: order %s is not in the order history view", id, o.ID)
		case v.State != o.State || v.OrderTotal.Amount != o.OrderTotal.Amount:
			f.unsettledf("customer %s: the order history view has order %s %s %s, the order is %s %s",
				id, o.ID, v.State, v.OrderTotal.Amount, o.State, o.OrderTotal.Amount)
		}
	}
	for oid := range view.Orders {
		if !slices.ContainsFunc(orders, func(o apiOrder) bool { return o.ID == oid }) {
			f.brokenf("customer %s: the order history view has order %s, the customer has none such", id, oid)
		}
	}
	return nil
}
