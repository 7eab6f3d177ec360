package customer

import (
	"context"
	"database/sql"
	"errors"

	"sagalab/bus"
	"sagalab/modules/customer/contract"
	"sagalab/modules/money"
	ordercontract "sagalab/modules/order/contract"
)

// outcome is what a credit reservation came to.
type outcome int

const (
	outcomeReserved outcome = iota
	outcomeInsufficient
	outcomeUnknownCustomer
	outcomeClosed // the order's credit was already released: nothing to say
)

// reserveCredit is local transaction T2 of the Create Order saga: it
// reserves total for orderID if the customer's available credit allows.
func (m *Module) reserveCredit(ctx context.Context, tx *sql.Tx, customerID, orderID string, total money.Money) (outcome, error) {
	prior, err := m.repo.Reservation(ctx, tx, orderID)
	if err != nil {
		return 0, err
	}
	c, err := m.repo.Get(ctx, tx, customerID)
	if errors.Is(err, contract.ErrNotFound) {
		if prior != nil && prior.State == Released {
			return outcomeClosed, nil
		}
		return outcomeUnknownCustomer, nil
	}
	if err != nil {
		return 0, err
	}
	next, r, changed := reserve(c, prior, orderID, total, contract.ReasonInsufficientCredit)
	if changed {
		if err := m.repo.SaveReservation(ctx, tx, &next, r); err != nil {
			return 0, err
		}
	}
	switch r.State {
	case Reserved:
		return outcomeReserved, nil
	case Failed:
		return outcomeInsufficient, nil
	default:
		return outcomeClosed, nil
	}
}

// releaseCredit is the compensation of reserveCredit: it gives back what
// orderID holds, and returns the amount freed.
func (m *Module) releaseCredit(ctx context.Context, tx *sql.Tx, customerID, orderID string) (money.Money, error) {
	prior, err := m.repo.Reservation(ctx, tx, orderID)
	if err != nil {
		return 0, err
	}
	c, err := m.repo.Get(ctx, tx, customerID)
	unknown := errors.Is(err, contract.ErrNotFound)
	if err != nil && !unknown {
		return 0, err
	}
	if unknown {
		c = Customer{ID: customerID}
	}
	next, r, freed, changed := release(c, prior, orderID)
	if !changed {
		return 0, nil
	}
	owner := &next
	if unknown || freed == 0 {
		owner = nil
	}
	return freed, m.repo.SaveReservation(ctx, tx, owner, r)
}

// onOrderEvent is the choreography side: the Customer service reacts to the
// Order service's events for orders whose saga is choreographed.
func (m *Module) onOrderEvent(ctx context.Context, tx *sql.Tx, env bus.Envelope) error {
	switch env.Type {
	case ordercontract.OrderCreated:
		var e ordercontract.CreatedEvent
		if err := env.Decode(&e); err != nil {
			return err
		}
		if e.SagaMode != ordercontract.Choreography {
			return nil // the orchestrator will send ReserveCredit
		}
		out, err := m.reserveCredit(ctx, tx, e.CustomerID, e.OrderID, e.OrderTotal)
		if err != nil {
			return err
		}
		switch out {
		case outcomeReserved:
			return m.emit(ctx, tx, env, contract.CustomerCreditReserved,
				contract.CreditReserved{CustomerID: e.CustomerID, OrderID: e.OrderID, OrderTotal: e.OrderTotal})
		case outcomeInsufficient:
			return m.emit(ctx, tx, env, contract.CustomerCreditReservationFailed,
				contract.CreditFailed{CustomerID: e.CustomerID, OrderID: e.OrderID, Reason: contract.ReasonInsufficientCredit})
		case outcomeUnknownCustomer:
			return m.emit(ctx, tx, env, contract.CustomerValidationFailed,
				contract.CreditFailed{CustomerID: e.CustomerID, OrderID: e.OrderID, Reason: contract.ReasonUnknownCustomer})
		}
		return nil
	case ordercontract.OrderCancelled:
		var e ordercontract.CancelledEvent
		if err := env.Decode(&e); err != nil {
			return err
		}
		if e.SagaMode != ordercontract.Choreography {
			return nil // the Cancel Order saga sends ReleaseCredit
		}
		return m.releaseAndEmit(ctx, tx, env, e.CustomerID, e.OrderID)
	case ordercontract.OrderRejected:
		var e ordercontract.RejectedEvent
		if err := env.Decode(&e); err != nil {
			return err
		}
		// A saga that timed out may have reserved credit, or may yet: give it
		// back now, or refuse it when it comes.
		if e.SagaMode != ordercontract.Choreography || e.Reason != ordercontract.ReasonTimeout {
			return nil
		}
		return m.releaseAndEmit(ctx, tx, env, e.CustomerID, e.OrderID)
	}
	return nil
}

func (m *Module) releaseAndEmit(ctx context.Context, tx *sql.Tx, env bus.Envelope, customerID, orderID string) error {
	freed, err := m.releaseCredit(ctx, tx, customerID, orderID)
	if err != nil || freed == 0 {
		return err
	}
	return m.emit(ctx, tx, env, contract.CustomerCreditReleased,
		contract.CreditReleased{CustomerID: customerID, OrderID: orderID, Amount: freed})
}

func (m *Module) emit(ctx context.Context, tx *sql.Tx, cause bus.Envelope, typ string, payload any) error {
	return m.out.Write(ctx, tx, cause.Caused(contract.EventsTopic, typ, payload))
}

// onCommand is the orchestration side: the Customer service carries out
// commands and replies to the topic each command names.
func (m *Module) onCommand(ctx context.Context, tx *sql.Tx, env bus.Envelope) error {
	reply := func(typ string, payload any) error {
		if env.ReplyTo == "" {
			m.log.Warn("command without a reply topic", "type", env.Type, "id", env.ID)
			return nil
		}
		return m.out.Write(ctx, tx, env.Caused(env.ReplyTo, typ, payload))
	}
	switch env.Type {
	case contract.ReserveCredit:
		var c contract.ReserveCreditCommand
		if err := env.Decode(&c); err != nil {
			return err
		}
		out, err := m.reserveCredit(ctx, tx, c.CustomerID, c.OrderID, c.OrderTotal)
		if err != nil {
			return err
		}
		switch out {
		case outcomeReserved:
			return reply(contract.CustomerCreditReserved,
				contract.CreditReserved{CustomerID: c.CustomerID, OrderID: c.OrderID, OrderTotal: c.OrderTotal})
		case outcomeInsufficient:
			return reply(contract.CustomerCreditLimitExceeded,
				contract.CreditFailed{CustomerID: c.CustomerID, OrderID: c.OrderID, Reason: contract.ReasonInsufficientCredit})
		case outcomeUnknownCustomer:
			return reply(contract.CustomerNotFound,
				contract.CreditFailed{CustomerID: c.CustomerID, OrderID: c.OrderID, Reason: contract.ReasonUnknownCustomer})
		}
		return nil
	case contract.ReleaseCredit:
		var c contract.ReleaseCreditCommand
		if err := env.Decode(&c); err != nil {
			return err
		}
		freed, err := m.releaseCredit(ctx, tx, c.CustomerID, c.OrderID)
		if err != nil {
			return err
		}
		return reply(contract.CustomerCreditReleased,
			contract.CreditReleased{CustomerID: c.CustomerID, OrderID: c.OrderID, Amount: freed})
	}
	m.log.Warn("unknown command ignored", "type", env.Type, "id", env.ID)
	return nil
}
