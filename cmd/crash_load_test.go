package cmd_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"sagalab/modules/shared/money"
)

// ledger is what the clients were told: the customers and orders that got
// a 201 and the cancels that got a 200. What the server says must agree.
type ledger struct {
	mu        sync.Mutex
	customers []placedCustomer
	limits    map[string]money.Money
	orders    []placedOrder
	byID      map[string]placedOrder
	cancelled map[string]bool
	// seen is the terminal state each order was last seen in: it may only
	// go from APPROVED to CANCELLED.
	seen map[string]string
	// approved are the orders last seen APPROVED, for cancels to pick.
	approved []string
	// positions are those of the writes answered 201: each is given once.
	positions map[string]bool
}

type placedCustomer struct {
	id, position string
	limit        money.Money
}

type placedOrder struct {
	id, customerID, mode, position string
	total                          money.Money
	ghost                          bool // for a customer that does not exist
}

func newLedger() *ledger {
	return &ledger{limits: map[string]money.Money{}, byID: map[string]placedOrder{},
		cancelled: map[string]bool{}, seen: map[string]string{}, positions: map[string]bool{}}
}

// addPosition records the position of a write answered 201. It reports
// false if another write was given it before.
func (l *ledger) addPosition(p string) bool {
	if l.positions[p] {
		return false
	}
	l.positions[p] = true
	return true
}

func (l *ledger) addCustomer(c placedCustomer) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.customers = append(l.customers, c)
	l.limits[c.id] = c.limit
	if !l.addPosition(c.position) {
		return fmt.Errorf("customer %s was given position %s, which another write had", c.id, c.position)
	}
	return nil
}

func (l *ledger) addOrder(o placedOrder) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.orders = append(l.orders, o)
	l.byID[o.id] = o
	if !l.addPosition(o.position) {
		return fmt.Errorf("order %s was given position %s, which another write had", o.id, o.position)
	}
	return nil
}

func (l *ledger) customerPosition(id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.customers {
		if c.id == id {
			return c.position
		}
	}
	return ""
}

func (l *ledger) cancel(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancelled[id] = true
}

func (l *ledger) randomCustomer(rng *rand.Rand) placedCustomer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.customers[rng.IntN(len(l.customers))]
}

// cancelCandidate picks an order that may be APPROVED: one of the last
// orders placed, or one that was APPROVED when last seen.
func (l *ledger) cancelCandidate(rng *rand.Rand) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.approved) > 0 && rng.IntN(2) == 0 {
		return l.approved[rng.IntN(len(l.approved))], true
	}
	if len(l.orders) == 0 {
		return "", false
	}
	recent := l.orders[max(0, len(l.orders)-32):]
	return recent[rng.IntN(len(recent))].id, true
}

func (l *ledger) customerCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.customers)
}

// maxCustomers bounds the customers the load creates, so that each keeps
// getting orders, cancels and exhausted credit.
const maxCustomers = 16

// loadCycle sends requests from several clients at once until the server
// is killed, after killAfter requests.
type loadCycle struct {
	t         *testing.T
	api       *apiClient
	ledger    *ledger
	seed      uint64
	killAfter int64

	sent    atomic.Int64
	reached chan struct{} // closed when request killAfter is sent
	killing atomic.Bool   // set before the kill: failures are expected from then on
}

// run drives workers clients until the killAfter-th request, then kills
// the server with kill while requests are in flight, and returns once every
// client has stopped and the server has been reaped.
func (c *loadCycle) run(ctx context.Context, workers int, kill func()) {
	c.reached = make(chan struct{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { c.worker(ctx, rand.New(rand.NewPCG(c.seed, uint64(w)))) })
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-c.reached:
	case <-stopped: // every client gave up early: a failure was reported
	}
	c.killing.Store(true)
	kill()
	cancel()
	<-stopped
}

// worker is one client: a random mix of orders in both saga modes, orders
// for customers that do not exist, cancels of approved orders, reads and
// new customers. It stops at the first transport error: the server is gone.
func (c *loadCycle) worker(ctx context.Context, rng *rand.Rand) {
	for range c.killAfter { // bounded: the kill comes before
		var err error
		switch p := rng.IntN(100); {
		case p < 50:
			err = c.order(ctx, rng, false)
		case p < 60:
			err = c.order(ctx, rng, true)
		case p < 85:
			err = c.cancel(ctx, rng)
		case p < 95:
			err = c.read(ctx, rng)
		default:
			err = c.customer(ctx, rng)
		}
		if err != nil {
			if !c.killing.Load() {
				c.t.Errorf("before the kill: %v", err)
			}
			return
		}
	}
}

// send sends one request of the load, counting it towards the kill. A
// transport error is returned as is; an answer with a status not in want
// is a failure of the test.
func (c *loadCycle) send(ctx context.Context, method, path string, body any, want ...int) (answer, error) {
	if c.sent.Add(1) == c.killAfter {
		close(c.reached)
	}
	a, err := c.api.do(ctx, method, path, body)
	if err != nil {
		return a, err
	}
	for _, s := range want {
		if a.status == s {
			return a, nil
		}
	}
	if a.status == http.StatusServiceUnavailable && c.killing.Load() {
		return a, nil // through a gateway: the module killed is down
	}
	c.t.Errorf("%s, want %v", a, want)
	return a, nil
}

