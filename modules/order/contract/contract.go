// Package contract is what other modules may know of the Order service: its
// topics, its events and its query interface. Nothing else of the Order
// module may be imported by another module.
package contract

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sagalab/modules/shared/money"
)

// Module is the name of the Order service on the bus.
const Module = "order"

// Topics.
const (
	// EventsTopic carries the Order service's domain events.
	EventsTopic = "order.events"
	// RepliesTopic receives the replies to the commands the Order service's
	// saga orchestrator sends.
	RepliesTopic = "order.replies"
	// CommandsTopic carries the two-phase commit coordinator's commands to
	// the Order service's own participant: PrepareCreateOrder and the
	// decision.
	CommandsTopic = "order.commands"
	// CoordinatorTopic receives what the participants of a two-phase commit
	// tell the coordinator: votes, acknowledgements, decision queries.
	CoordinatorTopic = "order.coordinator"
)

// Coordinator is the consumer name of the two-phase commit coordinator: a
// consumer of its own, so that it can be down while the Order service's
// participant is not.
const Coordinator = "coordinator"

// PrepareCreateOrder is the two-phase commit's PREPARE to the Order
// service's participant.
const PrepareCreateOrder = "PrepareCreateOrder"

// PrepareCreateOrderCommand is the payload of PrepareCreateOrder.
type PrepareCreateOrderCommand struct {
	OrderID string `json:"orderId"`
}

// Event types on EventsTopic.
const (
	OrderCreated   = "OrderCreated"
	OrderApproved  = "OrderApproved"
	OrderRejected  = "OrderRejected"
	OrderCancelled = "OrderCancelled"
)

// State is an order's state.
type State string

// Order states.
const (
	Pending   State = "PENDING"
	Approved  State = "APPROVED"
	Rejected  State = "REJECTED"
	Cancelled State = "CANCELLED"
)

// Rejection reasons.
const (
	ReasonInsufficientCredit = "INSUFFICIENT_CREDIT"
	ReasonUnknownCustomer    = "UNKNOWN_CUSTOMER"
	ReasonTimeout            = "TIMEOUT"
	// ReasonCreditLocked: the customer's credit was locked by a prepared
	// two-phase commit.
	ReasonCreditLocked = "CREDIT_LOCKED"
)

// SagaMode is how the Create Order saga of an order is coordinated: by one
// of the two saga modes, or by two-phase commit (no saga at all, for
// comparison).
type SagaMode string

// Saga modes.
const (
	Choreography  SagaMode = "choreography"
	Orchestration SagaMode = "orchestration"
	// TwoPhaseCommit is a distributed transaction instead of a saga.
	TwoPhaseCommit SagaMode = "2pc"
)

// ParseSagaMode checks a saga mode given by a user.
func ParseSagaMode(s string) (SagaMode, error) {
	switch m := SagaMode(s); m {
	case Choreography, Orchestration, TwoPhaseCommit:
		return m, nil
	}
	return "", fmt.Errorf("%q is not %q, %q or %q", s, Choreography, Orchestration, TwoPhaseCommit)
}

// CreatedEvent is the payload of OrderCreated.
type CreatedEvent struct {
	OrderID    string      `json:"orderId"`
	CustomerID string      `json:"customerId"`
	OrderTotal money.Money `json:"orderTotal"`
	// SagaMode tells participants whether to react to the event
	// (choreography) or to wait for the orchestrator's commands.
	SagaMode SagaMode `json:"sagaMode"`
}

// ApprovedEvent is the payload of OrderApproved.
type ApprovedEvent struct {
	OrderID    string      `json:"orderId"`
	CustomerID string      `json:"customerId"`
	OrderTotal money.Money `json:"orderTotal"`
}

// RejectedEvent is the payload of OrderRejected.
type RejectedEvent struct {
	OrderID    string      `json:"orderId"`
	CustomerID string      `json:"customerId"`
	OrderTotal money.Money `json:"orderTotal"`
	Reason     string      `json:"reason"`
	SagaMode   SagaMode    `json:"sagaMode"`
}

// CancelledEvent is the payload of OrderCancelled.
type CancelledEvent struct {
	OrderID    string      `json:"orderId"`
	CustomerID string      `json:"customerId"`
	OrderTotal money.Money `json:"orderTotal"`
	SagaMode   SagaMode    `json:"sagaMode"`
}

// Order is an order as the Order service answers queries.
type Order struct {
	ID              string      `json:"orderId"`
	CustomerID      string      `json:"customerId"`
	OrderTotal      money.Money `json:"orderTotal"`
	State           State       `json:"orderState"`
	RejectionReason string      `json:"rejectionReason,omitempty"`
	SagaMode        SagaMode    `json:"sagaMode"`
	CreatedAt       time.Time   `json:"createdAt"`
	UpdatedAt       time.Time   `json:"updatedAt"`
}

// Final reports whether the order's Create Order saga has ended.
func (o Order) Final() bool { return o.State != Pending }

// ErrNotFound is returned by queries for an order that does not exist.
var ErrNotFound = errors.New("order not found")

// Queries is the Order service's query API.
type Queries interface {
	// Order returns one order or ErrNotFound.
	Order(ctx context.Context, id string) (Order, error)
	// Orders returns every order, oldest first.
	Orders(ctx context.Context) ([]Order, error)
	// FindOrders returns the orders that match f, oldest first.
	FindOrders(ctx context.Context, f Filter) ([]Order, error)
}

// Filter selects orders; zero fields select everything.
type Filter struct {
	CustomerID string
	State      State
	// MoreThan keeps orders whose total is above it.
	MoreThan money.Money
}
