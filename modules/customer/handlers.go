package customer

import (
	"context"
	"errors"
	"fmt"

	"sagalab/bus"
	"sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/storage/eventstore"
)

// outcome is what a credit reservation came to.
type outcome int

const (
	outcomeReserved outcome = iota
	outcomeInsufficient
	outcomeUnknownCustomer
	outcomeClosed // the order's credit was already released: nothing to say
)

// maxAttempts bounds how often a command is retried on a fresh load when its
// stream moved on meanwhile.
const maxAttempts = 5

// command runs decide on a fresh load of customer id and saves the events it
// returns, retrying when another writer appended to the stream in between.
func (m *Module) command(ctx context.Context, tx *bus.Tx, id string,
	decide func(c *Customer, prior *Reservation) []eventstore.NewEvent, orderID string) (*Customer, *Reservation, error) {
	for attempt := 1; ; attempt++ {
		c, err := m.repo.load(ctx, tx, id)
		if err != nil {
			return nil, nil, err
		}
		prior, err := reservation(ctx, tx, orderID)
		if err != nil {
			return nil, nil, err
		}
		before := c.clone()
		err = m.repo.save(ctx, tx, c, decide(before, prior))
		var conflict *eventstore.ConcurrencyError
		if errors.As(err, &conflict) && attempt < maxAttempts {
			m.log.Debug("stream moved on; retrying the command", "customer", id, "attempt", attempt)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		after, err := reservation(ctx, tx, orderID)
		return c, after, err
	}
}

// reserveCredit is local transaction T2 of the Create Order saga: it
// reserves total for orderID if the customer's available credit allows.
func (m *Module) reserveCredit(ctx context.Context, tx *bus.Tx, cause bus.Envelope, customerID, orderID string, total money.Money) (outcome, error) {
	why := causation{correlationID: cause.CorrelationID, causationID: cause.ID}
	c, r, err := m.command(ctx, tx, customerID, func(c *Customer, prior *Reservation) []eventstore.NewEvent {
		return decideReserve(c, prior, orderID, total, why)
	}, orderID)
	switch {
	case errors.Is(err, contract.ErrNotFound):
		tx.Note("no customer %s: nothing to reserve", customerID)
		return outcomeUnknownCustomer, nil
	case err != nil:
		return 0, err
	case r == nil:
		return 0, fmt.Errorf("reserve credit for order %s: no decision recorded", orderID)
	}
	switch r.State {
	case Reserved:
		tx.Note("reserved %s for order %s: %s of %s left (CustomerCreditReserved appended)",
			total, orderID, c.Available(), c.CreditLimit)
		return outcomeReserved, nil
	case Failed:
		tx.Note("order %s needs %s, only %s available: nothing reserved", orderID, total, c.Available())
		return outcomeInsufficient, nil
	}
	tx.Note("order %s was released before: its late reservation is refused", orderID)
	return outcomeClosed, nil
}

// releaseCredit is the compensation of reserveCredit: it gives back what
// orderID holds, and returns the amount freed.
func (m *Module) releaseCredit(ctx context.Context, tx *bus.Tx, cause bus.Envelope, customerID, orderID string) (money.Money, error) {
	why := causation{correlationID: cause.CorrelationID, causationID: cause.ID}
	var freed money.Money
	var first bool
	c, _, err := m.command(ctx, tx, customerID, func(c *Customer, prior *Reservation) []eventstore.NewEvent {
		freed, first = c.Open[orderID], prior == nil
		return decideRelease(c, prior, orderID, why)
	}, orderID)
	switch {
	case errors.Is(err, contract.ErrNotFound):
		tx.Note("no customer %s: nothing to release", customerID)
		return 0, nil // nothing was ever reserved by a customer that does not exist
	case err != nil:
		return 0, err
	case freed > 0:
		tx.Note("released %s of order %s: %s available (CustomerCreditReleased appended)", freed, orderID, c.Available())
	case first:
		tx.Note("nothing reserved for order %s yet: release recorded, a late reservation will be refused", orderID)
	default:
		tx.Note("order %s holds no credit: nothing to release", orderID)
	}
	return freed, nil
}

// onOrderEvent is the choreography side: the Customer service reacts to the
// Order service's events for orders whose saga is choreographed. Its own
// events, appended to the customer's stream, are the messages it publishes.
func (m *Module) onOrderEvent(ctx context.Context, tx *bus.Tx, env bus.Envelope) error {
	switch env.Type {
	case ordercontract.OrderCreated:
		var e ordercontract.CreatedEvent
		if err := env.Decode(&e); err != nil {
			return err
		}
		if e.SagaMode != ordercontract.Choreography {
			tx.Note("orchestrated order: wait for the ReserveCredit command")
			return nil
		}
		out, err := m.reserveCredit(ctx, tx, env, e.CustomerID, e.OrderID, e.OrderTotal)
		if err != nil || out != outcomeUnknownCustomer {
			return err
		}
		// No customer, no stream: the answer is a plain message.
		return tx.Emit(ctx, env.Caused(contract.EventsTopic, contract.CustomerValidationFailed,
			contract.CreditFailed{CustomerID: e.CustomerID, OrderID: e.OrderID, Reason: contract.ReasonUnknownCustomer}))
	case ordercontract.OrderCancelled:
		var e ordercontract.CancelledEvent
		if err := env.Decode(&e); err != nil {
			return err
		}
		if e.SagaMode != ordercontract.Choreography {
			tx.Note("orchestrated order: the Cancel Order saga will send ReleaseCredit")
			return nil
		}
		_, err := m.releaseCredit(ctx, tx, env, e.CustomerID, e.OrderID)
		return err
	case ordercontract.OrderRejected:
		var e ordercontract.RejectedEvent
		if err := env.Decode(&e); err != nil {
			return err
		}
		// A saga that timed out may have reserved credit, or may yet: give it
		// back now, or refuse it when it comes.
		if e.SagaMode != ordercontract.Choreography || e.Reason != ordercontract.ReasonTimeout {
			tx.Note("rejected for %s: no credit to release", e.Reason)
			return nil
		}
		_, err := m.releaseCredit(ctx, tx, env, e.CustomerID, e.OrderID)
		return err
	}
	return nil
}

// onCommand is the orchestration side: the Customer service carries out
// commands and replies to the topic each command names.
func (m *Module) onCommand(ctx context.Context, tx *bus.Tx, env bus.Envelope) error {
	reply := func(typ string, payload any) error {
		if env.ReplyTo == "" {
			m.log.Warn("command without a reply topic", "type", env.Type, "id", env.ID)
			return nil
		}
		return tx.Emit(ctx, env.Caused(env.ReplyTo, typ, payload))
	}
	switch env.Type {
	case contract.ReserveCredit:
		var c contract.ReserveCreditCommand
		if err := env.Decode(&c); err != nil {
			return err
		}
		out, err := m.reserveCredit(ctx, tx, env, c.CustomerID, c.OrderID, c.OrderTotal)
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
		freed, err := m.releaseCredit(ctx, tx, env, c.CustomerID, c.OrderID)
		if err != nil {
			return err
		}
		return reply(contract.CustomerCreditReleased,
			contract.CreditReleased{CustomerID: c.CustomerID, OrderID: c.OrderID, Amount: freed})
	}
	m.log.Warn("unknown command ignored", "type", env.Type, "id", env.ID)
	return nil
}
