package system

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// countDeliveries counts handled messages and ignored duplicates.
type countDeliveries struct{ handled, duplicates atomic.Int64 }

func (c *countDeliveries) Handled(d bus.Delivery) {
	if d.Ignored {
		return
	}
	if d.Duplicate {
		c.duplicates.Add(1)
	} else {
		c.handled.Add(1)
	}
}

// sagaOutcome runs the same orders and reports each order's final state
// and the customer's available credit.
func sagaOutcome(t *testing.T, cfg Config) ([]string, money.Money) {
	s := start(t, cfg)
	c := mustCustomer(t, s, "John", "15.00")
	totals := []string{"10.00", "5.00", "0.01", "1.00"}
	var ids, states []string
	for _, total := range totals {
		o := final(t, s, mustOrder(t, s, c, total, ""))
		// Under 2PC an order is final once the coordinator decided; the
		// Customer participant holds the credit until the decision reaches
		// it, so the next order waits for that.
		settled(t, s)
		ids = append(ids, o.ID)
		states = append(states, string(o.State)+o.RejectionReason)
	}
	if _, err := s.Orders.Cancel(context.Background(), ids[0]); err != nil {
		t.Fatal(err)
	}
	settled(t, s)
	return states, available(t, s, c)
}

// With every message delivered twice and acknowledgements lost, outcomes and
// credit are those of a clean run: nothing is reserved or released twice.
func TestDuplicateDelivery(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			wantStates, wantCredit := sagaOutcome(t, Config{SagaMode: mode})
			var seen countDeliveries
			states, credit := sagaOutcome(t, Config{SagaMode: mode, Observer: &seen,
				Faults: Faults{Faults: bus.Faults{Duplicate: 1, Redeliver: 1, Seed: 7}}})
			if credit != wantCredit {
				t.Errorf("available credit %s with duplicates, %s without", credit, wantCredit)
			}
			for i := range wantStates {
				if states[i] != wantStates[i] {
					t.Errorf("order %d: %s with duplicates, %s without", i, states[i], wantStates[i])
				}
			}
			if seen.duplicates.Load() < seen.handled.Load() {
				t.Errorf("%d duplicates ignored for %d messages handled: the fault was not injected",
					seen.duplicates.Load(), seen.handled.Load())
			}
		})
	}
}

// A stop after the local commit and before the publish loses nothing: the
// outbox still holds the message and the next start delivers it.
func TestRestartAfterCommitBeforePublish(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			s := start(t, Config{DataDir: dir, SagaMode: mode})
			c := mustCustomer(t, s, "John", "15.00")
			settled(t, s)
			s.Bus.Hold() // the "crash": commits happen, publishes do not
			id := mustOrder(t, s, c, "12.34", "")
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if n := count(t, filepath.Join(dir, "order.db"), `SELECT count(*) FROM orders WHERE state = 'PENDING'`); n != 1 {
				t.Fatalf("%d PENDING orders after the crash, want 1", n)
			}

			s = start(t, Config{DataDir: dir, SagaMode: mode})
			if o := final(t, s, id); o.State != ordercontract.Approved {
				t.Fatalf("after restart the order is %s, want APPROVED", o.State)
			}
			settled(t, s)
			if got := available(t, s, c); got != 266 {
				t.Fatalf("available credit %s, want 2.66", got)
			}
		})
	}
}

// A message published but not yet handled when the system stops is
// published again by the next start.
func TestRestartWithMessagesInFlight(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			var seen countDeliveries
			s := start(t, Config{DataDir: dir, SagaMode: mode, Observer: &seen})
			c := mustCustomer(t, s, "John", "15.00")
			settled(t, s)
			s.Bus.PauseConsumer("customer") // the Customer service is down
			id := mustOrder(t, s, c, "12.34", "")
			eventually(t, "the relay to publish", func() bool { // the view has it; the paused customer has not
				d, err := s.History.Document(context.Background(), c)
				return err == nil && len(d.Orders) == 1
			})
			s = restart(t, s, Config{DataDir: dir, SagaMode: mode})
			if o := final(t, s, id); o.State != ordercontract.Approved {
				t.Fatalf("after restart the order is %s, want APPROVED", o.State)
			}
			settled(t, s)
			if got := available(t, s, c); got != 266 {
				t.Fatalf("available credit %s, want 2.66", got)
			}
		})
	}
}

