package system

import (
	"fmt"
	"strings"
	"time"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
)

// Faults are what can be broken on purpose: the bus's delivery faults and
// modules that are down for a while.
type Faults struct {
	bus.Faults
	// Pauses holds each named module's consumers for a while after start.
	Pauses map[string]time.Duration
}

// ParseFaults reads faults in the command-line form
// "duplicate=0.5,redeliver=0.2,delay=200ms,reorder=4,pause-customer=3s".
func ParseFaults(s string) (Faults, error) {
	var f Faults
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if module, ok := strings.CutPrefix(k, "pause-"); ok {
			if module != customercontract.Module && module != ordercontract.Module {
				return f, fmt.Errorf("pause-%s: no module %q (customer or order)", module, module)
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
			return f, fmt.Errorf("unknown fault %q: use duplicate, redeliver, delay, reorder or pause-<module>", k)
		}
	}
	return f, nil
}

// String gives the faults in the form ParseFaults reads.
func (f Faults) String() string {
	s := f.Faults.String()
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
