// Package contract is what other modules may know of the Customer service:
// the topics it uses, its events, the commands it accepts and their replies,
// and its query interface. Nothing else of the Customer module may be
// imported by another module.
package contract

import (
	"context"
	"errors"
	"time"

	"sagalab/modules/shared/money"
)

// Module is the name of the Customer service on the bus.
const Module = "customer"

// Topics.
const (
	// EventsTopic carries the Customer service's domain events.
	EventsTopic = "customer.events"
	// CommandsTopic carries commands to the Customer service; each names the
	// topic its reply goes to.
	CommandsTopic = "customer.commands"
)

// Event types on EventsTopic.
const (
	CustomerCreated                 = "CustomerCreated"
	CustomerCreditReserved          = "CustomerCreditReserved"
	CustomerCreditReservationFailed = "CustomerCreditReservationFailed"
	CustomerValidationFailed        = "CustomerValidationFailed"
	CustomerCreditReleased          = "CustomerCreditReleased"
)

// Command types on CommandsTopic and the replies they get. A successful
// reservation replies CustomerCreditReserved and a release replies
// CustomerCreditReleased, as the events of the same name.
const (
	ReserveCredit               = "ReserveCredit"
	ReleaseCredit               = "ReleaseCredit"
	CustomerCreditLimitExceeded = "CustomerCreditLimitExceeded"
	CustomerNotFound            = "CustomerNotFound"
	// CustomerCreditLocked replies to a ReserveCredit that found the
	// customer's credit locked by a prepared two-phase commit.
	CustomerCreditLocked = "CustomerCreditLocked"
	// PrepareReserveCredit is the two-phase commit's PREPARE: reserve the
	// credit as prepared, lock it, and vote. The decision that follows is a
	// twopc.CommitTransaction or twopc.AbortTransaction on CommandsTopic.
	PrepareReserveCredit = "PrepareReserveCredit"
)

// Failure reasons carried by the failure events.
const (
	ReasonInsufficientCredit = "INSUFFICIENT_CREDIT"
	ReasonUnknownCustomer    = "UNKNOWN_CUSTOMER"
	// ReasonCreditLocked: a prepared two-phase commit holds the customer's
	// credit until its decision arrives.
	ReasonCreditLocked = "CREDIT_LOCKED"
)

// CreatedEvent is the payload of CustomerCreated.
type CreatedEvent struct {
	CustomerID  string      `json:"customerId"`
	Name        string      `json:"name"`
	CreditLimit money.Money `json:"creditLimit"`
	CreatedAt   time.Time   `json:"createdAt"`
}

// CreditReserved is the payload of CustomerCreditReserved (event and reply).
type CreditReserved struct {
	CustomerID string      `json:"customerId"`
	OrderID    string      `json:"orderId"`
	OrderTotal money.Money `json:"orderTotal"`
}

// CreditFailed is the payload of CustomerCreditReservationFailed,
// CustomerValidationFailed, CustomerCreditLimitExceeded and CustomerNotFound.
type CreditFailed struct {
	CustomerID string `json:"customerId"`
	OrderID    string `json:"orderId"`
	Reason     string `json:"reason"`
}

// CreditReleased is the payload of CustomerCreditReleased (event and reply).
// Amount is zero when nothing had been reserved for the order.
type CreditReleased struct {
	CustomerID string      `json:"customerId"`
	OrderID    string      `json:"orderId"`
	Amount     money.Money `json:"amount"`
}

// ReserveCreditCommand is the payload of ReserveCredit.
type ReserveCreditCommand struct {
	CustomerID string      `json:"customerId"`
	OrderID    string      `json:"orderId"`
	OrderTotal money.Money `json:"orderTotal"`
}

// PrepareReserveCreditCommand is the payload of PrepareReserveCredit.
type PrepareReserveCreditCommand struct {
	CustomerID string      `json:"customerId"`
	OrderID    string      `json:"orderId"`
	OrderTotal money.Money `json:"orderTotal"`
}

// ReleaseCreditCommand is the payload of ReleaseCredit.
type ReleaseCreditCommand struct {
	CustomerID string `json:"customerId"`
	OrderID    string `json:"orderId"`
}

// Customer is a customer as the Customer service answers queries.
type Customer struct {
	ID              string      `json:"customerId"`
	Name            string      `json:"name"`
	CreditLimit     money.Money `json:"creditLimit"`
	AvailableCredit money.Money `json:"availableCredit"`
	CreatedAt       time.Time   `json:"createdAt"`
}

// ErrNotFound is returned by queries for a customer that does not exist.
var ErrNotFound = errors.New("customer not found")

// Queries is the Customer service's query API.
type Queries interface {
	// Customer returns one customer or ErrNotFound.
	Customer(ctx context.Context, id string) (Customer, error)
	// Customers returns every customer, oldest first.
	Customers(ctx context.Context) ([]Customer, error)
	// CustomersCreatedAfter returns the customers created after t, oldest
	// first.
	CustomersCreatedAfter(ctx context.Context, t time.Time) ([]Customer, error)
}
