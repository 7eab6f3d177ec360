package system

import (
	"context"

	"sagalab/bus"
	"sagalab/modules/trace"
)

// Participants are the modules a trace draws, in column order.
var Participants = []string{"order", "customer", "history"}

// Trace gathers, from every module's outbox and inbox, what crossed the bus
// for order id and the local transactions it caused.
func (s *System) Trace(ctx context.Context, id string) (trace.Trace, error) {
	o, err := s.Orders.Order(ctx, id)
	if err != nil {
		return trace.Trace{}, err
	}
	var traffic []bus.Traffic
	for _, module := range Participants {
		t, err := bus.ReadTraffic(ctx, s.files[module], module, id)
		if err != nil {
			return trace.Trace{}, err
		}
		traffic = append(traffic, t...)
	}
	return trace.Build(o.ID, string(o.SagaMode), string(o.State), Participants, traffic, s.Bus.Consumers), nil
}
