package cmd_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"sagalab/modules/shared/money"
)

// splitProcess runs `sagalab serve --split`: a broker, a child process per
// module and the gateway.
type splitProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	log    string
	url    string
	exited chan struct{}
}

func startSplit(t *testing.T, bin string, flags ...string) *splitProcess {
	t.Helper()
	return startSplitOn(t, bin, t.TempDir(), flags...)
}

// startSplitOn starts `serve --split` on the data directory data, in a
// process group of its own (so that the whole group can be killed).
func startSplitOn(t *testing.T, bin, data string, flags ...string) *splitProcess {
	t.Helper()
	gw, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	broker, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	s := &splitProcess{t: t, log: filepath.Join(t.TempDir(), "split.log"), url: "http://" + gw,
		exited: make(chan struct{})}
	out, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	args := append([]string{"serve", "--split", "--addr", gw, "--broker-addr", broker, "--data", data,
		"--ack-wait", "1s", "--log-requests=false"}, flags...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGTERM) // fails if stopped already
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("serve --split said:\n%s", s.output())
		}
	})
	s.waitUp(context.Background(), "order", "customer", "history")
	return s
}

// stop sends SIGTERM and checks that the supervisor stops every module
// and exits cleanly.
func (s *splitProcess) stop() {
	s.t.Helper()
	var children []int
	for _, m := range []string{"order", "customer", "history"} {
		children = append(children, s.pid(m))
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.t.Fatalf("serve --split still runs 15s after SIGTERM\n%s", s.output())
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		s.t.Errorf("serve --split exited with status %d after SIGTERM", code)
	}
	for _, pid := range children {
		if err := syscall.Kill(pid, 0); err == nil {
			s.t.Errorf("module process %d still runs after its supervisor stopped", pid)
		}
	}
}

func (s *splitProcess) output() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// probes are a GET through the gateway that each module answers.
func probes() map[string]string {
	return map[string]string{"order": "/orders", "customer": "/customers",
		"history": "/customers/nobody/orderhistory"}
}

