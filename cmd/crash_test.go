package cmd_test

import (
	"context"
	"flag"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var (
	crashCycles = flag.Int("crash.cycles", 10, "how many times TestCrash kills sagalab serve under load")
	crashSeed   = flag.Uint64("crash.seed", 0, "seed of TestCrash's load and kill points (0: a new one)")
	crashSync   = flag.String("crash.sync", "normal", "--sync of the server TestCrash kills: normal or full")
	crashServe  = flag.String("crash.serve", "", `more flags of the server TestCrash kills, e.g. "--fault duplicate=0.3"`)
)

// TestCrash runs `sagalab serve` as a process, kills it with SIGKILL in the
// middle of a concurrent load (orders in both saga modes, cancels, orders
// for unknown customers), starts it again on the same data and checks
// after every cycle that nothing a client was told is lost, that every
// saga ends, and that credit, event streams and the order history view
// agree with the orders.
//
//	go test ./cmd -run TestCrash -crash.cycles 50 [-crash.sync full] [-crash.seed N] [-crash.serve FLAGS]
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sagalab and kills it under load")
	}
	seed := *crashSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("same load and kill points (not the same timing): "+
				"go test ./cmd -run TestCrash -crash.seed %d -crash.cycles %d -crash.sync %s -crash.serve %q",
				seed, *crashCycles, *crashSync, *crashServe)
		}
	})
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(seed, 0))
	// The saga timeout is far away: every saga must end by itself, and one
	// that waits for a message lost in a crash shows as stuck.
	flags := append([]string{"--sync", *crashSync, "--saga-timeout", "1h"}, strings.Fields(*crashServe)...)
	srv := newServerProcess(t, buildSagalab(t), flags...)
	srv.start(ctx, snapshotFlag(rng)...)
	api := newAPIClient(srv.url)
	l := newLedger()
	for range 6 {
		if err := createCustomer(ctx, t, l, rng, strictSender(t, api)); err != nil {
			t.Fatal(err)
		}
	}
	for cycle := 1; cycle <= *crashCycles; cycle++ {
		load := &loadCycle{t: t, api: api, ledger: l, seed: rng.Uint64(), killAfter: 20 + rng.Int64N(300)}
		load.run(ctx, 8, srv.kill)
		if t.Failed() {
			t.Fatalf("cycle %d: the load found the errors above; the server's output:\n%s", cycle, srv.tail())
		}
		srv.start(ctx, snapshotFlag(rng)...)
		if rng.IntN(4) == 0 { // again, while it recovers
			srv.kill()
			srv.start(ctx, snapshotFlag(rng)...)
		}
		api.close()
		api = newAPIClient(srv.url)
		started := time.Now()
		l.settle(ctx, t, api, settleDeadline(t))
		t.Logf("cycle %d: killed after %d requests; %d orders, %d cancelled, settled in %v",
			cycle, load.killAfter, len(l.orders), len(l.cancelled), time.Since(started).Round(time.Millisecond))
	}
	srv.stop()
}

// snapshotFlag picks how often the server snapshots customers: a restart
// may find snapshots of another frequency, or none.
func snapshotFlag(rng *rand.Rand) []string {
	return []string{"--snapshot-every", []string{"0", "1", "5", "100"}[rng.IntN(4)]}
}

// settleDeadline is when the sagas must have ended and the view caught up:
// a minute, within the test's own deadline so that it stops by itself and
// kills its server.
func settleDeadline(t *testing.T) time.Time {
	deadline := time.Now().Add(time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-15*time.Second).Before(deadline) {
		deadline = d.Add(-15 * time.Second)
	}
	return deadline
}

// strictSender sends requests outside the load: every one must be answered
// as wanted.
func strictSender(t *testing.T, api *apiClient) sender {
	return func(ctx context.Context, method, path string, body any, want ...int) (answer, error) {
		a, err := api.do(ctx, method, path, body)
		if err != nil {
			return a, err
		}
		for _, s := range want {
			if a.status == s {
				return a, nil
			}
		}
		t.Fatalf("%s, want %v", a, want)
		return a, nil
	}
}