func (c *loadCycle) order(ctx context.Context, rng *rand.Rand, ghost bool) error {
	cust := c.ledger.randomCustomer(rng)
	o := placedOrder{customerID: cust.id, ghost: ghost, mode: []string{"choreography", "orchestration"}[rng.IntN(2)],
		total: money.Money(100 + rng.Int64N(int64(cust.limit)/3))}
	if ghost {
		o.customerID = fmt.Sprintf("ghost-%016x", rng.Uint64())
	}
	a, err := c.send(ctx, "POST", "/orders", map[string]any{
		"customerId": o.customerID, "orderTotal": money.Amount{Amount: o.total}, "sagaMode": o.mode,
	}, http.StatusCreated)
	if err != nil || a.status != http.StatusCreated {
		return err
	}
	var created struct {
		ID       string `json:"orderId"`
		Position string `json:"position"`
	}
	if err := a.decode(&created); err != nil {
		c.t.Error(err)
		return nil
	}
	o.id, o.position = created.ID, created.Position
	if err := c.ledger.addOrder(o); err != nil {
		c.t.Error(err)
	}
	if ghost || rng.IntN(4) != 0 {
		return nil
	}
	return c.readYourWrite(ctx, o)
}

// readYourWrite reads the order history view as of the positions of the
// customer's creation and of the order: the order must be in it.
func (c *loadCycle) readYourWrite(ctx context.Context, o placedOrder) error {
	after := c.ledger.customerPosition(o.customerID) + "," + o.position
	a, err := c.send(ctx, "GET", "/customers/"+o.customerID+"/orderhistory?wait=30s&after="+after, nil, http.StatusOK)
	if err != nil || a.status != http.StatusOK {
		return err
	}
	var view apiHistory
	if err := a.decode(&view); err != nil {
		c.t.Error(err)
		return nil
	}
	if _, ok := view.Orders[o.id]; !ok {
		c.t.Errorf("%s: no order %s, though the view is past its position %s", a, o.id, o.position)
	}
	return nil
}

// cancel cancels a random order if it is APPROVED. Another client may
// cancel it first: then the answer is 409.
func (c *loadCycle) cancel(ctx context.Context, rng *rand.Rand) error {
	id, ok := c.ledger.cancelCandidate(rng)
	if !ok {
		return nil
	}
	a, err := c.send(ctx, "GET", "/orders/"+id, nil, http.StatusOK)
	if err != nil || a.status != http.StatusOK {
		return err
	}
	var got apiOrder
	if err := a.decode(&got); err != nil {
		c.t.Error(err)
		return nil
	}
	if got.State != "APPROVED" {
		return nil
	}
	a, err = c.send(ctx, "POST", "/orders/"+id+"/cancel", nil, http.StatusOK, http.StatusConflict)
	if err != nil || a.status != http.StatusOK {
		return err
	}
	if err := a.decode(&got); err != nil {
		c.t.Error(err)
		return nil
	}
	if got.State != "CANCELLED" {
		c.t.Errorf("%s: want the order CANCELLED", a)
	}
	c.ledger.cancel(id)
	return nil
}

func (c *loadCycle) read(ctx context.Context, rng *rand.Rand) error {
	path := "/customers/" + c.ledger.randomCustomer(rng).id
	if rng.IntN(2) == 0 {
		_, err := c.send(ctx, "GET", path, nil, http.StatusOK)
		return err
	}
	// A new customer may not be in the view yet.
	_, err := c.send(ctx, "GET", path+"/orderhistory", nil, http.StatusOK, http.StatusNotFound)
	return err
}

func (c *loadCycle) customer(ctx context.Context, rng *rand.Rand) error {
	if c.ledger.customerCount() >= maxCustomers {
		return c.read(ctx, rng)
	}
	return createCustomer(ctx, c.t, c.ledger, rng, c.send)
}

// sender sends one request and checks its status.
type sender func(ctx context.Context, method, path string, body any, want ...int) (answer, error)

// createCustomer creates a customer with a random credit limit and puts it
// in the ledger once it got its 201. A transport error is returned; what is
// wrong with an answer, reported.
func createCustomer(ctx context.Context, t *testing.T, l *ledger, rng *rand.Rand, send sender) error {
	limit := money.Money(5000 + rng.Int64N(50000))
	a, err := send(ctx, "POST", "/customers", map[string]any{
		"name": fmt.Sprintf("Customer %d", rng.IntN(1000)), "creditLimit": money.Amount{Amount: limit},
	}, http.StatusCreated)
	if err != nil || a.status != http.StatusCreated {
		return err
	}
	var created struct {
		ID       string `json:"customerId"`
		Position string `json:"position"`
	}
	if err := a.decode(&created); err != nil {
		t.Error(err)
		return nil
	}
	if err := l.addCustomer(placedCustomer{id: created.ID, position: created.Position, limit: limit}); err != nil {
		t.Error(err)
	}
	return nil
}