// waitUp polls the gateway until each module answers through it.
func (s *splitProcess) waitUp(ctx context.Context, modules ...string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, m := range modules {
		for {
			resp, err := http.Get(s.url + probes()[m])
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode < 500 {
					break
				}
			}
			if time.Now().After(deadline) {
				s.t.Fatalf("the %s module does not answer through the gateway\n%s", m, s.output())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// pid is the process id of a module's current child process, as the
// supervisor last reported it.
func (s *splitProcess) pid(module string) int {
	s.t.Helper()
	re := regexp.MustCompile(`^` + module + `\s+\| started, pid (\d+)$`)
	pid := 0
	sc := bufio.NewScanner(strings.NewReader(s.output()))
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			fmt.Sscan(m[1], &pid)
		}
	}
	if pid == 0 {
		s.t.Fatalf("no pid of the %s module in the output\n%s", module, s.output())
	}
	return pid
}

// The Eventuate customers-and-orders cases pass through the gateway of
// `serve --split`, in both saga modes, each module in its own process on
// JetStream.
func TestSplitEventuate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sagalab and runs it as four processes")
	}
	s := startSplit(t, buildSagalab(t), "--saga-timeout", "1h")
	api := newAPIClient(s.url)
	defer api.close()
	ctx := t.Context()
	send := strictSender(t, api)
	for _, mode := range []string{"choreography", "orchestration"} {
		t.Run(mode, func(t *testing.T) {
			a, _ := send(ctx, "POST", "/customers", map[string]any{"name": "John",
				"creditLimit": map[string]string{"amount": "15.00"}}, http.StatusCreated)
			var c struct{ CustomerID, Position string }
			a.decode(&c)
			order := func(customer, amount string) string {
				a, _ := send(ctx, "POST", "/orders", map[string]any{"customerId": customer,
					"orderTotal": map[string]string{"amount": amount}, "sagaMode": mode}, http.StatusCreated)
				var o struct{ OrderID, Position string }
				a.decode(&o)
				if o.Position == "" {
					t.Errorf("POST /orders answered no position: %s", a)
				}
				return o.OrderID
			}
			approved, rejected, unknown := order(c.CustomerID, "12.34"), order(c.CustomerID, "5.00"), order("ghost", "1.00")
			awaitState(ctx, t, api, approved, "APPROVED", "")
			awaitState(ctx, t, api, rejected, "REJECTED", "INSUFFICIENT_CREDIT")
			awaitState(ctx, t, api, unknown, "REJECTED", "UNKNOWN_CUSTOMER")
			checkCredit(ctx, t, api, c.CustomerID, "2.66")
			send(ctx, "POST", "/orders/"+approved+"/cancel", nil, http.StatusOK)
			awaitState(ctx, t, api, approved, "CANCELLED", "")
			send(ctx, "POST", "/orders/"+rejected+"/cancel", nil, http.StatusConflict)
			send(ctx, "GET", "/orders/nope", nil, http.StatusNotFound)
			resp, err := http.Get(s.url + "/composed/customers/" + c.CustomerID + "/orderhistory")
			if err != nil {
				t.Fatal(err)
			}
			var composed struct{ Orders []struct{ OrderID string } }
			json.NewDecoder(resp.Body).Decode(&composed)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(composed.Orders) != 2 || resp.Header.Get("X-Round-Trips") != "2" {
				t.Errorf("composed order history: %d, %d orders, %q round trips; want 200, 2 orders, 2 round trips",
					resp.StatusCode, len(composed.Orders), resp.Header.Get("X-Round-Trips"))
			}
			a, _ = send(ctx, "GET", "/customers/"+c.CustomerID+"/orderhistory", nil, http.StatusOK)
			var h struct {
				Orders map[string]struct{ State string }
			}
			a.decode(&h)
			deadline := time.Now().Add(10 * time.Second)
			for h.Orders[approved].State != "CANCELLED" || h.Orders[rejected].State != "REJECTED" {
				if time.Now().After(deadline) {
					t.Fatalf("the order history view does not converge: %s", a)
				}
				time.Sleep(20 * time.Millisecond)
				a, _ = send(ctx, "GET", "/customers/"+c.CustomerID+"/orderhistory", nil, http.StatusOK)
				h.Orders = nil
				a.decode(&h)
			}
		})
	}
	s.stop()
}

// awaitState polls an order through the API until it is in state (with
// reason), or fails after 10s.
func awaitState(ctx context.Context, t *testing.T, api *apiClient, id, state, reason string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var o struct {
			OrderState      string
			RejectionReason *string
		}
		err := api.get(ctx, "/orders/"+id, &o)
		got := ""
		if o.RejectionReason != nil {
			got = *o.RejectionReason
		}
		if err == nil && o.OrderState == state && got == reason {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s is %s %s (%v), want %s %s", id, o.OrderState, got, err, state, reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkCredit(ctx context.Context, t *testing.T, api *apiClient, id, want string) {
	t.Helper()
	var c struct{ AvailableCredit money.Amount }
	if err := api.get(ctx, "/customers/"+id, &c); err != nil {
		t.Fatal(err)
	}
	if got := c.AvailableCredit.Amount.String(); got != want {
		t.Fatalf("customer %s has %s available, want %s", id, got, want)
	}
}

// kill -9 of the Customer service's process under load: the gateway
// answers 503 for it while orders are still accepted, the supervisor
// starts it again, and then every accepted order settles, credit is exact
// and the view converges.
func TestSplitCustomerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sagalab and kills one of its processes under load")
	}
	s := startSplit(t, buildSagalab(t), "--saga-timeout", "1h")
	ctx := t.Context()
	api := newAPIClient(s.url)
	defer api.close()
	rng := rand.New(rand.NewPCG(1, 2))
	l := newLedger()
	for range 4 {
		if err := createCustomer(ctx, t, l, rng, strictSender(t, api)); err != nil {
			t.Fatal(err)
		}
	}
	victim := s.pid("customer")
	load := &loadCycle{t: t, api: api, ledger: l, seed: 7, killAfter: 120}
	load.run(ctx, 4, func() {
		if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
			t.Fatalf("kill -9 the customer module (pid %d): %v", victim, err)
		}
	})
	if t.Failed() {
		t.Fatal("the load found the errors above")
	}
	// While the Customer service is down, orders are still accepted.
	o := placedOrder{customerID: l.customers[0].id, mode: "orchestration", total: 100}
	a, err := api.do(ctx, "POST", "/orders", map[string]any{"customerId": o.customerID,
		"orderTotal": money.Amount{Amount: o.total}, "sagaMode": o.mode})
	if err != nil || a.status != http.StatusCreated {
		t.Fatalf("an order while the customer module is down: %v %s", err, a)
	}
	var created struct{ OrderID, Position string }
	if err := a.decode(&created); err != nil {
		t.Fatal(err)
	}
	o.id, o.position = created.OrderID, created.Position
	if err := l.addOrder(o); err != nil {
		t.Fatal(err)
	}
	s.waitUp(ctx, "customer")
	if s.pid("customer") == victim {
		t.Fatalf("the supervisor did not start the customer module again\n%s", s.output())
	}
	l.settle(ctx, t, api, settleDeadline(t))
	t.Logf("%d orders, %d cancelled; settled", len(l.orders), len(l.cancelled))
}

