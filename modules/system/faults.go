package system

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"sagalab/bus"
)

// Faults are what can be broken on purpose: the bus's delivery faults and
// modules that are down for a while.
type Faults struct {
	bus.Faults
	// Pauses holds each named module's consumers for a while after start.
	// Start resumes them on timers; a Session on its own clock, and its
	// Settle waits for them.
	Pauses map[string]time.Duration
	// CrashAfterOrder, if not 0, crashes sagalab right after the local
	// commit of that order (1 for the first), before anything is published,
	// and starts it again on the same data (demo and walkthrough).
	CrashAfterOrder int
}

// ParseFaults reads faults in the command-line form
// "duplicate=0.5,redeliver=0.2,delay=200ms,reorder=4,pause-customer=3s,fail-customer=1".
func ParseFaults(s string) (Faults, error) {
	var f Faults
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if k == "crash" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return f, fmt.Errorf("crash: want the number of the order after whose commit to crash (1 or more), got %q", v)
			}
			f.CrashAfterOrder = n
			continue
		}
		if module, ok := strings.CutPrefix(k, "pause-"); ok {
			if !slices.Contains(Participants, module) {
				return f, fmt.Errorf("pause-%s: no module %q (order, customer or history)", module, module)
			}
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 || d > time.Hour {
				return f, fmt.Errorf("pause-%s: want a duration such as 3s, got %q", module, v)
			}
			if f.Pauses == nil {
				f.Pauses = map[string]time.Duration{}
			}
			f.Pauses[module] = d
			continue
		}
		known, err := f.ParseFault(k, v)
		if err != nil {
			return f, err
		}
		if !known {
			return f, fmt.Errorf("unknown fault %q: use duplicate, redeliver, delay, reorder, pause-<module>, "+
				"fail-<module> or crash", k)
		}
	}
	for module := range f.Fail {
		if !slices.Contains(Participants, module) {
			return f, fmt.Errorf("fail-%s: no module %q (order, customer or history)", module, module)
		}
	}
	return f, nil
}

// String gives the faults in the form ParseFaults reads.
func (f Faults) String() string {
	s := f.Faults.String()
	if f.CrashAfterOrder > 0 {
		if s == "none" {
			s = ""
		} else {
			s += ","
		}
		s += "crash=" + strconv.Itoa(f.CrashAfterOrder)
	}
	for m, d := range f.Pauses {
		if s == "none" {
			s = ""
		} else {
			s += ","
		}
		s += "pause-" + m + "=" + d.String()
	}
	return s
}
