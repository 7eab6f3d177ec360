package load

import (
	"math"
	"runtime/metrics"
	"time"
)

// waitsMetric is the Go runtime's histogram of how long goroutines that
// were ready to run waited for a processor (a P) before they ran. The
// runtime samples the goroutines it times.
const waitsMetric = "/sched/latencies:seconds"

// Waits is how long, during a run, goroutines ready to run waited for the
// Go scheduler to run them: a histogram of the runtime's samples, over
// every goroutine of the process. A saga's hand-overs wait so (a relay
// woken, a message's goroutine started, a batch's leader after it
// yields), and so do the goroutines of a batch's messages, woken
// together once it has committed.
type Waits struct {
	counts  []uint64
	buckets []float64 // bucket i holds waits in [buckets[i], buckets[i+1]) seconds
}

// readWaits returns the runtime's histogram as it stands.
func readWaits() Waits {
	s := []metrics.Sample{{Name: waitsMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return Waits{} // not in this runtime
	}
	h := s[0].Value.Float64Histogram()
	return Waits{counts: append([]uint64(nil), h.Counts...), buckets: h.Buckets}
}

// Since returns the waits sampled after before was read.
func (w Waits) Since(before Waits) Waits {
	if len(before.counts) != len(w.counts) {
		return w
	}
	out := Waits{counts: make([]uint64, len(w.counts)), buckets: w.buckets}
	for i, c := range w.counts {
		out.counts[i] = c - before.counts[i]
	}
	return out
}

// Percentile returns the p-th percentile (0 < p ≤ 1) of the waits: the
// upper bound of the bucket it falls in, or the lower bound of the last,
// unbounded one. It is 0 when none were sampled.
func (w Waits) Percentile(p float64) time.Duration {
	var total uint64
	for _, c := range w.counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(float64(total) * p))
	var seen uint64
	for i, c := range w.counts {
		seen += c
		if seen >= max(rank, 1) {
			bound := w.buckets[i+1]
			if math.IsInf(bound, 1) {
				bound = w.buckets[i]
			}
			return time.Duration(bound * float64(time.Second))
		}
	}
	return 0
}
