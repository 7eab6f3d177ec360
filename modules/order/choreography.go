package order

import (
	"context"
	"errors"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/order/contract"
)

// onCustomerEvent is the choreography side of the Create Order saga: the
// Customer service's outcome approves or rejects the order (local
// transaction T3).
func (m *Module) onCustomerEvent(ctx context.Context, tx *bus.Tx, env bus.Envelope) error {
	var to contract.State
	var reason string
	switch env.Type {
	case customercontract.CustomerCreditReserved:
		to = contract.Approved
	case customercontract.CustomerCreditReservationFailed:
		to, reason = contract.Rejected, contract.ReasonInsufficientCredit
	case customercontract.CustomerValidationFailed:
		to, reason = contract.Rejected, contract.ReasonUnknownCustomer
	default:
		return nil
	}
	var e struct {
		OrderID string `json:"orderId"`
	}
	if err := env.Decode(&e); err != nil {
		return err
	}
	o, err := m.store.get(ctx, tx, e.OrderID)
	if err != nil || o.SagaMode != contract.Choreography {
		// An orchestrated order hears from the Customer service by reply;
		// its events are for whoever watches.
		tx.Note("orchestrated order: the orchestrator acts on the reply, not on this event")
		return ignoreNotFound(err)
	}
	return m.finish(ctx, tx, &env, e.OrderID, to, reason)
}

func ignoreNotFound(err error) error {
	if errors.Is(err, contract.ErrNotFound) {
		return nil
	}
	return err
}
