// Package gateway is the API composer of the slides: it answers queries that
// span services by calling each service's query API (its contract) and
// joining the results in memory, as an API gateway does. Every call across a
// service boundary is a round trip, counted, and may be given a simulated
// network latency so that the cost of round trips shows on one machine.
package gateway

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/queries"
)

// Composer joins the Customer and Order services' query APIs.
type Composer struct {
	Customers customercontract.Queries
	Orders    ordercontract.Queries
	// View answers the valuable-customers query the third way, from a
	// view: the composer compares it with its own answers.
	View View
	// CallLatency is added to every call, as a network would.
	CallLatency time.Duration
}

// trip counts the round trips of one query.
type trip struct {
	latency time.Duration
	mu      sync.Mutex
	stats   queries.Stats
}

// call waits out the simulated latency and counts a round trip of rows rows.
func (t *trip) call(ctx context.Context, rows int) error {
	if err := sleep(ctx, t.latency); err != nil {
		return err
	}
	t.mu.Lock()
	t.stats.RoundTrips++
	t.stats.RowsFetched += rows
	t.mu.Unlock()
	return nil
}

// timerSlack is how late a timer may fire: timers are coarse on some
// machines (about 1ms here), too coarse for sub-millisecond latencies.
const timerSlack = 2 * time.Millisecond

// sleep waits d precisely: a timer for most of it, then yielding until the
// deadline.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	deadline := time.Now().Add(d)
	if d > timerSlack {
		timer := time.NewTimer(d - timerSlack)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		runtime.Gosched()
	}
	return nil
}

func (c *Composer) start() (*trip, time.Time) { return &trip{latency: c.CallLatency}, time.Now() }

func (t *trip) done(started time.Time) queries.Stats {
	t.stats.Elapsed = time.Since(started)
	return t.stats
}

func (c *Composer) customer(ctx context.Context, t *trip, id string) (customercontract.Customer, error) {
	cust, err := c.Customers.Customer(ctx, id)
	if err != nil {
		return cust, err
	}
	return cust, t.call(ctx, 1)
}

func (c *Composer) recentCustomers(ctx context.Context, t *trip, after time.Time) ([]customercontract.Customer, error) {
	cs, err := c.Customers.CustomersCreatedAfter(ctx, after)
	if err != nil {
		return nil, err
	}
	return cs, t.call(ctx, len(cs))
}

func (c *Composer) orders(ctx context.Context, t *trip, f ordercontract.Filter) ([]ordercontract.Order, error) {
	os, err := c.Orders.FindOrders(ctx, f)
	if err != nil {
		return nil, err
	}
	return os, t.call(ctx, len(os))
}

// OrderHistory is a customer with its orders, composed from both services.
type OrderHistory struct {
	Customer customercontract.Customer
	Orders   []ordercontract.Order
}

// OrderHistory composes a customer's order history in two round trips. It
// returns customercontract.ErrNotFound for an unknown customer.
func (c *Composer) OrderHistory(ctx context.Context, customerID string) (OrderHistory, queries.Stats, error) {
	t, started := c.start()
	cust, err := c.customer(ctx, t, customerID)
	if err != nil {
		return OrderHistory{}, t.done(started), err
	}
	os, err := c.orders(ctx, t, ordercontract.Filter{CustomerID: customerID})
	return OrderHistory{Customer: cust, Orders: os}, t.done(started), err
}

// ValuableCustomers1N answers the query the 1+N way: fetch the recent
// customers, then each one's qualifying orders. Round trips grow with the
// number of customers.
func (c *Composer) ValuableCustomers1N(ctx context.Context, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error) {
	t, started := c.start()
	cs, err := c.recentCustomers(ctx, t, q.CreatedAfter)
	if err != nil {
		return nil, t.done(started), err
	}
	var out []queries.ValuableCustomer
	for _, cust := range cs {
		os, err := c.orders(ctx, t, ordercontract.Filter{CustomerID: cust.ID, State: q.State, MoreThan: q.MoreThan})
		if err != nil {
			return nil, t.done(started), err
		}
		if len(os) > 0 {
			out = append(out, row(cust, os))
		}
	}
	sortRows(out)
	return out, t.done(started), nil
}

// ValuableCustomersBulk answers the query in two round trips: the recent
// customers and all qualifying orders, joined in memory. Few round trips,
// but the orders of customers that are not recent are moved for nothing.
func (c *Composer) ValuableCustomersBulk(ctx context.Context, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error) {
	t, started := c.start()
	cs, err := c.recentCustomers(ctx, t, q.CreatedAfter)
	if err != nil {
		return nil, t.done(started), err
	}
	os, err := c.orders(ctx, t, ordercontract.Filter{State: q.State, MoreThan: q.MoreThan})
	if err != nil {
		return nil, t.done(started), err
	}
	byCustomer := map[string][]ordercontract.Order{}
	for _, o := range os {
		byCustomer[o.CustomerID] = append(byCustomer[o.CustomerID], o)
	}
	var out []queries.ValuableCustomer
	for _, cust := range cs {
		if mine := byCustomer[cust.ID]; len(mine) > 0 {
			out = append(out, row(cust, mine))
		}
	}
	sortRows(out)
	return out, t.done(started), nil
}

func row(c customercontract.Customer, os []ordercontract.Order) queries.ValuableCustomer {
	r := queries.ValuableCustomer{CustomerID: c.ID, Name: c.Name}
	for _, o := range os {
		r.Orders = append(r.Orders, queries.OrderRef{OrderID: o.ID, OrderTotal: o.OrderTotal})
		r.Total += o.OrderTotal
	}
	slices.SortFunc(r.Orders, func(a, b queries.OrderRef) int { return strings.Compare(a.OrderID, b.OrderID) })
	return r
}

func sortRows(rows []queries.ValuableCustomer) {
	slices.SortFunc(rows, func(a, b queries.ValuableCustomer) int { return strings.Compare(a.CustomerID, b.CustomerID) })
}
