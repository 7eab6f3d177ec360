package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"sagalab/bus"
	"sagalab/cmd/internal/classroom"
	"sagalab/cmd/internal/scenario"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/system"
)

// checkWidth fails t for every line of out wider than 100 columns.
func checkWidth(t *testing.T, what, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 100 {
			t.Errorf("%s: line %d is %d columns wide: %s", what, i+1, n, line)
		}
	}
}

// saga show and events customer keep within 100 columns on what every
// scenario leaves behind, in both modes, with ids as long as real ones.
func TestInspectionWidth(t *testing.T) {
	for _, sc := range scenarios(t) {
		if !sc.AppliesTo(system.Microservices) {
			continue // the monolith has no sagas or event streams to show
		}
		for _, mode := range modes {
			t.Run(sc.Name+"/"+string(mode), func(t *testing.T) {
				t.Parallel()
				dir, res := runScenario(t, sc, mode)
				for _, ref := range sc.OrderRefs() {
					args := []string{"saga", "show", res.IDs[ref], "--data", dir}
					out, err := runAll(t, args...)
					if err != nil {
						t.Fatalf("%s: %v", strings.Join(args, " "), err)
					}
					checkWidth(t, strings.Join(args[:2], " ")+" "+ref, out)
				}
				for _, c := range sc.Customers {
					args := []string{"events", "customer", res.IDs[c.Ref], "--data", dir}
					out, err := runAll(t, args...)
					if err != nil {
						t.Fatalf("%s: %v", strings.Join(args, " "), err)
					}
					checkWidth(t, strings.Join(args[:2], " ")+" "+c.Ref, out)
				}
			})
		}
	}
}

// runScenario runs sc on a fresh data directory, on a clock that moves only
// when told (so waits take no time), with random ids, and returns the
// directory.
func runScenario(t *testing.T, sc *scenario.Scenario, mode ordercontract.SagaMode) (string, *scenario.Result) {
	dir := t.TempDir()
	cfg, err := sc.Configure(system.Config{DataDir: dir, SagaMode: mode})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Faults.Seed = 1
	clock := classroom.NewClock(testStart)
	step := func(bus.Stepped) error { clock.Advance(10 * time.Millisecond); return nil }
	sess, err := classroom.NewSession(context.Background(), cfg, classroom.SessionOptions{Clock: clock, Step: step})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sc.Run(context.Background(), sess, func(scenario.Event) error { clock.Advance(10 * time.Millisecond); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, res
}

// saga list keeps within 100 columns, in both modes, with sagas waiting for
// a module that is down.
func TestSagaListWidth(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sys, err := system.Start(ctx, system.Config{DataDir: dir, Paused: []string{"customer"}, SagaTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	customer, err := sys.Customers.Create(ctx, "John", money.Money(1500))
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range modes {
		if _, err := sys.Orders.Create(ctx, customer, money.Money(100), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := sys.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := runAll(t, "saga", "list", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n  waiting for ") != 2 {
		t.Errorf("saga list does not show the two waiting sagas:\n%s", out)
	}
	checkWidth(t, "saga list", out)
}
