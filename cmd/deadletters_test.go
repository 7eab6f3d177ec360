package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sagalab/bus"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// runCmd runs the sagalab command line with args and returns what it printed.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot(nil)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// stuckOrders starts sagalab on dir with a Customer service that fails
// everything, places n orders, waits until their messages are parked and
// stops it. It returns the order ids.
func stuckOrders(t *testing.T, dir string, mode ordercontract.SagaMode, n int) []string {
	t.Helper()
	ctx := context.Background()
	sys, err := system.Start(ctx, system.Config{DataDir: dir, SagaMode: mode, SagaTimeout: time.Hour, MaxRetries: 1,
		Faults: system.Faults{Faults: bus.Faults{Fail: map[string]float64{"customer": 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	c, err := sys.Customers.Create(ctx, "John", money.Money(1500))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range n {
		o, err := sys.Orders.Create(ctx, c, money.Money(100), "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	want := n * len(parkedPerOrder(mode))
	deadline := time.Now().Add(20 * time.Second)
	for {
		list, err := sys.Bus.DeadLetters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == want && sys.Bus.Idle() {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d dead letters, want %d", len(list), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func listJSON(t *testing.T, args ...string) []system.DeadLetterJSON {
	t.Helper()
	out, err := runCmd(t, append([]string{"dead-letters", "list", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	var got system.DeadLettersJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	return got.DeadLetters
}

func letterOf(list []system.DeadLetterJSON, orderID string) (system.DeadLetterJSON, bool) {
	for _, dl := range list {
		if dl.CorrelationID == orderID {
			return dl, true
		}
	}
	return system.DeadLetterJSON{}, false
}

// saga show names what a stuck saga waits on; dead-letters list, retry and
// drop work on a stopped data directory and against a running server.
func TestDeadLettersCommands(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			ids := stuckOrders(t, dir, mode, 3)

			out, err := runCmd(t, "saga", "show", ids[0], "--data", dir)
			if err != nil {
				t.Fatalf("saga show: %v\n%s", err, out)
			}
			if !strings.Contains(out, "stuck on: customer could not handle") || !strings.Contains(out, "fault injected") ||
				!strings.Contains(out, "sagalab dead-letters retry") {
				t.Fatalf("saga show does not say what the saga is stuck on:\n%s", out)
			}
			text, err := runCmd(t, "dead-letters", "list", "--data", dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(text, "\n") {
				if utf8.RuneCountInString(l) > lineWidth {
					t.Errorf("list: line wider than %d columns: %q", lineWidth, l)
				}
			}
			list := listJSON(t, "--data", dir)
			if len(list) != len(ids)*len(parkedPerOrder(mode)) {
				t.Fatalf("list: %d dead letters, want %d", len(list), len(ids)*len(parkedPerOrder(mode)))
			}

			// On the stopped directory: retry the first order's, by prefix,
			// and drop the second's.
			for _, dl := range list {
				var args []string
				switch dl.CorrelationID {
				case ids[0]:
					args = []string{"retry", dl.MessageID[:8]}
				case ids[1]:
					args = []string{"drop", dl.MessageID[:8], "--consumer", "customer"}
				default:
					continue
				}
				if out, err := runCmd(t, append(append([]string{"dead-letters"}, args...), "--data", dir)...); err != nil {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
			}
			list = listJSON(t, "--data", dir)
			if _, ok := letterOf(list, ids[0]); ok {
				t.Fatalf("order %s retried, still has dead letters: %+v", ids[0], list)
			}
			if _, ok := letterOf(list, ids[1]); ok {
				t.Fatalf("order %s dropped, still has dead letters: %+v", ids[1], list)
			}
			if out, err := runCmd(t, "dead-letters", "drop", "--all", "--data", dir); err == nil {
				t.Fatalf("drop --all without --yes was accepted:\n%s", out)
			}

			// Against a running server: retry the rest.
			ctx := context.Background()
			sys, err := system.Start(ctx, system.Config{DataDir: dir, SagaTimeout: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			defer sys.Close()
			srv := httptest.NewServer(sys.Handler())
			defer srv.Close()
			if got := listJSON(t, "--addr", srv.URL); len(got) != len(list) {
				t.Fatalf("list --addr: %d dead letters, want %d", len(got), len(list))
			}
			if out, err := runCmd(t, "dead-letters", "retry", "--all", "--addr", srv.URL); err != nil ||
				!strings.Contains(out, "handled") {
				t.Fatalf("retry --all --addr: %v\n%s", err, out)
			}
			if got := listJSON(t, "--addr", srv.URL); len(got) != 0 {
				t.Fatalf("after retry --all: %+v", got)
			}
			for i, want := range []ordercontract.State{ordercontract.Approved, ordercontract.Pending, ordercontract.Approved} {
				deadline := time.Now().Add(20 * time.Second)
				for {
					o, err := sys.Orders.Order(ctx, ids[i])
					if err != nil {
						t.Fatal(err)
					}
					if o.State == want {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("order %d is %s, want %s", i+1, o.State, want)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
}

// parkedPerOrder are the messages of one order the failing Customer
// service parks: the one it acts on (in orchestration it does not need
// OrderCreated, so never fails it).
func parkedPerOrder(mode ordercontract.SagaMode) []string {
	if mode == ordercontract.Orchestration {
		return []string{"ReserveCredit"}
	}
	return []string{"OrderCreated"}
}
