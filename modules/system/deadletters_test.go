package system

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
)

// parkedTypes are the messages of an order that the Customer service acts
// on and, when it fails them all, parks: in orchestration it does not need
// the OrderCreated event (it waits for the command), so never fails it.
var parkedTypes = map[ordercontract.SagaMode][]string{
	ordercontract.Choreography:  {ordercontract.OrderCreated},
	ordercontract.Orchestration: {customercontract.ReserveCredit},
}

// waitParked waits until every message of order id that the Customer
// service gets is parked and the bus has nothing else to do.
func waitParked(t *testing.T, s *System, id string, mode ordercontract.SagaMode) []bus.DeadLetter {
	t.Helper()
	var list []bus.DeadLetter
	eventually(t, "order "+id+"'s messages to be parked", func() bool {
		var err error
		if list, err = s.Bus.DeadLettersOf(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		return s.Bus.Idle() && len(list) == len(parkedTypes[mode])
	})
	var types []string
	for _, dl := range list {
		if dl.Consumer != customercontract.Module || dl.Attempts != 3 || !strings.Contains(dl.Error, "fault injected") {
			t.Fatalf("dead letter %+v: want the customer's, after 3 attempts, with the injected error", dl)
		}
		types = append(types, dl.Type)
	}
	slices.Sort(types)
	if !slices.Equal(types, parkedTypes[mode]) {
		t.Fatalf("parked %v, want %v", types, parkedTypes[mode])
	}
	return list
}

// A Customer service that fails every message of an order leaves the saga
// PENDING with its messages parked, and saga show says why; the relay stops
// publishing them; they survive a restart; a retry that fails counts an
// attempt; once the handler works, a retry settles the saga, reserving the
// credit once; a drop deletes a dead letter for good.
func TestStuckSagaRetriedFromDeadLetters(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			ctx := context.Background()
			broken := Config{SagaMode: mode, SagaTimeout: time.Hour, MaxRetries: 2,
				Faults: Faults{Faults: bus.Faults{Fail: map[string]float64{customercontract.Module: 1}}}}
			s := start(t, broken)
			c := mustCustomer(t, s, "John", "15.00")
			stuck := mustOrder(t, s, c, "12.34", "")
			parked := waitParked(t, s, stuck, mode)

			rep, err := s.SagaReport(ctx, stuck)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Order.State != ordercontract.Pending || len(rep.DeadLetters) != len(parked) {
				t.Fatalf("report: order %s, %d dead letters; want PENDING and %d", rep.Order.State, len(rep.DeadLetters), len(parked))
			}
			js := rep.json()
			if len(js.StuckOn) != len(parked) || js.StuckOn[0].Consumer != "customer" || js.StuckOn[0].Error == "" {
				t.Fatalf("GET /sagas/{id} stuckOn = %+v", js.StuckOn)
			}
			if !slices.ContainsFunc(rep.Story(), func(l Line) bool { return strings.Contains(l.Text, "parked as a dead letter") }) {
				t.Fatalf("the story does not tell of the dead letter: %+v", rep.Story())
			}

			srv := apiServer(t, s)
			code, body := call(t, srv, "GET", "/dead-letters", "")
			if list, _ := body["deadLetters"].([]any); code != 200 || len(list) != len(parked) {
				t.Fatalf("GET /dead-letters = %d %v", code, body)
			}
			// Still broken: the retry fails and counts one more attempt.
			code, body = call(t, srv, "POST", "/dead-letters/customer/"+parked[0].ID+"/retry", "")
			if code != 409 || !strings.Contains(body["error"].(string), "fault injected") {
				t.Fatalf("retry while broken = %d %v, want 409 with the handler's error", code, body)
			}
			if dl, err := s.Bus.DeadLetter(ctx, "customer", parked[0].ID); err != nil || dl.Attempts != 4 {
				t.Fatalf("after a failed retry: %+v, %v; want 4 attempts", dl, err)
			}
			// A second order's dead letters are dropped: they are gone, and
			// its saga is left to its deadline.
			dropped := mustOrder(t, s, c, "1.00", "")
			for _, dl := range waitParked(t, s, dropped, mode) {
				if code, body := call(t, srv, "DELETE", "/dead-letters/customer/"+dl.ID, ""); code != 200 || body["dropped"] != true {
					t.Fatalf("DELETE = %d %v", code, body)
				}
				if code, _ := call(t, srv, "DELETE", "/dead-letters/customer/"+dl.ID, ""); code != 404 {
					t.Fatalf("second DELETE = %d, want 404", code)
				}
			}
			srv.Close()

			// Fixed: restarted without the fault. Nothing comes back by
			// itself; the dead letters are still there.
			fixed := broken
			fixed.Faults = Faults{}
			s = restart(t, s, fixed)
			settled(t, s)
			if list, _ := s.Bus.DeadLetters(ctx); len(list) != len(parked) {
				t.Fatalf("after the restart: %d dead letters, want %d", len(list), len(parked))
			}
			if o, _ := s.Orders.Order(ctx, stuck); o.State != ordercontract.Pending {
				t.Fatalf("order %s after the restart, want still PENDING", o.State)
			}
			if got := available(t, s, c); got != 1500 {
				t.Fatalf("available credit %s before the retry, want 15.00", got)
			}

			srv = apiServer(t, s)
			defer srv.Close()
			for _, dl := range parked {
				if code, body := call(t, srv, "POST", "/dead-letters/customer/"+dl.ID+"/retry", ""); code != 200 || body["handled"] != true {
					t.Fatalf("retry = %d %v", code, body)
				}
			}
			if o := final(t, s, stuck); o.State != ordercontract.Approved {
				t.Fatalf("order %s after the retry, want APPROVED", o.State)
			}
			settled(t, s)
			if got := available(t, s, c); got != 266 {
				t.Fatalf("available credit %s after the retry, want 2.66: reserved once", got)
			}
			if list, _ := s.Bus.DeadLetters(ctx); len(list) != 0 {
				t.Fatalf("dead letters after the retries: %+v", list)
			}
			if o, _ := s.Orders.Order(ctx, dropped); o.State != ordercontract.Pending {
				t.Fatalf("dropped order %s, want PENDING until its deadline", o.State)
			}
		})
	}
}
