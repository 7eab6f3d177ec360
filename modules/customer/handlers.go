package customer

import (
	"context"
	"errors"
	"fmt"

	"sagalab/bus"
	"sagalab/bus/eventstore"
	"sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// outcome is what a credit reservation came to.
type outcome int

const (
	outcomeReserved outcome = iota
	outcomeInsufficient
	outcomeUnknownCustomer
	outcomeLocked // a prepared two-phase commit holds the credit
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
		projected, err := m.repo.save(ctx, tx, c, decide(c, prior))
		var conflict *eventstore.ConcurrencyError
		if errors.As(err, &conflict) && attempt < maxAttempts {
			m.log.Debug("stream moved on; retrying the command", "customer", id, "attempt", attempt)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		after := prior
		for _, r := range projected {
			if r.OrderID == orderID {
				after = &r
			}
		}
		return c, after, nil
	}
}

// reserveCredit is local transaction T2 of the Create Order saga: it
// reserves total for orderID if the customer's available credit allows.
func (m *Module) reserveCredit(ctx context.Context, tx *bus.Tx, cause bus.Envelope, customerID, orderID string, total money.Money) (outcome, error) {
	why := causation{correlationID: cause.CorrelationID, causationID: cause.ID}
	holder, err := lockHolder(ctx, tx, customerID)
	if err != nil {
		return 0, err
	}
	var refusedLocked bool
	c, r, err := m.command(ctx, tx, customerID, func(c *Customer, prior *Reservation) []eventstore.NewEvent {
		refusedLocked = prior == nil && holder != ""
		return decideReserve(c, prior, orderID, total, holder != "", why)
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
		if refusedLocked {
			tx.Note("credit of %s locked by prepared two-phase commit %s: nothing reserved", customerID, holder)
			return outcomeLocked, nil
		}
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

// subscribe registers the module's handlers: the choreography side reacts
// to the Order service's events, the orchestration side to commands.
func (m *Module) subscribe(c *bus.Consumer) {
	bus.HandleIf(c, ordercontract.EventsTopic, ordercontract.OrderCreated, choreographed, m.onOrderCreated)
	bus.Handle(c, ordercontract.EventsTopic, ordercontract.OrderCancelled, m.onOrderCancelled)
	bus.Handle(c, ordercontract.EventsTopic, ordercontract.OrderRejected, m.onOrderRejected)
	bus.Handle(c, contract.CommandsTopic, contract.ReserveCredit, m.onReserveCredit)
	bus.Handle(c, contract.CommandsTopic, contract.ReleaseCredit, m.onReleaseCredit)
}

// choreographed accepts the OrderCreated of a choreographed saga: for an
// orchestrated one the Customer service waits for the ReserveCredit command,
// so that OrderCreated needs no transaction here.
func choreographed(_ context.Context, m bus.Received[ordercontract.CreatedEvent]) (bool, error) {
	return m.Data.SagaMode == ordercontract.Choreography, nil
}

// onOrderCreated is T2 of the choreographed Create Order saga: it reserves
// the order's credit. Its own events, appended to the customer's stream,
// are the messages it publishes.
func (m *Module) onOrderCreated(ctx context.Context, tx *bus.Tx, msg bus.Received[ordercontract.CreatedEvent]) error {
	e := msg.Data
	out, err := m.reserveCredit(ctx, tx, msg.Envelope, e.CustomerID, e.OrderID, e.OrderTotal)
	if err != nil || out != outcomeUnknownCustomer {
		return err
	}
	// No customer, no stream: the answer is a plain message.
	return tx.Emit(ctx, msg.Caused(contract.EventsTopic, contract.CustomerValidationFailed,
		contract.CreditFailed{CustomerID: e.CustomerID, OrderID: e.OrderID, Reason: contract.ReasonUnknownCustomer}))
}

// onOrderCancelled releases the credit of a cancelled order that was
// choreographed or committed by two-phase commit (a cancel is then one
// local transaction and an event, as in choreography).
func (m *Module) onOrderCancelled(ctx context.Context, tx *bus.Tx, msg bus.Received[ordercontract.CancelledEvent]) error {
	e := msg.Data
	if e.SagaMode == ordercontract.Orchestration {
		tx.Note("orchestrated order: the Cancel Order saga will send ReleaseCredit")
		return nil
	}
	_, err := m.releaseCredit(ctx, tx, msg.Envelope, e.CustomerID, e.OrderID)
	return err
}

// onOrderRejected releases the credit of a choreographed order that timed
// out: its saga may have reserved credit, or may yet; give it back now, or
// refuse it when it comes.
func (m *Module) onOrderRejected(ctx context.Context, tx *bus.Tx, msg bus.Received[ordercontract.RejectedEvent]) error {
	e := msg.Data
	if e.SagaMode != ordercontract.Choreography || e.Reason != ordercontract.ReasonTimeout {
		tx.Note("rejected for %s: no credit to release", e.Reason)
		return nil
	}
	_, err := m.releaseCredit(ctx, tx, msg.Envelope, e.CustomerID, e.OrderID)
	return err
}

// reply sends a command's reply to the topic the command names.
func (m *Module) reply(ctx context.Context, tx *bus.Tx, cmd bus.Envelope, typ string, payload any) error {
	if cmd.ReplyTo == "" {
		m.log.Warn("command without a reply topic", "type", cmd.Type, "id", cmd.ID)
		return nil
	}
	return tx.Emit(ctx, cmd.Caused(cmd.ReplyTo, typ, payload))
}

// onReserveCredit is T2 of the orchestrated Create Order saga: it carries
// out the orchestrator's command and replies with the outcome.
func (m *Module) onReserveCredit(ctx context.Context, tx *bus.Tx, msg bus.Received[contract.ReserveCreditCommand]) error {
	c := msg.Data
	out, err := m.reserveCredit(ctx, tx, msg.Envelope, c.CustomerID, c.OrderID, c.OrderTotal)
	if err != nil {
		return err
	}
	switch out {
	case outcomeReserved:
		return m.reply(ctx, tx, msg.Envelope, contract.CustomerCreditReserved,
			contract.CreditReserved{CustomerID: c.CustomerID, OrderID: c.OrderID, OrderTotal: c.OrderTotal})
	case outcomeInsufficient:
		return m.reply(ctx, tx, msg.Envelope, contract.CustomerCreditLimitExceeded,
			contract.CreditFailed{CustomerID: c.CustomerID, OrderID: c.OrderID, Reason: contract.ReasonInsufficientCredit})
	case outcomeUnknownCustomer:
		return m.reply(ctx, tx, msg.Envelope, contract.CustomerNotFound,
			contract.CreditFailed{CustomerID: c.CustomerID, OrderID: c.OrderID, Reason: contract.ReasonUnknownCustomer})
	case outcomeLocked:
		return m.reply(ctx, tx, msg.Envelope, contract.CustomerCreditLocked,
			contract.CreditFailed{CustomerID: c.CustomerID, OrderID: c.OrderID, Reason: contract.ReasonCreditLocked})
	}
	return nil
}

// onReleaseCredit carries out the orchestrator's compensation command and
// replies with the amount freed.
func (m *Module) onReleaseCredit(ctx context.Context, tx *bus.Tx, msg bus.Received[contract.ReleaseCreditCommand]) error {
	c := msg.Data
	freed, err := m.releaseCredit(ctx, tx, msg.Envelope, c.CustomerID, c.OrderID)
	if err != nil {
		return err
	}
	return m.reply(ctx, tx, msg.Envelope, contract.CustomerCreditReleased,
		contract.CreditReleased{CustomerID: c.CustomerID, OrderID: c.OrderID, Amount: freed})
}
