package load

import (
	"math"
	"testing"
	"time"
)

// A run's waits are the samples taken after it began; a percentile is the
// bound of the bucket it falls in.
func TestWaitsSincePercentile(t *testing.T) {
	buckets := []float64{math.Inf(-1), 0, 1e-6, 1e-3, math.Inf(1)}
	before := Waits{counts: []uint64{0, 5, 5, 0}, buckets: buckets}
	after := Waits{counts: []uint64{0, 95, 8, 1}, buckets: buckets}
	run := after.Since(before)
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{
		{0.50, time.Microsecond}, // 90 of 94 in [0, 1 µs)
		{0.96, time.Millisecond}, // the 3 in [1 µs, 1 ms)
		{0.99, time.Millisecond}, // the last, unbounded bucket: its lower bound
		{1.00, time.Millisecond},
	} {
		if got := run.Percentile(c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p*100, got, c.want)
		}
	}
	if got := (Waits{}).Percentile(0.99); got != 0 {
		t.Errorf("no samples: p99 = %v, want 0", got)
	}
	if len(readWaits().counts) == 0 {
		t.Errorf("the runtime has no %s", waitsMetric)
	}
}
