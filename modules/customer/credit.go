package customer

import (
	"time"

	"sagalab/modules/money"
)

// Customer is the Customer service's aggregate: a credit limit and the
// credit reserved for orders.
type Customer struct {
	ID          string
	Name        string
	CreditLimit money.Money
	Reserved    money.Money
	CreatedAt   time.Time
}

// Available is the credit that new orders may still reserve.
func (c Customer) Available() money.Money { return c.CreditLimit - c.Reserved }

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

// Reservation is the credit one order holds (or failed to get) from one
// customer.
type Reservation struct {
	OrderID    string
	CustomerID string
	Amount     money.Money
	State      ReservationState
	Reason     string // why it failed
}

// reserve decides what reserving total for orderID does. prior is the
// order's earlier reservation, if any: a decision once taken is never taken
// again, so reserving twice is harmless. changed is false when nothing needs
// saving.
func reserve(c Customer, prior *Reservation, orderID string, total money.Money, reasonInsufficient string) (next Customer, r Reservation, changed bool) {
	if prior != nil {
		return c, *prior, false
	}
	r = Reservation{OrderID: orderID, CustomerID: c.ID, Amount: total}
	if total > c.Available() {
		r.State, r.Reason = Failed, reasonInsufficient
		return c, r, true
	}
	r.State = Reserved
	c.Reserved += total
	return c, r, true
}

// release decides what releasing the credit of orderID does: a reservation
// is given back once; a release with no reservation leaves a Released marker
// so that a reservation arriving later is refused.
func release(c Customer, prior *Reservation, orderID string) (next Customer, r Reservation, freed money.Money, changed bool) {
	switch {
	case prior == nil:
		return c, Reservation{OrderID: orderID, CustomerID: c.ID, State: Released}, 0, true
	case prior.State == Reserved:
		r = *prior
		r.State = Released
		c.Reserved -= r.Amount
		return c, r, r.Amount, true
	default:
		return c, *prior, 0, false
	}
}
