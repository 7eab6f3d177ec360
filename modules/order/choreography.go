package order

import (
	"context"
	"errors"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/order/contract"
)

// subscribe registers the module's handlers: the choreography side of the
// Create Order saga reacts to the Customer service's events, the
// orchestrator to the replies to its commands.
func (m *Module) subscribe(c *bus.Consumer) {
	events := customercontract.EventsTopic
	bus.HandleIf(c, events, customercontract.CustomerCreditReserved, m.wantReserved, m.onCreditReserved)
	bus.HandleIf(c, events, customercontract.CustomerCreditReservationFailed, m.wantFailed, m.onCreditReservationFailed)
	bus.HandleIf(c, events, customercontract.CustomerValidationFailed, m.wantFailed, m.onValidationFailed)
	bus.HandleAll(c, contract.RepliesTopic, m.sagas.HandleReply)
}

// onCreditReserved approves a choreographed order (T3).
func (m *Module) onCreditReserved(ctx context.Context, tx *bus.Tx, msg bus.Received[customercontract.CreditReserved]) error {
	return m.onCustomerOutcome(ctx, tx, msg.Envelope, msg.Data.OrderID, contract.Approved, "")
}

// onCreditReservationFailed rejects a choreographed order for want of
// credit (T3).
func (m *Module) onCreditReservationFailed(ctx context.Context, tx *bus.Tx, msg bus.Received[customercontract.CreditFailed]) error {
	reason := contract.ReasonInsufficientCredit
	if msg.Data.Reason == customercontract.ReasonCreditLocked {
		reason = contract.ReasonCreditLocked // a prepared two-phase commit holds the credit
	}
	return m.onCustomerOutcome(ctx, tx, msg.Envelope, msg.Data.OrderID, contract.Rejected, reason)
}

// onValidationFailed rejects a choreographed order whose customer does not
// exist (T3).
func (m *Module) onValidationFailed(ctx context.Context, tx *bus.Tx, msg bus.Received[customercontract.CreditFailed]) error {
	return m.onCustomerOutcome(ctx, tx, msg.Envelope, msg.Data.OrderID, contract.Rejected, contract.ReasonUnknownCustomer)
}

func (m *Module) wantReserved(ctx context.Context, msg bus.Received[customercontract.CreditReserved]) (bool, error) {
	return m.choreographed(ctx, msg.Data.OrderID)
}

func (m *Module) wantFailed(ctx context.Context, msg bus.Received[customercontract.CreditFailed]) (bool, error) {
	return m.choreographed(ctx, msg.Data.OrderID)
}

// choreographed reports whether a Customer service event about orderID is
// needed: not when the order's saga is orchestrated, since an orchestrated
// order hears from the Customer service by reply and its events are for
// whoever watches. It runs before the handler's transaction; the saga mode
// of an order never changes, so reading it outside is safe. An unknown
// order is left to the handler.
func (m *Module) choreographed(ctx context.Context, orderID string) (bool, error) {
	if mode, ok := m.modes.get(orderID); ok {
		return mode == contract.Choreography, nil
	}
	o, err := m.store.get(ctx, m.db.Reader(), orderID)
	if errors.Is(err, contract.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	m.modes.put(o.ID, o.SagaMode)
	return o.SagaMode == contract.Choreography, nil
}

// onCustomerOutcome is local transaction T3 of the choreographed Create
// Order saga: the Customer service's outcome approves or rejects the order.
func (m *Module) onCustomerOutcome(ctx context.Context, tx *bus.Tx, env bus.Envelope, orderID string, to contract.State, reason string) error {
	if mode, ok := m.modes.get(orderID); ok && mode == contract.Choreography {
		return m.finish(ctx, tx, &env, orderID, to, reason) // committed, so it exists
	}
	o, err := m.store.get(ctx, tx, orderID)
	if err != nil || o.SagaMode != contract.Choreography {
		// An orchestrated order hears from the Customer service by reply;
		// its events are for whoever watches.
		tx.Note("orchestrated order: the orchestrator acts on the reply, not on this event")
		return ignoreNotFound(err)
	}
	return m.finish(ctx, tx, &env, orderID, to, reason)
}

func ignoreNotFound(err error) error {
	if errors.Is(err, contract.ErrNotFound) {
		return nil
	}
	return err
}
