package scenario

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sagalab/bus"
	"sagalab/cmd/internal/classroom"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

// A module down for a while (a pause fault) changes nothing in any
// scenario, in either saga mode, whether the bus delivers (demo) or the
// session hands out one message at a time (walkthrough): the sagas wait for
// it, and every order and credit ends as in the fault-free run. The session
// runs on a clock, so the pause costs no real time; it is longer than the
// run takes, so a pause that ended by itself would not hide a session that
// stopped waiting.
func TestScenariosWithPauseFaults(t *testing.T) {
	all, err := All(os.DirFS("../../../testdata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		if !sc.AppliesTo(system.Microservices) {
			continue // no modules to pause in the monolith
		}
		for _, mode := range modes {
			t.Run(sc.Name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				base, err := runWith(t.TempDir(), sc, mode, "", false)
				if err != nil {
					t.Fatal(err)
				}
				want := outcome(sc, base)
				var wg sync.WaitGroup // the runs mostly wait on SQLite: side by side
				for _, module := range []string{"customer", "order"} {
					for _, step := range []bool{false, true} {
						dir := t.TempDir()
						wg.Go(func() {
							name := fmt.Sprintf("pause-%s, step mode %v", module, step)
							res, err := runWith(dir, sc, mode, module, step)
							if err != nil {
								t.Errorf("%s: %v", name, err)
								return
							}
							for _, f := range res.Failures {
								t.Errorf("%s: %s", name, f)
							}
							if got := outcome(sc, res); !maps.Equal(got, want) {
								t.Errorf("%s:\n got %v\nwant %v", name, got, want)
							}
						})
					}
				}
				wg.Wait()
			})
		}
	}
}

// runWith runs sc on a clock, with module (if any) down for 2s from the
// start, in step mode or not.
func runWith(dir string, sc *Scenario, mode ordercontract.SagaMode, module string, step bool) (*Result, error) {
	cfg, err := sc.Configure(system.Config{DataDir: dir, SagaMode: mode})
	if err != nil {
		return nil, err
	}
	if module != "" {
		cfg.Faults.Pauses = map[string]time.Duration{module: 2 * time.Second}
	}
	clock := classroom.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	opt := classroom.SessionOptions{Clock: clock}
	if step {
		opt.Step = func(bus.Stepped) error { clock.Advance(10 * time.Millisecond); return nil }
	}
	s, err := classroom.NewSession(context.Background(), cfg, opt)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return sc.Run(ctx, s, nil)
}

// outcome is each order's state and reason and each customer's available
// credit, by ref. When orders were placed without waiting, which of them
// fit depends on arrival order: then it is how many end in each state.
func outcome(sc *Scenario, res *Result) map[string]string {
	racing := slices.ContainsFunc(sc.Steps, func(st Step) bool { return st.NoWait })
	out := map[string]string{}
	var states []string
	for ref, o := range res.Orders {
		if racing {
			states = append(states, describe(o.State, o.RejectionReason))
		} else {
			out[ref] = describe(o.State, o.RejectionReason)
		}
	}
	if racing {
		slices.Sort(states)
		out["orders"] = strings.Join(states, " ")
	}
	for ref, c := range res.Customers {
		out[ref] = fmt.Sprint(c.AvailableCredit)
	}
	return out
}
