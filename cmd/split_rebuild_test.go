package cmd_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"sagalab/modules/shared/money"
)

// The History service's view is rebuilt online through the gateway of
// `serve --split` (POST /views/rebuild and `view rebuild --addr`) while
// clients place and cancel orders: afterwards the view equals the orders,
// read-your-writes holds, and after kill -9 of the History service's
// process nothing is missing. With the Customer service down, a rebuild
// answers 503 naming it and leaves the view as it was, still fed.
func TestSplitViewRebuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sagalab and runs it as four processes")
	}
	bin := buildSagalab(t)
	s := startSplit(t, bin, "--saga-timeout", "1h")
	ctx := t.Context()
	api := newAPIClient(s.url)
	defer api.close()
	rng := rand.New(rand.NewPCG(21, 22))
	l := newLedger()
	for range 4 {
		if err := createCustomer(ctx, t, l, rng, strictSender(t, api)); err != nil {
			t.Fatal(err)
		}
	}

	// One order before the load, so that every rebuild, even one that
	// runs before the clients' first order, replays both streams.
	readYourWrite(ctx, t, api, l)

	// Rebuilds, over HTTP and with the CLI, while the clients run (each
	// sends killAfter requests; nothing is killed, so every answer counts).
	load := &loadCycle{t: t, api: api, ledger: l, seed: 23, killAfter: 60, reached: make(chan struct{})}
	var clients sync.WaitGroup
	for w := range 4 {
		clients.Go(func() { load.worker(ctx, rand.New(rand.NewPCG(load.seed, uint64(w)))) })
	}
	done := make(chan struct{})
	go func() { clients.Wait(); close(done) }()
	rebuilds := 0
	for busy := true; busy || rebuilds < 2; rebuilds++ {
		select {
		case <-done:
			busy = false
		default:
		}
		if rebuilds%2 == 0 {
			rebuildThrough(ctx, t, api)
			continue
		}
		out, err := exec.CommandContext(ctx, bin, "view", "rebuild", "--addr", s.url).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "rebuilt the view of "+s.url) {
			t.Fatalf("sagalab view rebuild --addr %s: %v\n%s", s.url, err, out)
		}
	}
	if t.Failed() {
		t.Fatal("the load found the errors above")
	}
	t.Logf("%d rebuilds under %d requests", rebuilds, load.sent.Load())
	readYourWrite(ctx, t, api, l)
	l.settle(ctx, t, api, settleDeadline(t))

	// kill -9 of the History service: restarted, its view misses nothing.
	victim := s.pid("history")
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.waitUp(ctx, "history")
	if s.pid("history") == victim {
		t.Fatalf("the supervisor did not start the history module again\n%s", s.output())
	}
	l.settle(ctx, t, api, settleDeadline(t))
	readYourWrite(ctx, t, api, l)

	// The Customer service down: 503 naming it, and the view unchanged.
	// The supervisor soon starts it again: if it is back before the
	// rebuild asks, kill it again.
	for try := 0; ; try++ {
		if try == 5 {
			t.Fatalf("the customer module was never down when the rebuild asked\n%s", s.output())
		}
		s.waitUp(ctx, "customer")
		if err := syscall.Kill(s.pid("customer"), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		a, err := api.do(ctx, "POST", "/views/rebuild", nil)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error, Service string }
		a.decode(&e)
		if a.status == http.StatusServiceUnavailable && e.Service == "customer" && strings.Contains(e.Error, "customer") {
			break
		}
		if a.status != http.StatusOK {
			t.Fatalf("%s with the customer module down, want 503 naming it", a)
		}
	}
	checkViewHolds(ctx, t, api, l)
	s.waitUp(ctx, "customer")
	readYourWrite(ctx, t, api, l)
	l.settle(ctx, t, api, settleDeadline(t))
}

// rebuildThrough rebuilds the view with POST /views/rebuild: 200, from
// some events.
func rebuildThrough(ctx context.Context, t *testing.T, api *apiClient) {
	t.Helper()
	a, err := api.do(ctx, "POST", "/views/rebuild", nil)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		View      string
		Events    int
		Positions map[string]int64
	}
	if err := a.decode(&res); err != nil || a.status != http.StatusOK || res.View != "history" ||
		res.Events == 0 || res.Positions["order.events"] == 0 || res.Positions["customer.events"] == 0 {
		t.Fatalf("%s, want 200 with the events and positions of the rebuild", a)
	}
}

// readYourWrite places an order and reads the view as of its position:
// the order is in it.
func readYourWrite(ctx context.Context, t *testing.T, api *apiClient, l *ledger) {
	t.Helper()
	c := l.customers[0]
	o := placedOrder{customerID: c.id, mode: "orchestration", total: 100}
	a, _ := strictSender(t, api)(ctx, "POST", "/orders", map[string]any{"customerId": o.customerID,
		"orderTotal": money.Amount{Amount: o.total}, "sagaMode": o.mode}, http.StatusCreated)
	var created struct{ OrderID, Position string }
	if err := a.decode(&created); err != nil {
		t.Fatal(err)
	}
	o.id, o.position = created.OrderID, created.Position
	if err := l.addOrder(o); err != nil {
		t.Fatal(err)
	}
	var view apiHistory
	path := "/customers/" + c.id + "/orderhistory?wait=10s&after=" + c.position + "," + o.position
	if err := api.get(ctx, path, &view); err != nil {
		t.Fatalf("read your write: %v", err)
	}
	if _, ok := view.Orders[o.id]; !ok {
		t.Fatalf("GET %s: no order %s, though the view is past its position", path, o.id)
	}
}

// checkViewHolds checks that the view holds every order of every customer
// the ledger knows.
func checkViewHolds(ctx context.Context, t *testing.T, api *apiClient, l *ledger) {
	t.Helper()
	want := map[string]int{}
	for _, o := range l.orders {
		if !o.ghost {
			want[o.customerID]++
		}
	}
	for _, c := range l.customers {
		var view apiHistory
		if err := api.get(ctx, "/customers/"+c.id+"/orderhistory", &view); err != nil {
			t.Fatal(err)
		}
		if len(view.Orders) != want[c.id] {
			t.Errorf("customer %s: the view has %d orders, want %d", c.id, len(view.Orders), want[c.id])
		}
	}
}
