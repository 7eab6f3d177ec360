package bus

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Faults are delivery faults injected on purpose, to show (and test) that
// the outbox, the inbox and idempotent handlers make them harmless.
type Faults struct {
	// Duplicate is the fraction of messages (0 to 1) published twice.
	Duplicate float64
	// Redeliver is the fraction of messages whose acknowledgement is lost
	// once, so the broker delivers them again after they were handled.
	Redeliver float64
	// Delay holds each delivery back for a random time up to Delay, which
	// also reorders messages.
	Delay time.Duration
	// Reorder publishes each run of up to Reorder messages in a random order.
	Reorder int
	// Seed fixes the random choices; 0 picks a random seed.
	Seed uint64
	// Fail makes each named consumer fail, for as long as the bus runs,
	// every message of a fraction (0 to 1) of the correlations (orders),
	// chosen by correlation id: a handler bug, whose messages end up parked
	// as dead letters.
	Fail map[string]float64
}

// Any reports whether any fault is set.
func (f Faults) Any() bool {
	return f.Duplicate > 0 || f.Redeliver > 0 || f.Delay > 0 || f.Reorder > 1
}

// String gives the faults in the form ParseFaults reads.
func (f Faults) String() string {
	var parts []string
	if f.Duplicate > 0 {
		parts = append(parts, "duplicate="+strconv.FormatFloat(f.Duplicate, 'g', -1, 64))
	}
	if f.Redeliver > 0 {
		parts = append(parts, "redeliver="+strconv.FormatFloat(f.Redeliver, 'g', -1, 64))
	}
	if f.Delay > 0 {
		parts = append(parts, "delay="+f.Delay.String())
	}
	if f.Reorder > 1 {
		parts = append(parts, "reorder="+strconv.Itoa(f.Reorder))
	}
	for _, c := range slices.Sorted(maps.Keys(f.Fail)) {
		parts = append(parts, "fail-"+c+"="+strconv.FormatFloat(f.Fail[c], 'g', -1, 64))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// ParseFault sets one fault from a key and value as given on the command
// line: duplicate=0.5, redeliver=1, delay=200ms, reorder=8, fail-customer=1.
// It reports false when the key is not a bus fault.
func (f *Faults) ParseFault(key, value string) (bool, error) {
	if consumer, ok := strings.CutPrefix(key, "fail-"); ok {
		p, err := strconv.ParseFloat(value, 64)
		if err != nil || p <= 0 || p > 1 || consumer == "" {
			return true, fmt.Errorf("fault %s: want the fraction of orders (correlations) to fail, above 0 and up to 1, got %q", key, value)
		}
		if f.Fail == nil {
			f.Fail = map[string]float64{}
		}
		f.Fail[consumer] = p
		return true, nil
	}
	switch key {
	case "duplicate", "redeliver":
		p := 1.0
		if value != "" {
			var err error
			if p, err = strconv.ParseFloat(value, 64); err != nil || p < 0 || p > 1 {
				return true, fmt.Errorf("fault %s: want a fraction from 0 to 1, got %q", key, value)
			}
		}
		if key == "duplicate" {
			f.Duplicate = p
		} else {
			f.Redeliver = p
		}
	case "delay":
		d, err := time.ParseDuration(value)
		if err != nil || d < 0 || d > time.Minute {
			return true, fmt.Errorf("fault delay: want a duration up to 1m such as 200ms, got %q", value)
		}
		f.Delay = d
	case "reorder":
		n, err := strconv.Atoi(value)
		if err != nil || n < 2 || n > 1000 {
			return true, fmt.Errorf("fault reorder: want a window of 2 to 1000 messages, got %q", value)
		}
		f.Reorder = n
	default:
		return false, nil
	}
	return true, nil
}

type faultInjector struct {
	f Faults

	mu      sync.Mutex
	rnd     *rand.Rand
	window  []func()
	lostAck map[string]bool
}

func newFaultInjector(f Faults) *faultInjector {
	seed := f.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &faultInjector{f: f, rnd: rand.New(rand.NewPCG(seed, seed^0x5a6a)), lostAck: map[string]bool{}}
}

func (fi *faultInjector) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.rnd.Float64() < p
}

// publish calls send for msg once, twice when duplicated, and holds it back
// in the reorder window.
func (fi *faultInjector) publish(msg *message.Message, send func(*message.Message)) {
	if !fi.f.Any() {
		send(msg)
		return
	}
	do := func() { send(msg) }
	if fi.chance(fi.f.Duplicate) {
		do = func() { send(msg); send(msg) }
	}
	if fi.f.Reorder < 2 {
		do()
		return
	}
	fi.mu.Lock()
	fi.window = append(fi.window, do)
	var flush []func()
	if len(fi.window) >= fi.f.Reorder {
		flush = fi.window
		fi.window = nil
		fi.rnd.Shuffle(len(flush), func(i, j int) { flush[i], flush[j] = flush[j], flush[i] })
	}
	fi.mu.Unlock()
	for _, f := range flush {
		f()
	}
}

// flushWindow publishes what the reorder window holds; the relay calls it
// when its outbox has nothing more, so no message waits forever.
func (fi *faultInjector) flushWindow() {
	fi.mu.Lock()
	flush := fi.window
	fi.window = nil
	if len(flush) > 1 {
		fi.rnd.Shuffle(len(flush), func(i, j int) { flush[i], flush[j] = flush[j], flush[i] })
	}
	fi.mu.Unlock()
	for _, f := range flush {
		f()
	}
}

// delay sleeps a random time up to the configured delay.
func (fi *faultInjector) delay(ctx context.Context) error {
	if fi.f.Delay <= 0 {
		return nil
	}
	fi.mu.Lock()
	d := time.Duration(fi.rnd.Int64N(int64(fi.f.Delay) + 1))
	fi.mu.Unlock()
	if !sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}

// fail returns the injected failure of consumer handling env, or nil. The
// choice hangs on the correlation id alone, so the same orders fail on
// every attempt and after a restart with the same faults.
func (fi *faultInjector) fail(consumer string, env Envelope) error {
	p := fi.f.Fail[consumer]
	if p <= 0 {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(env.CorrelationID))
	if float64(h.Sum64()%10000) >= p*10000 {
		return nil
	}
	return fmt.Errorf("fault injected: %s fails every message of %s", consumer, env.CorrelationID)
}

// loseAck reports, once per consumer and message at most, that the
// acknowledgement of a handled message is lost.
func (fi *faultInjector) loseAck(consumer, id string) bool {
	if fi.f.Redeliver <= 0 {
		return false
	}
	key := consumer + "/" + id
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if _, seen := fi.lostAck[key]; seen {
		return false
	}
	lose := fi.rnd.Float64() < fi.f.Redeliver
	fi.lostAck[key] = lose
	return lose
}