// 200 concurrent orders of 1.00 against a credit of 100.00: exactly 100 fit.
func TestConcurrentOrders(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode})
			c := mustCustomer(t, s, "Big", "100.00")
			ids := make([]string, 200)
			var wg sync.WaitGroup
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					o, err := s.Orders.Create(context.Background(), c, 100, "")
					if err != nil {
						t.Error(err)
						return
					}
					ids[i] = o.ID
				}()
			}
			wg.Wait()
			approved := 0
			for _, id := range ids {
				o := final(t, s, id)
				switch {
				case o.State == ordercontract.Approved:
					approved++
				case o.RejectionReason != ordercontract.ReasonInsufficientCredit:
					t.Errorf("order %s: %s/%s", id, o.State, o.RejectionReason)
				}
			}
			settled(t, s)
			if approved != 100 {
				t.Errorf("%d approved, want 100", approved)
			}
			if got := available(t, s, c); got != 0 {
				t.Errorf("available credit %s, want 0.00", got)
			}
		})
	}
}

func count(t testing.TB, path, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A crash between the Customer service's append and its publish loses
// nothing: the event is in the event store, which is the outbox, so the next
// start publishes it; the Order service handles it once.
func TestCrashBetweenAppendAndPublish(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			s := start(t, Config{DataDir: dir, SagaMode: mode})
			c := mustCustomer(t, s, "John", "15.00")
			settled(t, s)
			s.Bus.Hold("customer")
			id := mustOrder(t, s, c, "12.34", "")
			eventually(t, "the reservation to be appended", func() bool { return available(t, s, c) == 266 })
			if o, _ := s.Orders.Order(context.Background(), id); o.State != ordercontract.Pending {
				t.Fatalf("before the restart the order is %s, want PENDING (nothing was published)", o.State)
			}
			s = restart(t, s, Config{SagaMode: mode})
			if o := final(t, s, id); o.State != ordercontract.Approved {
				t.Fatalf("after restart the order is %s, want APPROVED", o.State)
			}
			settled(t, s)
			var eventID string
			db, err := sql.Open("sqlite3", "file:"+dir+"/customer.db?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.QueryRow(`SELECT message_id FROM outbox WHERE stream_id IS NOT NULL AND type = ?`,
				customercontract.CustomerCreditReserved).Scan(&eventID)
			if err != nil {
				t.Fatal(err)
			}
			// An orchestrated order's saga acts on the reply: the Order
			// service does not need the event, so it records it nowhere.
			want := map[string]int{"order": 1, "history": 1}
			if mode == ordercontract.Orchestration {
				want["order"] = 0
			}
			for _, consumer := range []string{"order", "history"} {
				file := map[string]string{"order": "order.db", "history": "history.db"}[consumer]
				if n := count(t, dir+"/"+file, `SELECT count(*) FROM inbox WHERE message_id = '`+eventID+`'`); n != want[consumer] {
					t.Fatalf("%s recorded the event %d times, want %d", consumer, n, want[consumer])
				}
			}
			if got := available(t, s, c); got != 266 {
				t.Fatalf("available credit %s, want 2.66", got)
			}
		})
	}
}

// Each fault kind, alone and all together, leaves the outcome of a
// fault-free run unchanged.
func TestFaultsDoNotChangeOutcomes(t *testing.T) {
	for _, mode := range modes {
		wantStates, wantCredit := sagaOutcome(t, Config{SagaMode: mode})
		for _, spec := range []string{"duplicate=1", "redeliver=1", "delay=15ms", "reorder=3", "pause-customer=150ms",
			"pause-order=150ms", "pause-history=150ms", "duplicate=0.5,redeliver=0.5,delay=5ms,reorder=2,pause-customer=50ms"} {
			t.Run(string(mode)+"/"+spec, func(t *testing.T) {
				faults, err := ParseFaults(spec)
				if err != nil {
					t.Fatal(err)
				}
				faults.Seed = 11
				states, credit := sagaOutcome(t, Config{SagaMode: mode, Faults: faults})
				if credit != wantCredit || strings.Join(states, ",") != strings.Join(wantStates, ",") {
					t.Fatalf("with %s: %v and %s available; without faults: %v and %s", spec, states, credit, wantStates, wantCredit)
				}
			})
		}
	}
}

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("duplicate=0.5, delay=200ms,pause-customer=3s,reorder=4,redeliver")
	if err != nil || f.Duplicate != 0.5 || f.Delay != 200*time.Millisecond || f.Pauses["customer"] != 3*time.Second ||
		f.Reorder != 4 || f.Redeliver != 1 {
		t.Fatalf("ParseFaults = %+v, %v", f, err)
	}
	for _, bad := range []string{"duplicate=2", "delay=forever", "pause-billing=1s", "explode=1", "reorder=1"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) accepted it", bad)
		}
	}
}
