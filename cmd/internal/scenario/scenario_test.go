package scenario

import (
	"context"
	"os"
	"testing"
	"time"

	"sagalab/cmd/internal/classroom"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

// modes are the saga modes every scenario runs in.
var modes = []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration}

// Every shipped scenario passes through the real modules, bus and SQLite
// files, in every saga mode. A scenario that lets more than a second pass
// (customer-down waits 8 s for a 5 s deadline) runs on a Clock, as the
// walkthrough does: its waits advance the clock and time out the overdue
// sagas at once. The others run on the wall clock, as the demo does, with
// the background deadline watcher (its timeouts in real time are tested in
// modules/system/timeout_test.go).
func TestScenarios(t *testing.T) {
	all, err := All(os.DirFS("../../../testdata"))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 5 {
		t.Fatalf("only %d scenarios in testdata/scenarios", len(all))
	}
	for _, sc := range all {
		if !sc.AppliesTo(system.Microservices) {
			continue
		}
		for _, mode := range sc.Modes(modes) {
			t.Run(sc.Name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				runScenario(t, sc, mode, nil)
			})
		}
	}
}

// runScenario runs sc in mode on a fresh data directory, its system
// configured further by configure if not nil, and checks its expectations.
func runScenario(t *testing.T, sc *Scenario, mode ordercontract.SagaMode, configure func(*system.Config)) {
	t.Helper()
	cfg, err := sc.Configure(system.Config{DataDir: t.TempDir(), SagaMode: mode})
	if err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(&cfg)
	}
	var opt classroom.SessionOptions
	if waited(sc) > time.Second {
		opt.Clock = classroom.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	}
	s, err := classroom.NewSession(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := sc.Run(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Failures {
		t.Error(f)
	}
	for ref, o := range res.Orders {
		want := mode
		if m := sc.ModeOf(ref); m != "" {
			want = m
		}
		if o.SagaMode != want {
			t.Errorf("order %s ran in %s, want %s", ref, o.SagaMode, want)
		}
	}
}

// waited is how much time the steps of sc let pass.
func waited(sc *Scenario) time.Duration {
	var d time.Duration
	for _, st := range sc.Steps {
		d += time.Duration(st.Wait)
	}
	return d
}
