package customer

import (
	"encoding/json"
	"fmt"
	"time"

	"sagalab/bus/eventstore"
	"sagalab/modules/customer/contract"
	"sagalab/modules/shared/money"
)

// Customer is the Customer service's aggregate: a credit limit and the
// credit reserved by open orders. It is never stored as such: it is the
// result of applying its stream's events, from the start or from a
// snapshot.
type Customer struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	CreditLimit money.Money `json:"creditLimit"`
	CreatedAt   time.Time   `json:"createdAt"`
	// Reserved is the sum of Open.
	Reserved money.Money `json:"reserved"`
	// Open holds the credit each order with a live reservation holds.
	Open map[string]money.Money `json:"open"`
	// Version is the stream version the state reflects, and LastEvent the
	// message id of the event at that version.
	Version   int64  `json:"version"`
	LastEvent string `json:"lastEvent"`
}

// snapshotSchema is the version of Customer's snapshot encoding. Change it
// whenever Customer's fields change meaning: older snapshots are then
// ignored and streams replayed. (2: LastEvent.)
const snapshotSchema = 2

// Available is the credit that new orders may still reserve.
func (c *Customer) Available() money.Money { return c.CreditLimit - c.Reserved }

// apply changes the state by one event of its stream.
func (c *Customer) apply(e eventstore.Event) error {
	switch e.Type {
	case contract.CustomerCreated:
		var p contract.CreatedEvent
		if err := json.Unmarshal(e.Data, &p); err != nil {
			return fmt.Errorf("customer %s v%d: %w", e.Stream, e.Version, err)
		}
		c.ID, c.Name, c.CreditLimit, c.CreatedAt = p.CustomerID, p.Name, p.CreditLimit, p.CreatedAt
	case contract.CustomerCreditReserved:
		var p contract.CreditReserved
		if err := json.Unmarshal(e.Data, &p); err != nil {
			return fmt.Errorf("customer %s v%d: %w", e.Stream, e.Version, err)
		}
		if c.Open == nil {
			c.Open = map[string]money.Money{}
		}
		c.Open[p.OrderID] = p.OrderTotal
		c.Reserved += p.OrderTotal
	case contract.CustomerCreditReleased:
		var p contract.CreditReleased
		if err := json.Unmarshal(e.Data, &p); err != nil {
			return fmt.Errorf("customer %s v%d: %w", e.Stream, e.Version, err)
		}
		if amount, ok := c.Open[p.OrderID]; ok {
			c.Reserved -= amount
			delete(c.Open, p.OrderID)
		}
	case contract.CustomerCreditReservationFailed:
		// The decision is remembered by the reservations projection; the
		// credit does not change.
	default:
		return fmt.Errorf("customer %s v%d: unknown event %s", e.Stream, e.Version, e.Type)
	}
	c.Version, c.LastEvent = e.Version, e.MessageID
	return nil
}

// ReservationState is what became of an order's credit reservation.
type ReservationState string

// Reservation states. Released also marks an order whose release came before
// its reservation (reordered messages, or a saga that timed out): the order
// can then no longer reserve credit, so a late reservation cannot leak.
const (
	Reserved ReservationState = "RESERVED"
	Failed   ReservationState = "FAILED"
	Released ReservationState = "RELEASED"
)

// Reservation is the decision taken on one order's credit.
type Reservation struct {
	OrderID    string
	CustomerID string
	Amount     money.Money
	State      ReservationState
}

// decideReserve returns the events that reserving total for orderID
// produces. prior is the decision already taken on the order, if any: a
// decision is never taken twice, so reserving again appends nothing.
// locked says a prepared two-phase commit holds the customer's credit: the
// reservation is then refused.
func decideReserve(c *Customer, prior *Reservation, orderID string, total money.Money, locked bool, cause causation) []eventstore.NewEvent {
	if prior != nil {
		return nil
	}
	if locked {
		return []eventstore.NewEvent{cause.event(contract.CustomerCreditReservationFailed,
			contract.CreditFailed{CustomerID: c.ID, OrderID: orderID, Reason: contract.ReasonCreditLocked})}
	}
	if total > c.Available() {
		return []eventstore.NewEvent{cause.event(contract.CustomerCreditReservationFailed,
			contract.CreditFailed{CustomerID: c.ID, OrderID: orderID, Reason: contract.ReasonInsufficientCredit})}
	}
	return []eventstore.NewEvent{cause.event(contract.CustomerCreditReserved,
		contract.CreditReserved{CustomerID: c.ID, OrderID: orderID, OrderTotal: total})}
}

// decideRelease returns the events that releasing orderID's credit
// produces: the credit back, once; or, before any reservation, a release of
// nothing that refuses a reservation arriving later.
func decideRelease(c *Customer, prior *Reservation, orderID string, cause causation) []eventstore.NewEvent {
	switch {
	case prior == nil:
		return []eventstore.NewEvent{cause.event(contract.CustomerCreditReleased,
			contract.CreditReleased{CustomerID: c.ID, OrderID: orderID})}
	case prior.State == Reserved:
		return []eventstore.NewEvent{cause.event(contract.CustomerCreditReleased,
			contract.CreditReleased{CustomerID: c.ID, OrderID: orderID, Amount: c.Open[orderID]})}
	}
	return nil
}

// causation is the message metadata events inherit from what caused them.
type causation struct{ correlationID, causationID string }

func (c causation) event(typ string, data any) eventstore.NewEvent {
	return eventstore.NewEvent{Type: typ, Data: data, CorrelationID: c.correlationID, CausationID: c.causationID}
}
