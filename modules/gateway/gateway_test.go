package gateway

import (
	"context"
	"testing"
	"time"
)

// The simulated latency is at least what was asked, even below the
// machine's timer granularity.
func TestSleepWaitsAtLeastTheLatency(t *testing.T) {
	for _, d := range []time.Duration{0, 50 * time.Microsecond, 300 * time.Microsecond, 3 * time.Millisecond} {
		start := time.Now()
		if err := sleep(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		if got := time.Since(start); got < d {
			t.Errorf("sleep(%s) took %s", d, got)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Second); err == nil {
		t.Error("sleep ignored a cancelled context")
	}
}