// kill -9 of the Order service's process, then of the History service's,
// under load: the gateway answers 503 for the module while the others
// carry on, the supervisor starts it again, and then every accepted order
// settles, credit is exact and the view converges.
func TestSplitOrderAndHistoryKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sagalab and kills its processes under load")
	}
	bin := buildSagalab(t)
	for i, module := range []string{"order", "history"} {
		t.Run(module, func(t *testing.T) {
			s := startSplit(t, bin, "--saga-timeout", "1h")
			ctx := t.Context()
			api := newAPIClient(s.url)
			defer api.close()
			rng := rand.New(rand.NewPCG(5, uint64(i)))
			l := newLedger()
			for range 4 {
				if err := createCustomer(ctx, t, l, rng, strictSender(t, api)); err != nil {
					t.Fatal(err)
				}
			}
			victim := s.pid(module)
			load := &loadCycle{t: t, api: api, ledger: l, seed: 13 + uint64(i), killAfter: 120}
			load.run(ctx, 4, func() {
				if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
					t.Fatalf("kill -9 the %s module (pid %d): %v", module, victim, err)
				}
			})
			if t.Failed() {
				t.Fatal("the load found the errors above")
			}
			s.waitUp(ctx, module)
			if s.pid(module) == victim {
				t.Fatalf("the supervisor did not start the %s module again\n%s", module, s.output())
			}
			l.settle(ctx, t, api, settleDeadline(t))
			t.Logf("%d orders, %d cancelled; settled", len(l.orders), len(l.cancelled))
		})
	}
}

// kill -9 of the whole group (supervisor, broker, every module) under
// load, then `serve --split` again on the same data: nothing accepted is
// lost, every saga settles, credit is exact, the view converges.
func TestSplitGroupKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sagalab and kills all its processes under load")
	}
	bin, data := buildSagalab(t), t.TempDir()
	s := startSplitOn(t, bin, data, "--saga-timeout", "1h")
	ctx := t.Context()
	api := newAPIClient(s.url)
	rng := rand.New(rand.NewPCG(3, 4))
	l := newLedger()
	for range 4 {
		if err := createCustomer(ctx, t, l, rng, strictSender(t, api)); err != nil {
			t.Fatal(err)
		}
	}
	load := &loadCycle{t: t, api: api, ledger: l, seed: 11, killAfter: 150}
	load.run(ctx, 4, func() {
		if err := syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill -9 the process group: %v", err)
		}
		<-s.exited
	})
	if t.Failed() {
		t.Fatal("the load found the errors above")
	}
	api.close()
	s = startSplitOn(t, bin, data, "--saga-timeout", "1h")
	api = newAPIClient(s.url)
	defer api.close()
	l.settle(ctx, t, api, settleDeadline(t))
	t.Logf("%d orders, %d cancelled; settled after the restart", len(l.orders), len(l.cancelled))
}
