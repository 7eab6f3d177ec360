package system

import (
	"context"

	"sagalab/bus"
	ordercontract "sagalab/modules/order/contract"
)

// Participants are the modules a trace draws, in column order.
var Participants = []string{"order", "customer", "history"}

// OrderTraffic returns order id and what crossed the bus for it, read from
// every participant's outbox and inbox, with the local transactions it
// caused.
func (s *System) OrderTraffic(ctx context.Context, id string) (ordercontract.Order, []bus.Traffic, error) {
	o, err := s.Orders.Order(ctx, id)
	if err != nil {
		return ordercontract.Order{}, nil, err
	}
	var traffic []bus.Traffic
	for _, module := range Participants {
		t, err := bus.ReadTraffic(ctx, s.files[module], module, id)
		if err != nil {
			return ordercontract.Order{}, nil, err
		}
		traffic = append(traffic, t...)
	}
	return o, traffic, nil
}
