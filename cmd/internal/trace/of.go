package trace

import (
	"context"

	"sagalab/bus"
	"sagalab/modules/system"
)

// Of gathers the trace of order id from a running (or inspected) sagalab:
// what crossed the bus for it and the local transactions it caused.
func Of(ctx context.Context, sys *system.System, id string) (Trace, error) {
	o, traffic, err := sys.OrderTraffic(ctx, id)
	if err != nil {
		return Trace{}, err
	}
	return Build(o.ID, string(o.SagaMode), string(o.State), system.Participants, traffic,
		func(m bus.Envelope) []string { return sys.Bus.Needing(ctx, m) }), nil
}
